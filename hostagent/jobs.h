/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/jobs.h: the migration jobs a host takes part in.
 *
 * A job is a move this host is the source or the destination of. The table
 * has its own lock; callers see copies (jobs_snapshot), never the slots, so
 * a job can change phase while a status reply is written. The move puts its
 * phases, progress, cancel and queue here. */
#ifndef VSM_HOSTAGENT_JOBS_H
#define VSM_HOSTAGENT_JOBS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#define JOBS_MAX 64

struct job {
    char id[40];
    char vm[256];
    char to[256];
    char user[256];
    char phase[32];
    unsigned progress;             /* per mille */
    bool cancel;
};

struct jobs {
    pthread_mutex_t lock;
    bool used[JOBS_MAX];
    struct job slots[JOBS_MAX];
};

void jobs_init(struct jobs *t);
/* How many jobs there are. */
size_t jobs_count(struct jobs *t);
/* Copies of up to max jobs into out; returns how many. */
size_t jobs_snapshot(struct jobs *t, struct job *out, size_t max);
/* Ask the job id to stop; false if there is no such job. */
bool jobs_request_cancel(struct jobs *t, const char *id);

#endif
