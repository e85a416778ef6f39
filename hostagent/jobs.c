/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/jobs.c: the job table (see jobs.h). */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/hostname.h"
#include "hostagent/jobs.h"
#include "hostagent/wire.h"

void
jobs_init(struct jobs *t, int limit)
{
    pthread_condattr_t ca;

    memset(t, 0, sizeof *t);
    pthread_mutex_init(&t->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&t->changed, &ca);
    pthread_condattr_destroy(&ca);
    t->limit = limit;
}

void
jobs_set_limit(struct jobs *t, int limit)
{
    pthread_mutex_lock(&t->lock);
    t->limit = limit;
    pthread_cond_broadcast(&t->changed);
    pthread_mutex_unlock(&t->lock);
}

/* j's place in the queue (1: next), under the lock; 0 when it runs */
static unsigned
place_of(const struct jobs *t, const struct job *j)
{
    unsigned place = 1;

    if (j->running)
        return 0;
    for (size_t i = 0; i < JOBS_MAX; i++)
        if (t->used[i] && !t->slots[i].running && t->slots[i].ticket < j->ticket)
            place++;
    return place;
}

/* vm is being mended (jobs_mend_begin), under the lock */
static bool
mending_has(const struct jobs *t, const char *vm)
{
    for (size_t i = 0; i < JOBS_MENDING_MAX; i++)
        if (strcmp(t->mending[i], vm) == 0)
            return true;
    return false;
}

/* A destination job j that may go over the limit: a crossing move (see
 * struct job), under the lock */
static bool
crossing_may_go(const struct jobs *t, const struct job *j)
{
    size_t waiting_there = 0, let_in = 0;

    if (j->role != JOB_DESTINATION || !j->crossing_first)
        return false;
    for (size_t i = 0; i < JOBS_MAX; i++) {
        const struct job *o = &t->slots[i];
        if (!t->used[i] || !o->running)
            continue;
        if (o->role == JOB_SOURCE && o->awaiting_destination && vs_host_same(o->to, j->from))
            waiting_there++;
        else if (o->role == JOB_DESTINATION && o->crossed && vs_host_same(o->from, j->from))
            let_in++;
    }
    return let_in < waiting_there;
}

static size_t
running_count(const struct jobs *t)
{
    size_t n = 0;

    for (size_t i = 0; i < JOBS_MAX; i++)
        n += t->used[i] && t->slots[i].running;
    return n;
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

/* a copy of j as readers see it: with its place, and whether a mend holds
 * it (under the lock) */
static void
copy_of(const struct jobs *t, const struct job *j, struct job *out)
{
    *out = *j;
    out->place = place_of(t, j);
    out->held_by_mend = out->place != 0 && mending_has(t, j->vm);
}

size_t
jobs_snapshot(struct jobs *t, struct job *out, size_t max)
{
    size_t n = 0;

    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < JOBS_MAX && n < max; i++)
        if (t->used[i]) {
            copy_of(t, &t->slots[i], &out[n++]);
        }
    pthread_mutex_unlock(&t->lock);
    /* in the order of arrival (a handful of jobs: insertion sort) */
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && out[k - 1].ticket > out[k].ticket; k--) {
            struct job tmp = out[k];
            out[k] = out[k - 1];
            out[k - 1] = tmp;
        }
    return n;
}

void
jobs_counts(struct jobs *t, size_t *running, size_t *waiting)
{
    size_t all = 0;

    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < JOBS_MAX; i++)
        all += t->used[i];
    *running = running_count(t);
    *waiting = all - *running;
    pthread_mutex_unlock(&t->lock);
}

