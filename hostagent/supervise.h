/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/supervise.h: the agent starts again a disk export that died
 * under a VM running here.
 *
 * An export (exports.h) serves one disk of one running VM. When it dies
 * (killed, crashed), QEMU's NBD client fails the guest's I/O; with
 * error_policy='stop' on the disk (what vsmigrate asks of a VM's definition)
 * QEMU pauses the VM instead of telling the guest, keeps the failed request,
 * and reconnects to the socket when the request is tried again. Every
 * SUPERVISE_TICK_MS the supervisor looks at this host's vsmigrate VMs that
 * run or are paused, and that no move is touching; for one with an export
 * gone it starts the export again (standby). For a VM that runs, or that an
 * I/O error paused, it then promotes every export of the VM (the fence:
 * refused while another host holds the writer, and then the VM stays
 * paused, with the reason logged) and resumes a VM an I/O error paused
 * (libvirt's reason, or, when libvirt says "unknown" because QEMU's stop came
 * inside a migration job, QEMU's own disk error): the
 * guest sees a pause, no error, and no write is lost. A VM paused for any
 * other reason (an admin's pause, a failed move: libvirt's Finish hole
 * leaves a stale copy that must never run) is not resumed: its exports wait
 * in standby for an admin's resume, whose lock-plugin Acquire takes the
 * writer if the fence allows. Each tick also removes the private ccache directories
 * (common/ccdir.h) of processes that died without removing theirs. A
 * warning that stays true (an export that cannot start, a resume refused)
 * is logged when it first happens or changes, then every 5 minutes
 * (repeats.h), not each tick. */
#ifndef VSM_HOSTAGENT_SUPERVISE_H
#define VSM_HOSTAGENT_SUPERVISE_H

#include <stdbool.h>

#include "common/error.h"

#define SUPERVISE_TICK_MS 2000

struct agent;

/* Start the supervisor's thread (after the signal mask). */
bool supervise_start(struct agent *a, struct vs_error *err);

#endif
