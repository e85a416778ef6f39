/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/handoff.c: the disks' writer hand-off (handoff.h). */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "common/crashtrace.h"
#include "common/json.h"
#include "common/log.h"
#include "common/testhook.h"
#include "hostagent/client.h"
#include "hostagent/daemon.h"
#include "hostagent/handoff.h"
#include "hostagent/move.h"
#include "hostagent/stalecopy.h"
#include "hostagent/virt.h"
#include "smbio/control_client.h"

#define LINE_TIMEOUT_MS 5000

/* ---- both sides ----------------------------------------------------------------------------- */

bool
handoff_release_writer(struct agent *a, const struct job *j, struct vs_error *err)
{
    struct settings *s = settings_get(a);
    char why[1024];
    bool ok = virt_paused_for_migration(s->cfg->libvirt_uri, j->vm, err);

    /* QEMU inactivated its disks before the end of its stream (it flushed
     * them and gave up write permission); now each export flushes with
     * write-through and closes its writer handle */
    for (size_t i = 0; ok && i < j->ncontrols; i++)
        if (!smbio_control_call(j->controls[i], "release", s->cfg->handoff_timeout_ms, NULL, why,
                                sizeof why)) {
            vs_error_set(err, VS_ERR_UNAVAILABLE, "%s could not let the writer of %s go: %s",
                         a->host, j->vm, why);
            ok = false;
        }
    if (ok) {
        jobs_set_phase(&a->jobs, j->id, "released", 1000);
        /* the writer left: whoever it came from has nothing more to ask */
        stalecopy_forget_arrival(s->cfg->runtime_dir, j->vm);
    }
    settings_put(a, s);
    return ok;
}

/* Ask the source's agent (as this host) to release job j's disks. */
static bool
ask_source_release(struct agent *a, struct settings *s, const struct job *j, struct vs_error *err)
{
    struct agent_target t = { .host = j->from, .port = s->cfg->peer_port,
                              .confidential = s->cfg->confidentiality,
                              .timeout_ms = s->cfg->handoff_timeout_ms };

    if (s->acc == NULL) {
        vs_error_set(err, VS_ERR_UNAVAILABLE, "%s runs with auth = local: it cannot ask %s to "
                     "release", a->host, j->from);
        return false;
    }
    if (agent_ask_as_host(&t, s->acc, "handoff-release", j->id, j->vm, s->cfg->handoff_timeout_ms,
                          NULL, NULL, err))
        return true;
    vs_error_prefix(err, "%s did not release %s's disks", j->from, j->vm);
    return false;
}

/* Promote each export here; on a failure, release those promoted (no
 * writer may stay behind a refused hand-off). */
static bool
promote_all(struct settings *s, const struct job *j, struct vs_error *err)
{
    char why[1024];
    bool busy;

    for (size_t i = 0; i < j->ncontrols; i++) {
        if (smbio_control_call(j->controls[i], "promote", s->cfg->handoff_timeout_ms, &busy, why,
                               sizeof why))
            continue;
        vs_error_set(err, busy ? VS_ERR_BUSY : VS_ERR_UNAVAILABLE, "the disk export %s could not "
                     "take the writer: %s", j->controls[i], why);
        for (size_t k = 0; k < i; k++)
            smbio_control_call(j->controls[k], "release", s->cfg->handoff_timeout_ms, NULL, why,
                               sizeof why);
        return false;
    }
    return true;
}

bool
handoff_take_writer(struct agent *a, const char *vm, bool *no_job, struct vs_error *err)
{
    struct job j, h;
    struct settings *s;
    long long t0 = wire_now_ms();
    bool ok;

    *no_job = false;
    if (!jobs_find_vm(&a->jobs, vm, JOB_DESTINATION, &j)) {
        *no_job = true;
        vs_error_set(err, VS_ERR_NOTFOUND, "no vsmigrate move of %s is coming to %s", vm, a->host);
        return false;
    }
    s = settings_get(a);
    jobs_set_phase(&a->jobs, j.id, "hand-off", 1000);
    jobs_set_taking(&a->jobs, j.id);
    h = j;
    ok = ask_source_release(a, s, &j, err);
    /* the source let go: from now on its paused copy may be stale, and it
     * may ask here whether the VM runs (stalecopy.h) */
    struct vs_error noted;
    if (ok && !stalecopy_note_arrival(s->cfg->runtime_dir, vm, j.from, &noted))
        vs_warn("job %s: %s (the source's copy, if libvirt leaves it paused, is left for the "
                "admin)", j.id, noted.message);
    if (ok && test_hook_armed(s->cfg->runtime_dir, "takeover")) {
        vs_error_set(err, VS_ERR_DENIED, "%s refused the take-over of %s's disks (a test hook: "
                     "test-hooks/fail-takeover in %s)", a->host, vm, s->cfg->runtime_dir);
        ok = false;
    }
    /* the fault tests strike here: the source let go, nobody holds the writer */
    if (ok)
        test_hook_pause(s->cfg->runtime_dir, "hand-off");
    ok = ok && promote_all(s, &j, err);
    h.resumed_at = move_unix_ms();
    h.handoff_ms = wire_now_ms() - t0;
    h.handed_off = ok;
    snprintf(h.error, sizeof h.error, "%s", ok ? "" : err->message);
    jobs_set_handoff(&a->jobs, j.id, &h);
    jobs_set_phase(&a->jobs, j.id, ok ? "running" : "hand-off failed", 1000);
    vs_info("hand-off of %s (job %s) from %s: %s in %lld ms%s%s", vm, j.id, j.from,
            ok ? "done" : "failed", h.handoff_ms, ok ? "" : ": ", ok ? "" : err->message);
    settings_put(a, s);
    return ok;
}

