/* SPDX-License-Identifier: GPL-3.0-or-later */
/* proc: whether a process runs.
 *
 * Contract: vs_process_running(pid) is true when pid names a live process,
 * false when there is none or it is a zombie (ended, and not yet reaped by
 * its parent). kill(pid, 0) alone takes a zombie for alive, and a daemon's
 * children outlive it as zombies under an init that reaps slowly, or never
 * (a container without one): an export killed -9 would look alive, and
 * never be started again. Without /proc it falls back to kill(pid, 0).
 *
 * vs_process_has_arg(pid, arg) is true when one of pid's arguments
 * (/proc/PID/cmdline, the first 8 KiB) is exactly arg; false when it has
 * none such, or pid is gone, or its cmdline cannot be read. A pid read
 * from a pid file may name a stranger: the process the file was written
 * for died without removing it, and the kernel gave its number to another
 * (pid_max is 32768 by default, and a busy host goes round in minutes).
 * Signal such a pid only when it still holds an argument that only the
 * process meant can hold, such as its own socket's path. */
#ifndef VSM_PROC_H
#define VSM_PROC_H

#include <stdbool.h>
#include <sys/types.h>

bool vs_process_running(pid_t pid);
bool vs_process_has_arg(pid_t pid, const char *arg);

#endif
