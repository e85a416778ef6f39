/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/leftover_record.h: the leftovers still being put right
 * (leftover.h), written down so that an agent restarted inside their
 * minute takes them up again.
 *
 * Why on disk: the fact a resume rests on ("the destination's job ended
 * without the writer, so it never takes the VM") is known only at the
 * move's end. Once the agent that learnt it is gone, nothing else can say
 * it again: the supervisor sees only a copy paused by a migration, which
 * it must never resume on a peer's word (stalecopy.h).
 *
 * One file per VM and kind, RUNTIME/leftovers/<vm>.resume or <vm>.forget,
 * one line: "JOB DEADLINE STALE\n" (DEADLINE in CLOCK_REALTIME seconds).
 * Written whole and renamed; the directory is 0700. runtime_dir is a tmpfs
 * in the packaged units: a reboot ends the VM's QEMU and the records with
 * it. A take-up never retries for longer than LEFTOVER_RETRY_S, whatever
 * the deadline says (a clock set back). */
#ifndef VSM_HOSTAGENT_LEFTOVER_RECORD_H
#define VSM_HOSTAGENT_LEFTOVER_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

enum leftover_kind {
    LEFTOVER_FORGET,   /* undefine the VM once it is off (leftover_forget) */
    LEFTOVER_RESUME,   /* resume the source's copy (leftover_resume_source) */
};

struct leftover_record {
    enum leftover_kind kind;
    char vm[256];
    char job[64];
    long long deadline;   /* CLOCK_REALTIME seconds: no try after it */
    bool stale;           /* forget: a paused copy here is turned off first */
};

/* "resume" or "forget" */
const char *leftover_kind_name(enum leftover_kind kind);

/* The record's line into buf; false if it does not fit or a field cannot be
 * written down (a VM name that is no file name, a job id that is not
 * [A-Za-z0-9-]). */
bool leftover_record_format(const struct leftover_record *r, char *line, size_t len);

/* file_name ("<vm>.resume") and its text into *out; false, with err, for
 * anything else: a name that is no VM's or no kind's, a line that is not
 * exactly "JOB DEADLINE STALE\n" with a job id of at most 63 [A-Za-z0-9-],
 * a decimal deadline of at most 18 digits and STALE 0 or 1. */
bool leftover_record_parse(const char *file_name, const char *text, size_t len,
                           struct leftover_record *out, struct vs_error *err);

/* RUNTIME/leftovers/<vm>.<kind> becomes r (the directory made 0700 first). */
bool leftover_record_save(const char *runtime_dir, const struct leftover_record *r,
                          struct vs_error *err);

/* The record of vm and kind goes, if it is still job's (a later move's
 * record of the same VM stays). */
void leftover_record_drop(const char *runtime_dir, enum leftover_kind kind, const char *vm,
                          const char *job);

/* Calls fn for each good record in RUNTIME/leftovers (at most 4096 looked
 * at); a file that is no good record is removed and logged. Returns how
 * many fn was given. */
size_t leftover_records_each(const char *runtime_dir,
                             void (*fn)(const struct leftover_record *r, void *arg), void *arg);

#endif