/* ---- the plugin's socket ---------------------------------------------------------------- */

struct handoff_call {
    struct agent *agent;
    int fd;
};

static void
answer(int fd, bool ok, const char *code, const char *error)
{
    json_t *j = ok ? json_pack("{s:b}", "ok", 1)
                   : json_pack("{s:b,s:s,s:s}", "ok", 0, "code", code, "error", error);
    char *line = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;

    if (line) {
        size_t n = strlen(line);
        line[n] = '\n';   /* json_dumps's NUL becomes the line end */
        if (send(fd, line, n + 1, MSG_NOSIGNAL) < 0)
            vs_debug("the hand-off's answer was not delivered: %s", strerror(errno));
        line[n] = '\0';
    }
    free(line);
    json_decref(j);
}

static void *
serve_call(void *arg)
{
    struct handoff_call *c = arg;
    char line[HANDOFF_LINE_MAX + 2], vm[256];
    size_t used = 0;
    long long deadline = wire_now_ms() + LINE_TIMEOUT_MS;
    struct ucred cr;
    socklen_t crlen = sizeof cr;
    struct vs_error err;
    bool no_job;

    if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) != 0 || cr.uid != 0) {
        answer(c->fd, false, "denied", "only root (libvirtd's lock plugin) may ask for a hand-off");
        goto out;
    }
    while (used < sizeof line - 1 && memchr(line, '\n', used) == NULL) {
        struct pollfd p = { .fd = c->fd, .events = POLLIN };
        long long left = deadline - wire_now_ms();
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            goto out;
        ssize_t got = read(c->fd, line + used, sizeof line - 1 - used);
        if (got <= 0)
            goto out;
        used += (size_t)got;
    }
    if (!handoff_line_parse(line, used, vm, sizeof vm, &err))
        answer(c->fd, false, vs_errcode_name(err.code), err.message);
    else if (handoff_take_writer(c->agent, vm, &no_job, &err))
        answer(c->fd, true, NULL, NULL);
    else
        answer(c->fd, false, no_job ? "notfound" : vs_errcode_name(err.code), err.message);
out:
    close(c->fd);
    free(c);
    return NULL;
}

struct server {
    struct agent *agent;
    int fd;
};

static void *
accept_loop(void *arg)
{
    struct server *sv = arg;

    for (;;) {
        int fd = accept4(sv->fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE) {
                if (errno == EMFILE || errno == ENFILE)
                    sleep(1);
                continue;
            }
            vs_error("the hand-off socket stopped accepting: %s", strerror(errno));
            break;
        }
        struct handoff_call *c = malloc(sizeof *c);
        pthread_t th;
        pthread_attr_t at;
        if (c == NULL) {
            close(fd);
            continue;
        }
        c->agent = sv->agent;
        c->fd = fd;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        if (crashtrace_thread_create(&th, &at, serve_call, c) != 0) {
            close(fd);
            free(c);
        }
        pthread_attr_destroy(&at);
    }
    return NULL;
}

bool
handoff_serve_start(struct agent *a, struct vs_error *err)
{
    struct settings *s = settings_get(a);
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    struct server *sv = malloc(sizeof *sv);
    pthread_t th;
    int fd = -1;

    if (sv == NULL) {
        settings_put(a, s);
        vs_error_set(err, VS_ERR_NOMEM, "out of memory");
        return false;
    }
    if ((size_t)snprintf(sun.sun_path, sizeof sun.sun_path, "%s/handoff.sock",
                         s->cfg->runtime_dir) >= sizeof sun.sun_path) {
        vs_error_set(err, VS_ERR_INVALID, "runtime_dir %s is too long for a unix socket",
                     s->cfg->runtime_dir);
        goto fail;
    }
    unlink(sun.sun_path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    mode_t old = umask(0077);   /* root only, from the first moment */
    int rc = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&sun, sizeof sun);
    umask(old);
    if (rc != 0 || listen(fd, 16) != 0) {
        vs_error_set(err, VS_ERR_IO, "cannot listen on %s: %s", sun.sun_path, strerror(errno));
        goto fail;
    }
    sv->agent = a;
    sv->fd = fd;
    if (crashtrace_thread_create(&th, NULL, accept_loop, sv) != 0) {
        vs_error_set(err, VS_ERR_INTERNAL, "cannot start the hand-off thread");
        goto fail;
    }
    pthread_detach(th);
    settings_put(a, s);
    return true;
fail:
    if (fd >= 0)
        close(fd);
    free(sv);
    settings_put(a, s);
    return false;
}
