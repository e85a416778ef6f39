/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/leftover.h: what a move that ended badly leaves in libvirt on
 * this host goes: the persistent definition of a VM that does not run here
 * (the destination's after a failed move; the source's when its libvirtd
 * died before Confirm, so VIR_MIGRATE_UNDEFINE_SOURCE never ran), and a
 * source's copy that libvirt left paused runs again.
 *
 * The first try is the caller's, inside the move that owns the VM. Later
 * tries run in a thread of their own, each second for LEFTOVER_RETRY_S,
 * each only while no move of the VM is under way here (jobs_mend_begin:
 * none may begin during a try either). What is still to do is written down
 * (leftover_record.h): an agent restarted within the minute takes it up
 * for the rest of it (leftover_take_up). */
#ifndef VSM_HOSTAGENT_LEFTOVER_H
#define VSM_HOSTAGENT_LEFTOVER_H

#include <stdbool.h>

#define LEFTOVER_RETRY_S 60

struct agent_config;
struct jobs;

/* Undefine vm here once libvirt answers and the domain is not active:
 * libvirtd restarts after it died in the move, or still recovers the
 * migration and ends its QEMU. With stale (the destination said the VM
 * runs there, holding its writer), a copy paused here is turned off first:
 * it can never take the writer back, so it can never run. Otherwise, or if
 * it runs, an active domain stays and is logged. job names the move in the
 * log. */
void leftover_forget(const struct agent_config *cfg, struct jobs *jobs, const char *vm,
                     const char *job, bool stale);

/* After a failed move whose destination said it did not take the VM (its
 * job there is over, so it never will): if libvirt here died in the move,
 * it comes back with the VM paused by the migration and leaves it so (it
 * cannot know how the destination ended); if libvirt's own resume failed
 * (the lock plugin could not take the writer back: a disk export died),
 * the same. Resume it, while libvirt does not answer or the resume is
 * refused; a VM that runs already, or is paused for another reason, is
 * left alone. */
void leftover_resume_source(const struct agent_config *cfg, struct jobs *jobs, const char *vm,
                            const char *job);

/* At start-up, before any move: the leftovers an earlier run of the agent
 * wrote down and did not finish are tried again for what is left of their
 * minute; those whose minute is over are dropped, and said. Returns how
 * many are taken up. */
unsigned leftover_take_up(const struct agent_config *cfg, struct jobs *jobs);

#endif
