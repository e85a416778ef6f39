/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/leftover.c: what a move that ended badly leaves in libvirt on
 * this host, put right once libvirt answers (leftover.h); what is still to
 * do is written down (leftover_record.h) for an agent restarted meanwhile. */
#include <config.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/crashtrace.h"
#include "common/log.h"
#include "hostagent/agentcfg.h"
#include "hostagent/jobs.h"
#include "hostagent/leftover.h"
#include "hostagent/leftover_record.h"
#include "hostagent/virt.h"

struct leftover {
    struct leftover_record rec;
    char uri[512], runtime_dir[256];
    struct jobs *jobs;
    int tries_left;   /* one each second */
};

static struct leftover *
leftover_new(const struct agent_config *cfg, struct jobs *jobs, enum leftover_kind kind,
             const char *vm, const char *job)
{
    struct leftover *l = calloc(1, sizeof *l);

    if (l != NULL) {
        l->rec.kind = kind;
        snprintf(l->rec.vm, sizeof l->rec.vm, "%s", vm);
        snprintf(l->rec.job, sizeof l->rec.job, "%s", job);
        snprintf(l->uri, sizeof l->uri, "%s", cfg->libvirt_uri);
        snprintf(l->runtime_dir, sizeof l->runtime_dir, "%s", cfg->runtime_dir);
        l->jobs = jobs;
        l->tries_left = LEFTOVER_RETRY_S;
    }
    return l;
}

/* ---- one try ------------------------------------------------------------------------------- */

/* forget: true when it is over (gone, runs here after all, or libvirt
 * refused the undefine) */
static bool
forget_try(const struct leftover *l, bool *active, struct vs_error *err)
{
    const char *vm = l->rec.vm;

    *active = false;
    err->message[0] = '\0';
    if (virt_running(l->uri, vm)) {
        /* a destination whose hand-off ended after move-end said the move
         * failed: the source had let go, and the VM runs here */
        *active = true;
        if (l->rec.stale)
            vs_error_set(err, VS_ERR_INTERNAL, "%s RUNS here, though its destination said it "
                         "runs there and holds its disks' writer: 'vsmigrate list' on both "
                         "hosts; the copy that cannot write (its guest pauses on an I/O error) "
                         "is the stale one, turn it off there with virsh destroy", vm);
        else
            vs_info("job %s: %s runs here after all: kept", l->rec.job, vm);
        return true;
    }
    if (l->rec.stale && virt_turn_off_paused(l->uri, vm, err))
        vs_info("job %s: turned off the stale paused copy of %s: it runs on the destination, "
                "which holds its writer", l->rec.job, vm);
    err->message[0] = '\0';
    if (virt_undefine_if_off(l->uri, vm, active, err))
        return !*active;
    return err->code == VS_ERR_INTERNAL;   /* refused: asking again will not help */
}

/* resume: true when it is over (resumed, runs, or not ours to resume);
 * false, with err, while libvirt does not answer or refuses: a refusal is
 * the lock plugin's, and its cause may pass (a disk export that died in
 * the move is started again by the supervisor within seconds) */
static bool
resume_try(const struct leftover *l, struct vs_error *err)
{
    err->message[0] = '\0';
    switch (virt_resume_after_migration(l->uri, l->rec.vm, err)) {
    case VIRT_RESUME_NO_ANSWER:
    case VIRT_RESUME_REFUSED:
        return false;
    case VIRT_RESUME_DONE:
        vs_info("job %s: %s resumed here: libvirt left it paused by the failed move, which "
                "its destination did not take", l->rec.job, l->rec.vm);
        return true;
    case VIRT_RESUME_RUNS:
    case VIRT_RESUME_LEFT:
        break;
    }
    return true;
}

static bool
leftover_try(const struct leftover *l, bool *active, struct vs_error *err)
{
    *active = false;
    err->code = VS_OK;
    err->message[0] = '\0';
    return l->rec.kind == LEFTOVER_RESUME ? resume_try(l, err) : forget_try(l, active, err);
}

/* a try of the retries: only while no move of the VM is under way here,
 * and none may begin during it (a later move owns the VM, and a resume or
 * an undefine would cut into it) */
static bool
leftover_try_unmoved(const struct leftover *l, bool *active, struct vs_error *err)
{
    *active = false;
    if (!jobs_mend_begin(l->jobs, l->rec.vm)) {
        vs_error_set(err, VS_ERR_BUSY, "a move of %s is under way here", l->rec.vm);
        return false;
    }
    bool over = leftover_try(l, active, err);
    jobs_mend_end(l->jobs, l->rec.vm);
    return over;
}

/* ---- how it ended -------------------------------------------------------------------------- */

static void
forget_said(const struct leftover *l, bool over, bool active, const struct vs_error *err)
{
    const char *job = l->rec.job, *vm = l->rec.vm;

    if (over && active && err->message[0])
        vs_error("job %s: %s", job, err->message);
    else if (over && active)
        ;   /* it runs here: said in forget_try */
    else if (over && !err->message[0])
        vs_info("job %s: %s's leftover definition from the move is gone (libvirt answered "
                "again, and it does not run here)", job, vm);
    else if (over)
        vs_warn("job %s: %s", job, err->message);
    else if (active)
        vs_warn("job %s: %s is still active here %d s after its move ended badly: left as it "
                "is ('vsmigrate list' on both hosts says where it runs; a copy paused here "
                "while it runs there is stale, see vsmigrated(8))", job, vm, LEFTOVER_RETRY_S);
    else
        vs_warn("job %s: %s (libvirt did not answer for %d s)", job, err->message,
                LEFTOVER_RETRY_S);
}