enum jobs_turn
jobs_wait_turn(struct jobs *t, const char *id, long long wait_ms, unsigned *place)
{
    long long until = wire_now_ms() + wait_ms;
    enum jobs_turn turn = JOBS_TURN_WAIT;

    pthread_mutex_lock(&t->lock);
    for (;;) {
        struct job *j = slot_of(t, id);
        if (j == NULL) {
            turn = JOBS_TURN_GONE;
            break;
        }
        if (j->cancel) {
            turn = JOBS_TURN_CANCELLED;
            break;
        }
        *place = place_of(t, j);
        /* a VM the agent mends waits until it is done (jobs_mend_end) */
        bool being_mended = *place != 0 && mending_has(t, j->vm);
        bool in_turn = *place == 1 && running_count(t) < (size_t)t->limit && !being_mended;
        bool crossing = *place != 0 && !in_turn && !being_mended && crossing_may_go(t, j);
        if (*place == 0 || in_turn || crossing) {
            j->running = true;
            j->crossed = crossing;
            *place = 0;
            turn = JOBS_TURN_GO;
            pthread_cond_broadcast(&t->changed);   /* the next in line moves up */
            break;
        }
        long long left = until - wire_now_ms();
        if (left <= 0)
            break;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += left / 1000;
        ts.tv_nsec += (left % 1000) * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&t->changed, &t->lock, &ts);
    }
    pthread_mutex_unlock(&t->lock);
    return turn;
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
    t->slots[free_slot].running = false;
    t->slots[free_slot].ticket = ++t->tickets;
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
    pthread_cond_broadcast(&t->changed);
    pthread_mutex_unlock(&t->lock);
}

bool
jobs_find(struct jobs *t, const char *id, struct job *out)
{
    pthread_mutex_lock(&t->lock);
    struct job *j = slot_of(t, id);
    if (j)
        copy_of(t, j, out);
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
    pthread_cond_broadcast(&t->changed);
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
        j->taking = false;
        memcpy(j->error, h->error, sizeof j->error);
    }
    pthread_cond_broadcast(&t->changed);
    pthread_mutex_unlock(&t->lock);
}

void
jobs_set_awaiting_destination(struct jobs *t, const char *id, bool awaiting)
{
    pthread_mutex_lock(&t->lock);
    struct job *j = slot_of(t, id);
    if (j)
        j->awaiting_destination = awaiting;
    pthread_cond_broadcast(&t->changed);   /* a crossing move may go now */
    pthread_mutex_unlock(&t->lock);
}

void
jobs_set_taking(struct jobs *t, const char *id)
{
    pthread_mutex_lock(&t->lock);
    struct job *j = slot_of(t, id);
    if (j)
        j->taking = true;
    pthread_mutex_unlock(&t->lock);
}

bool
jobs_mend_begin(struct jobs *t, const char *vm)
{
    size_t free_slot = JOBS_MENDING_MAX;

    if (vm[0] == '\0' || strlen(vm) >= sizeof t->mending[0])
        return false;
    pthread_mutex_lock(&t->lock);
    /* a move that waits in the queue has touched nothing yet */
    for (size_t i = 0; i < JOBS_MAX; i++)
        if (t->used[i] && t->slots[i].running && strcmp(t->slots[i].vm, vm) == 0) {
            pthread_mutex_unlock(&t->lock);
            return false;
        }
    for (size_t i = 0; i < JOBS_MENDING_MAX; i++) {
        if (strcmp(t->mending[i], vm) == 0) {
            pthread_mutex_unlock(&t->lock);
            return false;
        }
        if (t->mending[i][0] == '\0' && free_slot == JOBS_MENDING_MAX)
            free_slot = i;
    }
    if (free_slot < JOBS_MENDING_MAX)
        snprintf(t->mending[free_slot], sizeof t->mending[0], "%s", vm);
    pthread_mutex_unlock(&t->lock);
    return free_slot < JOBS_MENDING_MAX;
}

void
jobs_mend_end(struct jobs *t, const char *vm)
{
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < JOBS_MENDING_MAX; i++)
        if (strcmp(t->mending[i], vm) == 0)
            t->mending[i][0] = '\0';
    pthread_cond_broadcast(&t->changed);   /* a move of vm that waited may go */
    pthread_mutex_unlock(&t->lock);
}

bool
jobs_vm_moving(struct jobs *t, const char *vm)
{
    bool moving = false;

    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < JOBS_MAX && !moving; i++)
        moving = t->used[i] && t->slots[i].running && strcmp(t->slots[i].vm, vm) == 0;
    pthread_mutex_unlock(&t->lock);
    return moving;
}
