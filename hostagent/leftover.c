/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/leftover.c: what a move that ended badly leaves in libvirt on
 * this host, put right once libvirt answers (leftover.h). The retries live
 * in the agent's memory: an agent restarted within their minute leaves the
 * rest to the admin ('vsmigrate list' on the host shows the copy). */
#include <config.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/crashtrace.h"
#include "common/log.h"
#include "hostagent/leftover.h"
#include "hostagent/virt.h"

struct leftover {
    char uri[512], vm[256], job[64];
    bool stale;
};

static struct leftover *
leftover_new(const char *uri, const char *vm, const char *job)
{
    struct leftover *l = calloc(1, sizeof *l);

    if (l != NULL) {
        snprintf(l->uri, sizeof l->uri, "%s", uri);
        snprintf(l->vm, sizeof l->vm, "%s", vm);
        snprintf(l->job, sizeof l->job, "%s", job);
    }
    return l;
}

/* go on in a thread of its own, which frees l */
static void
leftover_later(void *(*each_second)(void *), struct leftover *l)
{
    pthread_t th;

    if (crashtrace_thread_create(&th, NULL, each_second, l) != 0)
        free(l);
    else
        pthread_detach(th);
}

/* one try: true when it is over (gone, runs here after all, or libvirt
 * refused the undefine) */
static bool
leftover_try(const struct leftover *l, bool *active, struct vs_error *err)
{
    *active = false;
    err->message[0] = '\0';
    if (virt_running(l->uri, l->vm)) {
        /* a destination whose hand-off ended after move-end said the move
         * failed: the source had let go, and the VM runs here */
        *active = true;
        if (l->stale)
            vs_error_set(err, VS_ERR_INTERNAL, "%s RUNS here, though its destination said it "
                         "runs there and holds its disks' writer: 'vsmigrate list' on both "
                         "hosts; the copy that cannot write (its guest pauses on an I/O error) "
                         "is the stale one, turn it off there with virsh destroy", l->vm);
        else
            vs_info("job %s: %s runs here after all: kept", l->job, l->vm);
        return true;
    }
    if (l->stale && virt_turn_off_paused(l->uri, l->vm, err))
        vs_info("job %s: turned off the stale paused copy of %s: it runs on the destination, "
                "which holds its writer", l->job, l->vm);
    err->message[0] = '\0';
    if (virt_undefine_if_off(l->uri, l->vm, active, err))
        return !*active;
    return err->code == VS_ERR_INTERNAL;   /* refused: asking again will not help */
}

static void *
forget_later(void *arg)
{
    struct leftover *l = arg;
    struct timespec second = { 1, 0 };
    struct vs_error err;
    bool active = false, over = false;

    for (int i = 0; i < LEFTOVER_RETRY_S && !over; i++) {
        nanosleep(&second, NULL);
        over = leftover_try(l, &active, &err);
    }
    if (over && active && err.message[0])
        vs_error("job %s: %s", l->job, err.message);
    else if (over && active)
        ;   /* it runs here: said in leftover_try */
    else if (over && !err.message[0])
        vs_info("job %s: %s's leftover definition from the move is gone (libvirt answered "
                "again, and it does not run here)", l->job, l->vm);
    else if (over)
        vs_warn("job %s: %s", l->job, err.message);
    else if (active)
        vs_warn("job %s: %s is still active here %d s after its move ended badly: left as it "
                "is ('vsmigrate list' on both hosts says where it runs; a copy paused here "
                "while it runs there is stale, see vsmigrated(8))", l->job, l->vm,
                LEFTOVER_RETRY_S);
    else
        vs_warn("job %s: %s (libvirt did not answer for %d s)", l->job, err.message,
                LEFTOVER_RETRY_S);
    free(l);
    return NULL;
}

void
leftover_forget(const char *libvirt_uri, const char *vm, const char *job, bool stale)
{
    struct leftover *l = leftover_new(libvirt_uri, vm, job);
    struct vs_error err;
    bool active;

    if (l == NULL)
        return;
    l->stale = stale;
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
    leftover_later(forget_later, l);
}

/* one try: true when it is over (resumed, runs, or not ours to resume);
 * false, with err, while libvirt does not answer or refuses: a refusal is
 * the lock plugin's, and its cause may pass (a disk export that died in
 * the move is started again by the supervisor within seconds) */
static bool
resume_try(const struct leftover *l, struct vs_error *err)
{
    switch (virt_resume_after_migration(l->uri, l->vm, err)) {
    case VIRT_RESUME_NO_ANSWER:
    case VIRT_RESUME_REFUSED:
        return false;
    case VIRT_RESUME_DONE:
        vs_info("job %s: %s resumed here: libvirt left it paused by the failed move, which "
                "its destination did not take", l->job, l->vm);
        return true;
    case VIRT_RESUME_RUNS:
    case VIRT_RESUME_LEFT:
        break;
    }
    return true;
}

static void *
resume_later(void *arg)
{
    struct leftover *l = arg;
    struct timespec second = { 1, 0 };
    struct vs_error err;
    bool over = false;

    for (int i = 0; i < LEFTOVER_RETRY_S && !over; i++) {
        nanosleep(&second, NULL);
        over = resume_try(l, &err);
    }
    if (!over)
        vs_warn("job %s: %s stays paused by the failed move after %d s: %s ('virsh resume %s' "
                "here once that is fixed: its destination did not take it)", l->job, l->vm,
                LEFTOVER_RETRY_S, err.message, l->vm);
    free(l);
    return NULL;
}

void
leftover_resume_source(const char *libvirt_uri, const char *vm, const char *job)
{
    struct leftover *l = leftover_new(libvirt_uri, vm, job);

    if (l == NULL)
        return;
    struct vs_error err;
    if (resume_try(l, &err)) {
        free(l);
        return;
    }
    vs_info("job %s: %s is not resumed yet: %s; trying again each second for %d s", job, vm,
            err.message, LEFTOVER_RETRY_S);
    leftover_later(resume_later, l);
}
