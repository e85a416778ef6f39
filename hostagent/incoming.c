/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/incoming.c: a move, on its destination host.
 *
 * move-prepare (from the source, as the admin or as the source host) checks
 * the definition again by this host's own rules, registers the job and
 * makes RUNTIME/jobs/JOB for QEMU's incoming socket; the job lives exactly
 * as long as that connection, which then carries only move-end. So a
 * tunnel (`tunnel JOB CHANNEL`, from the source host as itself) is let in
 * only for a job an authorised admin started, from the host that job
 * names, while it runs: this agent reaches libvirtd as root, so it must
 * hold that line itself. Once a tunnel is accepted its socket carries TLS
 * records, keyed from its own Kerberos context (tunnel.h), to libvirtd's
 * socket or to QEMU's incoming migration socket. */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/hostname.h"
#include "common/log.h"
#include "hostagent/daemon.h"
#include "hostagent/domxml.h"
#include "hostagent/leftover.h"
#include "hostagent/move.h"
#include "hostagent/netpick.h"
#include "hostagent/placement.h"
#include "hostagent/tunnel.h"
#include "hostagent/virt.h"

#define MIGRATION_SOCKET_WAIT_MS 10000

/* A job id is a lowercase UUID: it names a directory. */
static bool
job_id_ok(const char *id)
{
    if (strlen(id) != 36)
        return false;
    for (size_t i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? id[i] != '-' : !((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            return false;
    }
    return true;
}

/* May VM (defined by xml) come here, as the request asks? Its definition
 * parsed into vm; false with err. */
static bool
incoming_allowed(struct request_ctx *r, const char *xml, struct domxml_info *vm,
                 struct vs_error *err)
{
    const struct agent_config *c = r->s->cfg;
    char folder[1300];

    if (!job_id_ok(r->job)) {
        vs_error_set(err, VS_ERR_INVALID, "'%s' is not a job id (a lowercase UUID)", r->job);
        return false;
    }
    if (!vs_host_same(r->from, r->who->via)) {
        vs_error_set(err, VS_ERR_DENIED, "%s asks for a move from %s: a host may only send its "
                     "own VMs", r->who->via, r->from);
        return false;
    }
    if (!c->incoming) {
        vs_error_set(err, VS_ERR_DENIED, "incoming migrations are turned off on %s: set incoming "
                     "= yes in [migration] of its vsmigrated.conf", r->agent->host);
        return false;
    }
    if (!domxml_parse(xml, strlen(xml), vm, err))
        return false;
    if (strcmp(vm->name, r->vm) != 0) {
        vs_error_set(err, VS_ERR_INVALID, "the definition sent is %s's, not %s's: run the same "
                     "vsmigrate version on both hosts", vm->name, r->vm);
        return false;
    }
    /* this host's own rules: it trusts no source's placement check */
    return placement_check(vm, r->vm, c->shares, c->nshares, folder, sizeof folder, err);
}

/* The incoming job from the request; false with err. */
static bool
incoming_job(struct request_ctx *r, const char *xml, struct job *j, struct vs_error *err)
{
    struct domxml_info *vm = calloc(1, sizeof *vm);
    bool ok;

    if (vm == NULL) {
        vs_error_set(err, VS_ERR_NOMEM, "out of memory");
        return false;
    }
    memset(j, 0, sizeof *j);
    ok = incoming_allowed(r, xml, vm, err) && move_controls_from_xml(vm, j, err);
    domxml_free(vm);
    free(vm);
    /* whether a definition was here before decides what a failed move
     * may remove: without knowing it, no move comes in */
    if (!ok || !virt_defined(r->s->cfg->libvirt_uri, r->vm, &j->defined_before, err))
        return false;
    snprintf(j->id, sizeof j->id, "%s", r->job);
    j->role = JOB_DESTINATION;
    snprintf(j->vm, sizeof j->vm, "%s", r->vm);
    snprintf(j->from, sizeof j->from, "%s", r->from);
    snprintf(j->to, sizeof j->to, "%s", r->agent->host);
    snprintf(j->user, sizeof j->user, "%s", r->who->user ? r->who->user : r->caller);
    snprintf(j->phase, sizeof j->phase, "incoming");
    /* of two hosts moving VMs to each other at their limits, the one whose
     * name sorts first lets the other's move in (jobs.h): both sides
     * compare the same two agents' names */
    j->crossing_first = strcasecmp(r->agent->host, r->from) < 0;
    return true;
}

/* The job and its directory go: no tunnel can be opened for it after this. */
static void
end_job(struct request_ctx *r, const char *id, const char *dir)
{
    jobs_remove(&r->agent->jobs, id);
    move_job_dir_remove(dir);
}

/* A move that failed leaves nothing here: libvirt keeps the persistent
 * definition it made at Finish; unless the VM was defined here before the
 * move (and does not run), it goes, later if libvirtd is down now. */
static void
forget_failed_incoming(struct request_ctx *r, const struct job *j)
{
    if (!j->defined_before)
        leftover_forget(r->s->cfg, &r->agent->jobs, j->vm, j->id, false);
}

#define FINISH_WAIT_MS 20000

/* Does the VM run here now that the source says its side ended? Only if
 * this side took the writer; then libvirt's Finish here decides. Both may
 * still run when the source's libvirtd died inside this host's Finish: a
 * hand-off under way (the source let go) ends first, then Finish resumes the
 * VM or ends it; wait for them, and refresh *j. */
static bool
incoming_runs_here(struct request_ctx *r, struct job *j, uint64_t source_result)
{
    long long deadline = wire_now_ms() + FINISH_WAIT_MS;
    struct timespec tick = { 0, 100 * 1000 * 1000 };
    enum virt_finish f;

    while (j->taking && source_result != VS_OK && wire_now_ms() < deadline) {
        nanosleep(&tick, NULL);
        if (!jobs_find(&r->agent->jobs, j->id, j))
            return false;
    }
    if (!j->handed_off)
        return false;
    if (source_result == VS_OK)
        return true;
    f = virt_wait_finish(r->s->cfg->libvirt_uri, j->vm, FINISH_WAIT_MS);
    if (f == VIRT_FINISH_UNDECIDED)
        vs_warn("job %s: libvirt had neither resumed nor ended %s here %d s after the "
                "source's libvirt failed: not counted as running here", j->id, j->vm,
                FINISH_WAIT_MS / 1000);
    return f == VIRT_FINISH_RESUMED;
}

/* Answer move-end with this side's figures. */
static void
answer_end(struct request_ctx *r, const struct vsm_message *m, struct job *j,
           const char *dir, long long t0)
{
    struct vs_writer w;
    struct vs_error err;
    uint64_t source_result = VS_ERR_INTERNAL;
    long long libvirt_down = -1;

    vsm_message_u64(m, VSM_TAG_RESULT, &source_result);
    /* The source's libvirt can fail after this side took the writer and
     * resumed the VM (its libvirtd died between Finish and Confirm): then
     * the VM runs here, and the source hears it (RESUMED_AT) */
    bool runs_here = incoming_runs_here(r, j, source_result);
    if (!runs_here)
        forget_failed_incoming(r, j);
    if (runs_here)
        libvirt_down = virt_last_migration_downtime(r->s->cfg->libvirt_uri, j->vm);
    vs_writer_init(&w, 8192);
    vsm_message_begin(&w, VSM_MSG_REPLY, m->id);
    vsm_message_add_u64(&w, VSM_TAG_RESULT, VS_OK);
    if (runs_here) {
        vsm_message_add_u64(&w, VSM_TAG_RESUMED_AT, (uint64_t)j->resumed_at);
        vsm_message_add_u64(&w, VSM_TAG_HANDOFF_MS, (uint64_t)j->handoff_ms);
    }
    if (libvirt_down >= 0)
        vsm_message_add_u64(&w, VSM_TAG_LIBVIRT_DOWNTIME_MS, (uint64_t)libvirt_down);
    if (j->error[0])
        vsm_message_add_text(&w, VSM_TAG_MESSAGE, j->error);
    /* the job ends before the source hears it has: a caller who looks next
     * finds nothing of it here */
    long long slot_until = move_unix_ms();
    end_job(r, j->id, dir);
    if (!wire_send_message(r->w, &w, 10000, &err))
        vs_info("job %s: move-end's answer was not sent: %s", j->id, err.message);
    vs_writer_free(&w);
    r->result = runs_here ? VS_OK : j->error[0] ? VS_ERR_DENIED : VS_ERR_FAILED;
    snprintf(r->message, sizeof r->message, "%s", source_result == VS_OK ? "the VM runs here"
             : runs_here ? "the VM runs here, though libvirt on the source failed after it resumed"
             : j->error[0] ? j->error : "the migration failed; the VM stayed on the source");
    r->move = (struct audit_move){ .present = true, .downtime_ms = -1,
                                   .libvirt_downtime_ms = libvirt_down,
                                   .handoff_ms = runs_here ? j->handoff_ms : -1,
                                   .total_ms = wire_now_ms() - t0, .bytes = -1, .iterations = -1,
                                   .role = "destination", .definition_saved = -1,
                                   .queued_ms = -1, .slot_until = slot_until };
}

/* The job lives while the source's connection does: wait for move-end,
 * the one request that connection may carry next; then the job ends. */
static void
hold_job(struct request_ctx *r, const char *id, const char *dir, long long t0)
{
    struct vsm_message *m = malloc(sizeof *m);
    long long deadline = wire_now_ms() + r->s->cfg->move_timeout_ms + 60000;
    char action[32] = "", job[JOB_ID_MAX] = "";
    struct vs_error err;
    void *buf = NULL;
    struct job j;
    int rc;

    r->result = VS_ERR_UNAVAILABLE;
    snprintf(r->message, sizeof r->message, "the source's agent went away during the move");
    rc = m ? wire_recv_message(r->w, m, &buf, deadline, &err) : -1;
    if (rc > 0) {
        vsm_message_text(m, VSM_TAG_ACTION, action, sizeof action);
        vsm_message_text(m, VSM_TAG_JOB, job, sizeof job);
    }
    if (rc > 0 && m->kind == VSM_MSG_REQUEST && strcmp(action, "move-end") == 0 &&
        strcmp(job, id) == 0 && jobs_find(&r->agent->jobs, id, &j)) {
        answer_end(r, m, &j, dir, t0);
    } else {
        if (rc > 0) {
            wire_send_refusal(r->w, VS_ERR_PROTOCOL, "a move's connection carries only its move-end");
            r->reply_failed = true;
        }
        /* the source went away: a VM not handed over is not kept here */
        if (jobs_find(&r->agent->jobs, id, &j) && !j.handed_off)
            forget_failed_incoming(r, &j);
        end_job(r, id, dir);
    }
    free(buf);
    free(m);
}

/* allowed_sources: a move's tunnels (its migration traffic) come from one of
 * them, or none is set. Its preparation comes over the agents' own network,
 * like any request (allowed_subnets). */
static bool
source_allowed(struct request_ctx *r, struct vs_error *err)
{
    const struct agent_config *c = r->s->cfg;

    return r->conn->local ||
           netpick_source_allowed(c->allowed_sources, c->nallowed_sources,
                                  (const struct sockaddr *)&r->conn->addr, r->conn->ip,
                                  r->agent->host, err);
}

/* The prepared move's answer: this host's addresses in its migration
 * networks, in their order, for the source's tunnels. */
static void
reply_prepared(struct request_ctx *r)
{
    const struct agent_config *c = r->s->cfg;
    struct netpick_address addrs[NETPICK_MAX];
    size_t n = netpick_local(c->networks, c->nnetworks, addrs, NETPICK_MAX);
    struct vs_writer w;

    reply_begin(r, &w);
    for (size_t i = 0; i < n; i++) {
        vsm_message_record(&w, VSM_RECORD_ADDRESS);
        vsm_message_add_text(&w, VSM_TAG_NAME, addrs[i].address);
        vsm_message_add_text(&w, VSM_TAG_NETWORK, addrs[i].network);
    }
    reply_send(r, &w, VS_OK, NULL);
}

/* Wait for the job's turn in this host's queue (max_simultaneous); the
 * source waits on its request meanwhile. false with err: cancelled here
 * (vsmigrate cancel JOB --host THIS), or queue_timeout. */
static bool
incoming_queue_wait(struct request_ctx *r, const struct job *j, long long *queued_ms,
                    long long *turn_at, struct vs_error *err)
{
    const struct agent_config *c = r->s->cfg;
    long long t0 = wire_now_ms();
    unsigned place = 0;

    for (;;) {
        enum jobs_turn turn = jobs_wait_turn(&r->agent->jobs, j->id, 500, &place);
        if (turn == JOBS_TURN_GO) {
            *turn_at = move_unix_ms();
            *queued_ms = wire_now_ms() - t0;
            return true;
        }
        if (turn != JOBS_TURN_WAIT) {
            vs_error_set(err, VS_ERR_FAILED, "job %s was cancelled on %s while it waited there "
                         "for a migration slot", j->id, r->agent->host);
            return false;
        }
        if (wire_now_ms() - t0 >= c->queue_timeout_ms) {
            vs_error_set(err, VS_ERR_TIMEOUT, "job %s waited queue_timeout (%lld s) for a "
                         "migration slot on %s and was still at place %u (max_simultaneous = %d "
                         "there): try again later", j->id, c->queue_timeout_ms / 1000,
                         r->agent->host, place, c->max_simultaneous);
            return false;
        }
    }
}

void
do_move_prepare(struct request_ctx *r)
{
    struct job *j = calloc(1, sizeof *j);
    struct vs_error err;
    char *xml, dir[256];
    long long t0 = wire_now_ms(), queued_ms = 0, turn_at = 0;

    if (j == NULL) {
        reply_error(r, VS_ERR_NOMEM, "out of memory");
        return;
    }
    vsm_message_text(r->req, VSM_TAG_VM, r->vm, sizeof r->vm);
    vsm_message_text(r->req, VSM_TAG_FROM, r->from, sizeof r->from);
    vsm_message_text(r->req, VSM_TAG_JOB, r->job, sizeof r->job);
    snprintf(r->to, sizeof r->to, "%s", r->agent->host);
    xml = vsm_message_strdup(r->req, VSM_TAG_DOMAIN_XML);
    if (xml == NULL) {
        reply_error(r, VS_ERR_INVALID, "move-prepare needs the VM's definition");
    } else if (!incoming_job(r, xml, j, &err) || !jobs_add(&r->agent->jobs, j, &err)) {
        reply_error(r, err.code, err.message);
    } else if (!move_job_dir(r->s->cfg, j->id, dir, sizeof dir, &err)) {
        jobs_remove(&r->agent->jobs, j->id);
        reply_error(r, err.code, err.message);
    } else if (!j->defined_before && !move_job_note_incoming(dir, j->vm, &err)) {
        end_job(r, j->id, dir);
        reply_error(r, err.code, err.message);
    } else if (!incoming_queue_wait(r, j, &queued_ms, &turn_at, &err)) {
        end_job(r, j->id, dir);
        reply_error(r, err.code, err.message);
    } else {
        reply_prepared(r);
        if (r->reply_failed)
            end_job(r, j->id, dir);
        else
            hold_job(r, j->id, dir, t0);
        r->move.queued_ms = queued_ms;   /* for the audit record, when the move got that far */
        r->move.slot_from = turn_at;
    }
    free(xml);
    free(j);
}

void
do_move_end(struct request_ctx *r)
{
    vsm_message_text(r->req, VSM_TAG_JOB, r->job, sizeof r->job);
    reply_error(r, VS_ERR_NOTFOUND, "move-end belongs on the connection that prepared the move");
}

/* ---- tunnels ----------------------------------------------------------------------------- */

static int
connect_local(const char *path, long long wait_ms, struct vs_error *err)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    long long deadline = wire_now_ms() + wait_ms;

    if (strlen(path) >= sizeof sun.sun_path) {
        vs_error_set(err, VS_ERR_INVALID, "%s is too long for a unix socket", path);
        return -1;
    }
    memcpy(sun.sun_path, path, strlen(path) + 1);
    for (;;) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0)
            return fd;
        int e = errno;
        if (fd >= 0)
            close(fd);
        /* QEMU binds its incoming socket during libvirt's Prepare */
        if ((e != ENOENT && e != ECONNREFUSED) || wire_now_ms() >= deadline) {
            vs_error_set(err, VS_ERR_UNAVAILABLE, "cannot reach %s: %s", path, strerror(e));
            return -1;
        }
        struct timespec pause = { 0, 20 * 1000000L };
        nanosleep(&pause, NULL);
    }
}

