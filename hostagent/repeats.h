/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/repeats.h: a warning that stays true is said again only now and
 * then.
 *
 * The supervisor looks at each VM every tick. A VM whose export cannot
 * start, or whose resume libvirt refuses, would write the same line each
 * tick for as long as it lasts. A repeats table remembers the last warning
 * about each key (a VM's name): a new or changed warning is said at once,
 * the same one again only after `every` seconds. Not locked: one thread
 * owns a table. */
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

/* key's trouble is over: the next warning about it is said at once. */
void repeats_forget(struct repeats *r, const char *key);

#endif
