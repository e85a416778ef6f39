/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/repeats.h: a warning that stays true is said again only now and
 * then.
 *
 * The supervisor looks at each VM every tick. A VM whose export cannot
 * start, or whose resume libvirt refuses, would write the same line each
 * tick for as long as it lasts. A repeats table remembers the last warning
 * about each key (a VM's name): a new or changed warning is said at once,
 * the same one again only after `every` seconds.
 *
 * A question that stays unanswered (the supervisor asking peers about a
 * stale paused copy, stalecopy.h) is paced the same way, with a backoff:
 * the table counts the questions about each key and the caller's interval
 * grows with the count. A table serves warnings or questions, not both.
 * Not locked: one thread owns a table. */
#ifndef VSM_HOSTAGENT_REPEATS_H
#define VSM_HOSTAGENT_REPEATS_H

#include <stdbool.h>
#include <time.h>

#define REPEATS_SLOTS 64
#define REPEATS_KEY_MAX 256

struct repeats_slot {
    char key[REPEATS_KEY_MAX];   /* "" when free */
    unsigned long hash;          /* of the last text said */
    time_t at;                   /* when it was said */
    unsigned count;              /* questions asked about key (backoff) */
};

struct repeats {
    struct repeats_slot slot[REPEATS_SLOTS];
};

/* true when text about key is to be said now: nothing was said about key,
 * something else was, or text was said `every` seconds ago or more; then it
 * is recorded as said at now. false when the same text was said less than
 * `every` seconds ago. With every key's slot in use, a new key takes the
 * slot said longest ago (its next warning is then said at once). */
bool repeats_should_say(struct repeats *r, const char *key, const char *text, time_t now,
                        time_t every);

/* true when the question about key is to be asked now: it was never asked
 * (since its slot was last free), or interval(n - 1) seconds or more have
 * passed since the n-th question; then it is counted, as asked at now, and
 * *before says how many questions came before it. false when asked too
 * lately. The same slot rules as repeats_should_say. */
bool repeats_backoff_due(struct repeats *r, const char *key, time_t now,
                         time_t (*interval)(unsigned before), unsigned *before);

/* key's trouble is over: the next warning or question about it is said at
 * once (a question's count starts again). */
void repeats_forget(struct repeats *r, const char *key);

#endif
