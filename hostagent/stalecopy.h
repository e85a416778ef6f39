/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/stalecopy.h: a source's copy that a failed move left paused,
 * and the peer that runs the VM.
 *
 * libvirt's hole at Finish: the destination took the writer and resumed
 * the VM, but its answer never reached the source (the hosts' link was cut,
 * an agent carrying the move's tunnel died). The source's libvirt then
 * tries to resume its own copy; the lock plugin's Acquire cannot take the
 * writer back, so the copy stays paused: stale (its memory is older than
 * the disk) and unable ever to run. The move itself could not tell, and
 * said so.
 *
 * The supervisor hands each such copy here: a vsmigrate VM that a
 * migration left paused, with no move of it under way here (one waiting in
 * the queue has touched nothing). This host asks its peers, as itself
 * (vm-state), whether they run the VM. A peer that runs it, with every
 * vsmigrate disk's export holding the writer and no move of it under way
 * there, settles it: the copy here is turned off and undefined. No answer,
 * or any other answer, leaves the copy as it is, and it is asked again
 * later.
 *
 * A copy is never resumed on a peer's answer: a peer that does not run the
 * VM now may have run it (then the copy's memory is older than the disk),
 * and only the move's own end can say it never did (leftover.h). */
#ifndef VSM_HOSTAGENT_STALECOPY_H
#define VSM_HOSTAGENT_STALECOPY_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

/* how often one copy's peers are asked */
#define STALECOPY_ASK_S 5
/* how long a peer has to answer */
#define STALECOPY_PEER_TIMEOUT_MS 5000

struct agent;
struct settings;
struct request_ctx;

/* The supervisor's thread, for a vsmigrate VM that a migration left paused
 * here (virt_migration_paused), with no move of it under way here: ask the
 * peers, in a thread of its own, unless another copy's are being asked now
 * or its own were asked lately: every STALECOPY_ASK_S for a minute, then
 * every 30 s for 10 minutes, then every 5 (each question is an audit record on each peer;
 * after the first minute the log says the copy waits for the admin). */
void stalecopy_consider(struct agent *a, const char *vm);

/* The supervisor's thread: vm runs here; its questions start afresh the
 * next time a migration leaves it paused. */
void stalecopy_forget(const char *vm);

/* vm-state (a peer host as itself): does vm run here holding its writer?
 * Answers RUNS_HERE 1 or 0 and, with 0, a MESSAGE saying why not. A peer
 * as itself is told nothing about VMs (docs/security.md), except about a
 * VM whose last move here came from that peer: it knew of it already. */
void do_vm_state(struct request_ctx *r);

/* RUNTIME/arrivals/<vm> names the host vm last came from: written when
 * that host let the writer go in a move here (before this host takes it,
 * so an agent killed in the take-over still knows), removed when vm's
 * writer leaves this host in a move. Kept across agent restarts (/run is
 * gone with a reboot, and the VMs with it). false with err. */
bool stalecopy_note_arrival(const char *runtime_dir, const char *vm, const char *from,
                            struct vs_error *err);
void stalecopy_forget_arrival(const char *runtime_dir, const char *vm);
/* The host vm last came from, into from; false when none is noted. */
bool stalecopy_arrived_from(const char *runtime_dir, const char *vm, char *from, size_t len);

/* The answer's reasoning: true when vm runs here (libvirt says running),
 * no move of it is under way here, and every vsmigrate disk of it has a
 * live export holding the writer; else false with why. */
bool stalecopy_runs_here(struct agent *a, const struct settings *s, const char *vm, char *why,
                         size_t whylen);

#endif
