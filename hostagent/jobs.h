/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/jobs.h: the moves a host takes part in.
 *
 * A job is a move this host is the source or the destination of. The table
 * has its own lock; readers get copies (jobs_snapshot, jobs_find), and the
 * few fields that change while a job runs (phase, progress, cancel, the
 * hand-off's times and error) are set through calls that take the lock, so
 * a status reply, the move's own thread and the hand-off never see half a
 * change. A VM is in at most one job on a host, whatever its role. */
#ifndef VSM_HOSTAGENT_JOBS_H
#define VSM_HOSTAGENT_JOBS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define JOBS_MAX 64
#define JOB_ID_MAX 40
#define JOB_DISKS_MAX 16           /* vsmigrate disks (leases) a moving VM may have */
#define JOB_CONTROL_MAX 108        /* a unix socket path */

enum job_role { JOB_SOURCE = 1, JOB_DESTINATION };

struct job {
    char id[JOB_ID_MAX];
    enum job_role role;
    char vm[256];
    char from[256];
    char to[256];
    char user[256];                /* the admin the move is for */
    char phase[32];
    unsigned progress;             /* per mille */
    bool cancel;
    /* the destination's hand-off, for the source's report */
    int64_t resumed_at;            /* unix ms: the destination holds the writer */
    long long handoff_ms;
    bool handed_off;
    bool defined_before;           /* destination: the VM was defined here before the move */
    char error[VS_ERROR_MESSAGE_MAX]; /* why the hand-off failed, for the report */
    /* the VM's disk exports' control sockets here (its leases' paths) */
    char controls[JOB_DISKS_MAX][JOB_CONTROL_MAX];
    size_t ncontrols;
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
/* Add a copy of j. VS_ERR_BUSY when its VM is in a job here already, or
 * every slot is taken. */
bool jobs_add(struct jobs *t, const struct job *j, struct vs_error *err);
void jobs_remove(struct jobs *t, const char *id);
/* A copy of job id; false if there is none. */
bool jobs_find(struct jobs *t, const char *id, struct job *out);
/* A copy of vm's job in role; false if there is none. */
bool jobs_find_vm(struct jobs *t, const char *vm, enum job_role role, struct job *out);
void jobs_set_phase(struct jobs *t, const char *id, const char *phase, unsigned progress);
/* Ask the job id to stop; false if there is no such job. */
bool jobs_request_cancel(struct jobs *t, const char *id);
bool jobs_cancelled(struct jobs *t, const char *id);
/* Record the hand-off's outcome in job id (what a later look-up copies). */
void jobs_set_handoff(struct jobs *t, const char *id, const struct job *from_handoff);

#endif
