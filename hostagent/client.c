/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/client.c: opening a connection to an agent and calling it. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <stdint.h>
#include <unistd.h>

#include "hostagent/client.h"

static bool
open_once(struct wire *w, const struct agent_target *t, struct krb_context *proxy,
          struct krb_acceptor *as_host, enum agent_open_stage *stage, struct vs_error *err)
{
    struct krb_context *ctx = NULL;
    char *spn = NULL;
    void *first = NULL;
    size_t firstlen = 0;
    bool done = false, ok;
    int fd;

    *stage = AGENT_STAGE_CREDENTIALS;
    wire_init(w, -1, t->host);
    if (t->spn == NULL && !krb_service_principal_for("vsmigrate", t->host, &spn, err))
        return false;
    ok = as_host ? krb_initiate_as_host(t->spn ? t->spn : spn, as_host, &ctx, err)
                 : krb_initiate_begin(t->spn ? t->spn : spn, proxy, &ctx, err);
    free(spn);
    /* The first step asks the KDC for the ticket (S4U2Proxy included), so
     * a refused delegation shows here, before anything is sent. */
    if (!ok || !krb_context_step(ctx, NULL, 0, &first, &firstlen, &done, err)) {
        krb_context_free(ctx);
        return false;
    }
    *stage = AGENT_STAGE_CONNECT;
    fd = wire_connect_tcp(t->address ? t->address : t->host, t->port,
                          t->address && t->connect_timeout_ms ? t->connect_timeout_ms : t->timeout_ms, err);
    if (fd < 0) {
        free(first);
        krb_context_free(ctx);
        return false;
    }
    wire_init(w, fd, t->host);
    wire_set_confidential(w, t->confidential);
    *stage = AGENT_STAGE_HANDSHAKE;
    if (!wire_handshake_initiate(w, ctx, first, firstlen, done, t->timeout_ms, err)) {
        wire_close(w);
        return false;
    }
    *stage = AGENT_STAGE_NONE;
    return true;
}

/* A server under a burst of new connections keeps its limits on unfinished
 * handshakes (vsmigrated's [limits]) by closing a connection with no word:
 * the newcomer while every unfinished handshake is young, else the oldest.
 * A handshake closed or reset that way is tried again, after a random pause
 * that grows, for up to about 15 s; nothing was asked yet, so a second try
 * is always safe. A refusal (an ERROR frame) is final. */
/* 10: 200 clients from one address against the default 8 unfinished
 * handshakes per address, on a loaded 2-core host (tests/integration/71) */
#define OPEN_ATTEMPTS 10
#define OPEN_PAUSE_GROWS 5         /* the pause stops growing after this try */

static bool
open_again(int attempt, enum agent_open_stage stage, const struct vs_error *err)
{
    return attempt < OPEN_ATTEMPTS && stage == AGENT_STAGE_HANDSHAKE &&
           (err->code == VS_ERR_UNAVAILABLE || err->code == VS_ERR_IO);
}

bool
agent_open(struct wire *w, const struct agent_target *t, struct krb_context *proxy,
           struct krb_acceptor *as_host, enum agent_open_stage *stage, struct vs_error *err)
{
    for (int attempt = 1;; attempt++) {
        if (open_once(w, t, proxy, as_host, stage, err))
            return true;
        if (!open_again(attempt, *stage, err))
            return false;
        /* each process (and thread) its own draw, or a burst's clients
         * would all come back at the same moment */
        static _Thread_local unsigned seed;
        if (seed == 0)
            seed = (unsigned)getpid() * 2654435761u ^ (unsigned)wire_now_ms() ^ (unsigned)(uintptr_t)&seed;
        int grow = attempt < OPEN_PAUSE_GROWS ? attempt : OPEN_PAUSE_GROWS;
        struct timespec pause = { 0, (100 + rand_r(&seed) % 300) * 1000000L * grow };
        pause.tv_sec = pause.tv_nsec / 1000000000L;
        pause.tv_nsec %= 1000000000L;
        nanosleep(&pause, NULL);
    }
}

