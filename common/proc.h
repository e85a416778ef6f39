/* SPDX-License-Identifier: GPL-3.0-or-later */
/* proc: whether a process runs.
 *
 * Contract: vs_process_running(pid) is true when pid names a live process,
 * false when there is none or it is a zombie (ended, and not yet reaped by
 * its parent). kill(pid, 0) alone takes a zombie for alive, and a daemon's
 * children outlive it as zombies under an init that reaps slowly, or never
 * (a container without one): an export killed -9 would look alive, and
 * never be started again. Without /proc it falls back to kill(pid, 0). */
#ifndef VSM_PROC_H
#define VSM_PROC_H

#include <stdbool.h>
#include <sys/types.h>

bool vs_process_running(pid_t pid);

#endif
