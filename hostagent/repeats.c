/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/repeats.c: a warning that stays true is said again only now and
 * then (repeats.h). */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "hostagent/repeats.h"

/* djb2: the table compares texts, it does not keep them */
static unsigned long
text_hash(const char *s)
{
    unsigned long h = 5381;

    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h;
}

static struct repeats_slot *
slot_for(struct repeats *r, const char *key)
{
    struct repeats_slot *oldest = &r->slot[0];

    for (size_t i = 0; i < REPEATS_SLOTS; i++) {
        struct repeats_slot *s = &r->slot[i];
        if (s->key[0] != '\0' && strncmp(s->key, key, REPEATS_KEY_MAX - 1) == 0)
            return s;
        /* a free slot before any used one; else the one said longest ago */
        if (oldest->key[0] != '\0' && (s->key[0] == '\0' || s->at < oldest->at))
            oldest = s;
    }
    oldest->key[0] = '\0';
    return oldest;
}

bool
repeats_should_say(struct repeats *r, const char *key, const char *text, time_t now, time_t every)
{
    struct repeats_slot *s = slot_for(r, key);
    unsigned long h = text_hash(text);

    if (s->key[0] != '\0' && s->hash == h && now - s->at < every)
        return false;
    snprintf(s->key, sizeof s->key, "%s", key);
    s->hash = h;
    s->at = now;
    return true;
}

bool
repeats_backoff_due(struct repeats *r, const char *key, time_t now,
                    time_t (*interval)(unsigned before), unsigned *before)
{
    struct repeats_slot *s = slot_for(r, key);

    if (s->key[0] == '\0') {
        snprintf(s->key, sizeof s->key, "%s", key);
        s->count = 0;
    } else if (now - s->at < interval(s->count - 1)) {
        return false;
    }
    *before = s->count++;
    s->at = now;
    return true;
}

void
repeats_forget(struct repeats *r, const char *key)
{
    for (size_t i = 0; i < REPEATS_SLOTS; i++)
        if (strncmp(r->slot[i].key, key, REPEATS_KEY_MAX - 1) == 0)
            r->slot[i].key[0] = '\0';
}
