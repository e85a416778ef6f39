/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/jobs.c: the job table (see jobs.h). */
#include <config.h>

#include <string.h>

#include "hostagent/jobs.h"

void
jobs_init(struct jobs *t)
{
    memset(t, 0, sizeof *t);
    pthread_mutex_init(&t->lock, NULL);
}

size_t
jobs_count(struct jobs *t)
{
    size_t n = 0;

    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < JOBS_MAX; i++)
        n += t->used[i];
    pthread_mutex_unlock(&t->lock);
    return n;
}

size_t
jobs_snapshot(struct jobs *t, struct job *out, size_t max)
{
    size_t n = 0;

    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < JOBS_MAX && n < max; i++)
        if (t->used[i])
            out[n++] = t->slots[i];
    pthread_mutex_unlock(&t->lock);
    return n;
}

bool
jobs_request_cancel(struct jobs *t, const char *id)
{
    bool found = false;

    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < JOBS_MAX; i++)
        if (t->used[i] && strcmp(t->slots[i].id, id) == 0) {
            t->slots[i].cancel = true;
            found = true;
        }
    pthread_mutex_unlock(&t->lock);
    return found;
}
