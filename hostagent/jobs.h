/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/jobs.h: the moves a host takes part in.
 *
 * A job is a move this host is the source or the destination of. The table
 * has its own lock; readers get copies (jobs_snapshot, jobs_find), and the
 * few fields that change while a job runs (phase, progress, cancel, the
 * hand-off's times and error) are set through calls that take the lock, so
 * a status reply, the move's own thread and the hand-off never see half a
 * change. A VM is in at most one job on a host, whatever its role.
 *
 * The queue: a job is added waiting, with a ticket in the order of arrival,
 * and runs once jobs_wait_turn lets it: when it is the oldest waiting job
 * and fewer than the limit (max_simultaneous, as roles go: source and
 * destination count alike) run. A lower limit set while jobs run stops
 * none of them; it holds back the next. Two exceptions: a VM the agent
 * mends waits until it is done, and a crossing move may go first (struct
 * job). */
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
    bool running;                  /* let through the queue (jobs_wait_turn) */
    uint64_t ticket;               /* the order of arrival */
    unsigned place;                /* in a copy: its place in the queue, 1 first; 0 running */
    bool held_by_mend;             /* in a copy: it waits while the agent mends its VM */
    long long queued_ms;           /* how long it waited in the queue */
    bool cancel;
    /* the destination's hand-off, for the source's report */
    int64_t resumed_at;            /* unix ms: the destination holds the writer */
    long long handoff_ms;
    bool handed_off;
    bool taking;                   /* destination: the hand-off runs now */
    /* crossing moves (two hosts at their limits, each moving a VM to the
     * other): each holds its slot for a source job that waits in the
     * other's queue. The host whose name sorts first lets the other's move
     * in over its limit, once per such source job (jobs_wait_turn) */
    bool awaiting_destination;     /* source: asking its destination to prepare (queued there) */
    bool crossing_first;           /* destination: this host sorts before the source's name */
    bool crossed;                  /* destination: let in over the limit for a crossing */
    bool defined_before;           /* destination: the VM was defined here before the move */
    char error[VS_ERROR_MESSAGE_MAX]; /* why the hand-off failed, for the report */
    /* the VM's disk exports' control sockets here (its leases' paths) */
    char controls[JOB_DISKS_MAX][JOB_CONTROL_MAX];
    size_t ncontrols;
};

#define JOBS_MENDING_MAX 4         /* VMs the agent mends at once (supervise.h, stalecopy.h) */

struct jobs {
    pthread_mutex_t lock;
    /* VMs the agent itself is acting on (an export started again, a VM
     * resumed, a stale copy turned off): no move of them may begin
     * meanwhile, and none is mended while it moves ("" when free) */
    char mending[JOBS_MENDING_MAX][256];
    pthread_cond_t changed;        /* a job ended, started, was cancelled; the limit changed */
    bool used[JOBS_MAX];
    struct job slots[JOBS_MAX];
    uint64_t tickets;              /* the last ticket given */
    int limit;                     /* jobs that may run at once */
};

enum jobs_turn { JOBS_TURN_GO, JOBS_TURN_WAIT, JOBS_TURN_CANCELLED, JOBS_TURN_GONE };

void jobs_init(struct jobs *t, int limit);
/* A new limit (a reload): running jobs go on; waiting ones see it at once. */
void jobs_set_limit(struct jobs *t, int limit);
/* Let job id run if its turn has come (JOBS_TURN_GO: it is running now),
 * or if it is a crossing move's destination job here that may go first: a
 * job with crossing_first whose source host is the destination of a source
 * job here that waits in that host's queue (awaiting_destination), one
 * such job let in per source job, whatever the limit and the order;
 * else wait up to wait_ms for a change and say JOBS_TURN_WAIT with its
 * place (1 is next), or JOBS_TURN_CANCELLED, or JOBS_TURN_GONE. The caller
 * loops, reporting the place, until its own deadline. */
enum jobs_turn jobs_wait_turn(struct jobs *t, const char *id, long long wait_ms, unsigned *place);
/* Running jobs, and waiting ones. */
void jobs_counts(struct jobs *t, size_t *running, size_t *waiting);
/* How many jobs there are. */
size_t jobs_count(struct jobs *t);
/* Copies of up to max jobs into out (with their places, and whether a mend
 * of its VM holds a waiting one), in the order of arrival; returns how
 * many. */
size_t jobs_snapshot(struct jobs *t, struct job *out, size_t max);
/* Add a copy of j, waiting. VS_ERR_BUSY when its VM is in a job here
 * already, or every slot is taken. */
bool jobs_add(struct jobs *t, const struct job *j, struct vs_error *err);
void jobs_remove(struct jobs *t, const char *id);
/* A copy of job id (with its place and held_by_mend, as jobs_snapshot's);
 * false if there is none. */
bool jobs_find(struct jobs *t, const char *id, struct job *out);
/* A copy of vm's job in role; false if there is none. */
bool jobs_find_vm(struct jobs *t, const char *vm, enum job_role role, struct job *out);
void jobs_set_phase(struct jobs *t, const char *id, const char *phase, unsigned progress);
/* Ask the job id to stop; false if there is no such job. */
bool jobs_request_cancel(struct jobs *t, const char *id);
bool jobs_cancelled(struct jobs *t, const char *id);
/* Record the hand-off's outcome in job id (what a later look-up copies). */
void jobs_set_handoff(struct jobs *t, const char *id, const struct job *from_handoff);
/* The destination's hand-off of job id has begun (jobs_set_handoff ends it). */
void jobs_set_taking(struct jobs *t, const char *id);
/* The source job id asks its destination to prepare now (true), or it has
 * answered (false). */
void jobs_set_awaiting_destination(struct jobs *t, const char *id, bool awaiting);

/* The agent is about to act on vm by itself: true when no job of vm runs
 * here (one that waits in the queue has touched nothing yet), and nothing
 * is mending it, nor JOBS_MENDING_MAX others; until jobs_mend_end, no job
 * of vm leaves the queue (jobs_wait_turn waits; the jobs behind it too, for
 * the few seconds a mend takes). Otherwise false: leave it be. */
bool jobs_mend_begin(struct jobs *t, const char *vm);
void jobs_mend_end(struct jobs *t, const char *vm);
/* A job of vm has left the queue here (it touches the VM, its exports, its
 * definition): the agent leaves vm alone. */
bool jobs_vm_moving(struct jobs *t, const char *vm);

#endif