bool
agent_open_local(struct wire *w, const char *socket_path, struct vs_error *err)
{
    int fd = wire_connect_unix(socket_path, err);

    wire_init(w, fd, "the local vsmigrated");
    if (fd < 0)
        return false;
    wire_start_sealed(w);
    return true;
}

void
agent_request_begin(struct wire *w, struct vs_writer *req, const char *action)
{
    vs_writer_init(req, VSM_FRAME_SEALED_MAX - 1024);
    if (w->next_id == 0)
        w->next_id = 1;
    vsm_message_begin(req, VSM_MSG_REQUEST, w->next_id++);
    vsm_message_add_text(req, VSM_TAG_ACTION, action);
}

bool
agent_call(struct wire *w, struct vs_writer *req,
           void (*on_event)(const struct vsm_message *ev, void *opaque), void *opaque,
           struct vsm_message *reply, void **buf, long long timeout_ms, struct vs_error *err)
{
    uint32_t id = vsm_message_writer_id(req);

    *buf = NULL;
    if (!wire_send_message(w, req, timeout_ms, err))
        return false;
    for (;;) {
        /* each event restarts the wait: a long job reports progress */
        int rc = wire_recv_message(w, reply, buf, wire_now_ms() + timeout_ms, err);
        if (rc == 0) {
            vs_error_set(err, VS_ERR_PROTOCOL, "%s closed the connection without answering",
                         w->peer_name);
            return false;
        }
        if (rc < 0)
            return false;
        if (reply->id != id || reply->kind == VSM_MSG_REQUEST) {
            vs_error_set(err, VS_ERR_PROTOCOL, "%s answered request %u with a %s for request %u: "
                         "run the same vsmigrate version on both sides", w->peer_name, id,
                         reply->kind == VSM_MSG_REQUEST ? "request" : "message", reply->id);
            free(*buf);
            *buf = NULL;
            return false;
        }
        if (reply->kind == VSM_MSG_REPLY)
            return true;
        if (on_event)
            on_event(reply, opaque);
        free(*buf);
        *buf = NULL;
    }
}

bool
agent_call_ok(struct wire *w, struct vs_writer *req, struct vsm_message *reply, void **buf,
              long long timeout_ms, struct vs_error *err)
{
    uint64_t code = VS_ERR_PROTOCOL;
    char msg[1024] = "";

    if (!agent_call(w, req, NULL, NULL, reply, buf, timeout_ms, err))
        return false;
    vsm_message_u64(reply, VSM_TAG_RESULT, &code);
    vsm_message_text(reply, VSM_TAG_MESSAGE, msg, sizeof msg);
    if (code == VS_OK)
        return true;
    vs_error_set(err, code < VS_ERR__COUNT ? (enum vs_errcode)code : VS_ERR_PROTOCOL, "%s",
                 msg[0] ? msg : "refused without a reason");
    return false;
}

bool
agent_ask_as_host(const struct agent_target *t, struct krb_acceptor *as_host,
                  const char *action, const char *job, const char *vm,
                  long long timeout_ms, struct vsm_message **reply, void **buf,
                  struct vs_error *err)
{
    struct vsm_message *msg = malloc(sizeof *msg);
    enum agent_open_stage stage;
    struct vs_writer req;
    struct wire w;
    void *msgbuf = NULL;
    bool ok;

    if (reply != NULL) {
        *reply = NULL;
        *buf = NULL;
    }
    if (msg == NULL) {
        vs_error_set(err, VS_ERR_NOMEM, "out of memory");
        return false;
    }
    if (!agent_open(&w, t, NULL, as_host, &stage, err)) {
        free(msg);
        return false;
    }
    agent_request_begin(&w, &req, action);
    if (job != NULL)
        vsm_message_add_text(&req, VSM_TAG_JOB, job);
    if (vm != NULL)
        vsm_message_add_text(&req, VSM_TAG_VM, vm);
    ok = agent_call_ok(&w, &req, msg, &msgbuf, timeout_ms, err);
    vs_writer_free(&req);
    wire_close(&w);
    if (ok && reply != NULL) {
        *reply = msg;
        *buf = msgbuf;
        return true;
    }
    free(msgbuf);
    free(msg);
    return ok;
}