static void
resume_said(const struct leftover *l, bool over, const struct vs_error *err)
{
    if (!over)
        vs_warn("job %s: %s stays paused by the failed move after %d s: %s ('virsh resume %s' "
                "here once that is fixed: its destination did not take it)", l->rec.job,
                l->rec.vm, LEFTOVER_RETRY_S, err->message, l->rec.vm);
}

/* ---- each second, in a thread of its own ----------------------------------------------------- */

static void *
retry_each_second(void *arg)
{
    struct leftover *l = arg;
    struct timespec second = { 1, 0 };
    struct vs_error err = { .message = "" };
    bool active = false, over = false;

    for (; l->tries_left > 0 && !over; l->tries_left--) {
        nanosleep(&second, NULL);
        over = leftover_try_unmoved(l, &active, &err);
    }
    if (!over && err.code == VS_ERR_BUSY)
        /* a later move owns the VM now: what it finds is its own to say */
        vs_info("job %s: %s is being moved again: its %s is left to that move", l->rec.job,
                l->rec.vm, l->rec.kind == LEFTOVER_RESUME ? "resume" : "leftover definition");
    else if (l->rec.kind == LEFTOVER_RESUME)
        resume_said(l, over, &err);
    else
        forget_said(l, over, active, &err);
    leftover_record_drop(l->runtime_dir, l->rec.kind, l->rec.vm, l->rec.job);
    free(l);
    return NULL;
}

/* go on in a thread of its own, which frees l and drops its record */
static void
retry_later(struct leftover *l)
{
    pthread_t th;

    if (crashtrace_thread_create(&th, NULL, retry_each_second, l) != 0) {
        vs_error("job %s: cannot start a thread to %s %s: left to the agent's next start",
                 l->rec.job, leftover_kind_name(l->rec.kind), l->rec.vm);
        free(l);
        return;
    }
    pthread_detach(th);
}

/* written down first: an agent killed during the minute takes it up again */
static void
note_and_retry_later(struct leftover *l)
{
    struct vs_error err;

    l->rec.deadline = (long long)time(NULL) + l->tries_left;
    if (!leftover_record_save(l->runtime_dir, &l->rec, &err))
        vs_warn("job %s: %s: an agent restarted within the minute would not try again",
                l->rec.job, err.message);
    retry_later(l);
}

void
leftover_forget(const struct agent_config *cfg, struct jobs *jobs, const char *vm,
                const char *job, bool stale)
{
    struct leftover *l = leftover_new(cfg, jobs, LEFTOVER_FORGET, vm, job);
    struct vs_error err;
    bool active;

    if (l == NULL)
        return;
    l->rec.stale = stale;
    /* the caller's move owns the VM: no guard */
    if (leftover_try(l, &active, &err)) {
        if (err.message[0] && active)
            vs_error("job %s: %s", job, err.message);
        else if (err.message[0])
            vs_warn("job %s: %s", job, err.message);
        free(l);
        return;
    }
    vs_info("job %s: %s: %s; trying again each second for %d s", job, vm,
            active ? "still active here" : err.message, LEFTOVER_RETRY_S);
    note_and_retry_later(l);
}

void
leftover_resume_source(const struct agent_config *cfg, struct jobs *jobs, const char *vm,
                       const char *job)
{
    struct leftover *l = leftover_new(cfg, jobs, LEFTOVER_RESUME, vm, job);
    struct vs_error err;
    bool active;

    if (l == NULL)
        return;
    if (leftover_try(l, &active, &err)) {
        free(l);
        return;
    }
    vs_info("job %s: %s is not resumed yet: %s; trying again each second for %d s", job, vm,
            err.message, LEFTOVER_RETRY_S);
    note_and_retry_later(l);
}

/* ---- an earlier run's ---------------------------------------------------------------------- */

struct take_up {
    const struct agent_config *cfg;
    struct jobs *jobs;
    unsigned taken;
};

static void
take_up_one(const struct leftover_record *r, void *arg)
{
    struct take_up *t = arg;
    long long left = r->deadline - (long long)time(NULL);

    if (left <= 0) {
        vs_warn("job %s: an earlier run of the agent did not finish to %s %s, and its minute "
                "is over: left as it is ('vsmigrate list' here says what %s is; %s)", r->job,
                leftover_kind_name(r->kind), r->vm, r->vm,
                r->kind == LEFTOVER_RESUME ? "still paused by that move, 'virsh resume' "
                "resumes it: its destination did not take it" : "a definition left of it "
                "that does not run goes with 'virsh undefine'");
        leftover_record_drop(t->cfg->runtime_dir, r->kind, r->vm, r->job);
        return;
    }
    struct leftover *l = leftover_new(t->cfg, t->jobs, r->kind, r->vm, r->job);
    if (l == NULL)
        return;
    l->rec = *r;
    /* never longer than a minute: the clock may have been set back */
    l->tries_left = left < LEFTOVER_RETRY_S ? (int)left : LEFTOVER_RETRY_S;
    vs_info("job %s: taking up what an earlier run of the agent left: %s %s, for %d s more",
            r->job, leftover_kind_name(r->kind), r->vm, l->tries_left);
    retry_later(l);
    t->taken++;
}

unsigned
leftover_take_up(const struct agent_config *cfg, struct jobs *jobs)
{
    struct take_up t = { cfg, jobs, 0 };

    leftover_records_each(cfg->runtime_dir, take_up_one, &t);
    return t.taken;
}
