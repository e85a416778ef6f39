/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/jobs.c: the job table (see jobs.h). */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "hostagent/jobs.h"

void
jobs_init(struct jobs *t)
{
    memset(t, 0, sizeof *t);
    pthread_mutex_init(&t->lock, NULL);
}

/* The slot of id, under the lock; NULL if none. */
static struct job *
slot_of(struct jobs *t, const char *id)
{
    for (size_t i = 0; i < JOBS_MAX; i++)
        if (t->used[i] && strcmp(t->slots[i].id, id) == 0)
            return &t->slots[i];
    return NULL;
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
jobs_add(struct jobs *t, const struct job *j, struct vs_error *err)
{
    size_t free_slot = JOBS_MAX;

    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < JOBS_MAX; i++) {
        if (!t->used[i]) {
            if (free_slot == JOBS_MAX)
                free_slot = i;
            continue;
        }
        if (strcmp(t->slots[i].vm, j->vm) == 0 || strcmp(t->slots[i].id, j->id) == 0) {
            vs_error_set(err, VS_ERR_BUSY, "%s is being moved already (job %s, from %s to %s): "
                         "wait for it, or 'vsmigrate cancel %s'", j->vm, t->slots[i].id,
                         t->slots[i].from, t->slots[i].to, t->slots[i].id);
            pthread_mutex_unlock(&t->lock);
            return false;
        }
    }
    if (free_slot == JOBS_MAX) {
        pthread_mutex_unlock(&t->lock);
        vs_error_set(err, VS_ERR_BUSY, "this host takes part in %d moves already: wait for one "
                     "to end", JOBS_MAX);
        return false;
    }
    t->slots[free_slot] = *j;
    t->used[free_slot] = true;
    pthread_mutex_unlock(&t->lock);
    return true;
}

void
jobs_remove(struct jobs *t, const char *id)
{
    pthread_mutex_lock(&t->lock);
    struct job *j = slot_of(t, id);
    if (j)
        t->used[j - t->slots] = false;
    pthread_mutex_unlock(&t->lock);
}

bool
jobs_find(struct jobs *t, const char *id, struct job *out)
{
    pthread_mutex_lock(&t->lock);
    struct job *j = slot_of(t, id);
    if (j)
        *out = *j;
    pthread_mutex_unlock(&t->lock);
    return j != NULL;
}

bool
jobs_find_vm(struct jobs *t, const char *vm, enum job_role role, struct job *out)
{
    bool found = false;

    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < JOBS_MAX && !found; i++)
        if (t->used[i] && t->slots[i].role == role && strcmp(t->slots[i].vm, vm) == 0) {
            *out = t->slots[i];
            found = true;
        }
    pthread_mutex_unlock(&t->lock);
    return found;
}

void
jobs_set_phase(struct jobs *t, const char *id, const char *phase, unsigned progress)
{
    pthread_mutex_lock(&t->lock);
    struct job *j = slot_of(t, id);
    if (j) {
        snprintf(j->phase, sizeof j->phase, "%s", phase);
        j->progress = progress;
    }
    pthread_mutex_unlock(&t->lock);
}

bool
jobs_request_cancel(struct jobs *t, const char *id)
{
    pthread_mutex_lock(&t->lock);
    struct job *j = slot_of(t, id);
    if (j)
        j->cancel = true;
    pthread_mutex_unlock(&t->lock);
    return j != NULL;
}

bool
jobs_cancelled(struct jobs *t, const char *id)
{
    pthread_mutex_lock(&t->lock);
    struct job *j = slot_of(t, id);
    bool c = j && j->cancel;
    pthread_mutex_unlock(&t->lock);
    return c;
}

void
jobs_set_handoff(struct jobs *t, const char *id, const struct job *h)
{
    pthread_mutex_lock(&t->lock);
    struct job *j = slot_of(t, id);
    if (j) {
        j->resumed_at = h->resumed_at;
        j->handoff_ms = h->handoff_ms;
        j->handed_off = h->handed_off;
        memcpy(j->error, h->error, sizeof j->error);
    }
    pthread_mutex_unlock(&t->lock);
}