void
do_tunnel(struct request_ctx *r)
{
    const struct agent_config *c = r->s->cfg;
    char channel_name[32] = "", path[300], msg[1024];
    enum tunnel_channel ch;
    struct tunnel_tls *tls = NULL;
    struct tunnel_counts counts;
    uint8_t psk[TUNNEL_PSK_LEN];
    struct vs_error err;
    struct job j;
    int fd;

    vsm_message_text(r->req, VSM_TAG_JOB, r->job, sizeof r->job);
    vsm_message_text(r->req, VSM_TAG_CHANNEL, channel_name, sizeof channel_name);
    if (!tunnel_channel_parse(channel_name, &ch)) {
        reply_error(r, VS_ERR_INVALID, "a tunnel's channel is libvirt or migration");
        return;
    }
    if (!source_allowed(r, &err)) {
        reply_error(r, err.code, err.message);
        return;
    }
    /* only for a running move's job, from the host that job names */
    if (!jobs_find(&r->agent->jobs, r->job, &j) || j.role != JOB_DESTINATION ||
        !vs_host_same(j.from, r->who->via)) {
        snprintf(msg, sizeof msg, "no move %s from %s is coming to %s: a tunnel is open only "
                 "for a running move, to the host that started it", r->job, r->who->via,
                 r->agent->host);
        reply_error(r, VS_ERR_DENIED, msg);
        return;
    }
    snprintf(r->vm, sizeof r->vm, "%s", j.vm);
    snprintf(r->from, sizeof r->from, "%s", j.from);
    if (ch == TUNNEL_LIBVIRT)
        snprintf(path, sizeof path, "%s", c->libvirt_socket);
    else
        snprintf(path, sizeof path, "%s/jobs/%s/migration.sock", c->runtime_dir, j.id);
    fd = connect_local(path, ch == TUNNEL_LIBVIRT ? 1000 : MIGRATION_SOCKET_WAIT_MS, &err);
    if (fd < 0) {
        reply_error(r, err.code, err.message);
        return;
    }
    reply_error(r, VS_OK, NULL);
    /* from here the socket carries TLS records, not messages: the session ends after */
    r->reply_failed = true;
    if (!tunnel_psk(r->accepted, j.id, ch, psk, &err) ||
        !tunnel_tls_start(r->w->fd, false, psk, 30000, &tls, &err) ||
        !tunnel_relay(fd, tls, &counts, &err)) {
        r->result = err.code;
        snprintf(r->message, sizeof r->message, "%.16s tunnel: %.900s", channel_name, err.message);
    }
    memset(psk, 0, sizeof psk);
    tunnel_tls_free(tls);
    close(fd);
}
