/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/session.c: one connection to vsmigrated, in its own thread.
 *
 * Authenticate (GSSAPI on TCP, SO_PEERCRED on the unix socket), authorise
 * (deny by default), then serve requests one at a time until the client
 * closes, goes idle, or sends anything that cannot be trusted. */
#include <config.h>

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "hostagent/audit.h"
#include "hostagent/daemon.h"

static void
audit_refusal(const struct conn *c, const char *user, const char *via, const char *action,
              enum vs_errcode code, const char *message, long long t0)
{
    struct audit_record a = {
        .user = user, .via = via, .address = c->address, .action = action, .result = code,
        .message = message, .duration_ms = wire_now_ms() - t0,
    };
    audit_write(c->agent->host, &a);
}

/* Unix socket: root, or a member of local_group. */
static bool
local_caller(struct conn *c, int fd, char *who, size_t wholen, struct vs_error *err)
{
    struct ucred cr;
    socklen_t len = sizeof cr;
    const char *group = c->settings->cfg->local_group;
    char buf[4096];
    struct passwd pw, *pwp = NULL;

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0) {
        vs_error_set(err, VS_ERR_INTERNAL, "cannot tell who is calling (SO_PEERCRED failed)");
        return false;
    }
    getpwuid_r(cr.uid, &pw, buf, sizeof buf, &pwp);
    snprintf(who, wholen, "uid %u (%s)", (unsigned)cr.uid, pwp ? pwp->pw_name : "?");
    snprintf(c->address, sizeof c->address, "local pid %d", (int)cr.pid);
    if (cr.uid == 0)
        return true;
    if (group != NULL && pwp != NULL) {
        struct group gr, *grp = NULL;
        char gbuf[8192];
        gid_t groups[256];
        int n = 256;
        if (getgrnam_r(group, &gr, gbuf, sizeof gbuf, &grp) == 0 && grp != NULL &&
            getgrouplist(pwp->pw_name, pwp->pw_gid, groups, &n) >= 0) {
            for (int i = 0; i < n; i++)
                if (groups[i] == grp->gr_gid)
                    return true;
        }
    }
    vs_error_set(err, VS_ERR_DENIED, "%s may not use the local vsmigrated: run as root%s%s%s",
                 who, group ? " or as a member of the group '" : "", group ? group : "",
                 group ? "'" : " (or set local_group in [auth])");
    return false;
}

static void
serve_requests(struct wire *w, struct conn *c, const struct authz_decision *who,
               const char *caller)
{
    struct settings *s = c->settings;
    struct vsm_message *m = malloc(sizeof *m);

    if (m == NULL)
        return;
    for (;;) {
        struct vs_error err;
        void *buf = NULL;
        char action[64] = "";
        long long t0;
        int rc = wire_recv_message(w, m, &buf, wire_now_ms() + s->cfg->idle_timeout_ms, &err);

        if (rc == 0)
            break;
        if (rc < 0) {
            if (err.code == VS_ERR_TIMEOUT)
                vs_debug("%s (%s): closed after idling", c->address, caller);
            else {
                audit_refusal(c, caller, who->via[0] ? who->via : NULL, "protocol", err.code,
                              err.message, wire_now_ms());
                wire_send_refusal(w, err.code, err.message);
            }
            break;
        }
        t0 = wire_now_ms();
        struct request_ctx r = {
            .agent = c->agent, .w = w, .conn = c, .s = s, .who = who, .req = m,
            .accepted = w->ctx, .caller = caller, .deadline_ms = t0 + s->cfg->request_timeout_ms,
        };
        enum vsm_action id;
        if (m->kind != VSM_MSG_REQUEST || !vsm_message_text(m, VSM_TAG_ACTION, action, sizeof action)) {
            free(buf);
            snprintf(r.message, sizeof r.message, "the client sent a %s without an action",
                     m->kind == VSM_MSG_REQUEST ? "request" : "reply or event");
            audit_refusal(c, caller, NULL, "protocol", VS_ERR_PROTOCOL, r.message, t0);
            wire_send_refusal(w, VS_ERR_PROTOCOL, r.message);
            break;
        }
        if (!authz_action_allowed(who->role, action, &id, &err)) {
            struct vs_writer rw;
            vs_writer_init(&rw, 4096);
            vsm_message_begin(&rw, VSM_MSG_REPLY, m->id);
            vsm_message_add_u64(&rw, VSM_TAG_RESULT, err.code);
            vsm_message_add_text(&rw, VSM_TAG_MESSAGE, err.message);
            struct vs_error send_err;
            bool sent = wire_send_message(w, &rw, 10000, &send_err);
            vs_writer_free(&rw);
            audit_refusal(c, caller, who->via[0] ? who->via : NULL, action, VS_ERR_DENIED,
                          err.message, t0);
            free(buf);
            if (!sent)
                break;   /* a client that does not read its refusals gets no more */
            continue;
        }
        request_handle(&r, id);
        struct audit_record a = {
            .user = caller, .via = who->via[0] ? who->via : NULL, .address = c->address,
            .action = action, .vm = r.vm[0] ? r.vm : NULL, .from = r.from[0] ? r.from : NULL,
            .to = r.to[0] ? r.to : NULL, .job = r.job[0] ? r.job : NULL, .result = r.result,
            .message = r.message[0] ? r.message : NULL, .duration_ms = wire_now_ms() - t0,
            .move = &r.move,
        };
        audit_write(c->agent->host, &a);
        free(buf);
        if (r.reply_failed)
            break;
    }
    free(m);
}

/* the Kerberos exchange is complete: the connection no longer makes way */
static bool
handshake_established(void *arg)
{
    struct conn *c = arg;

    return conns_mark_established(c->agent, c);
}

void *
session_run(void *arg)
{
    struct conn *c = arg;
    struct settings *s = c->settings;
    const struct agent_config *cfg = s->cfg;
    struct wire w;
    struct vs_error err;
    struct authz_decision who;
    char caller[512];
    long long t0 = wire_now_ms();

    wire_init(&w, c->fd, c->address);
    memset(&who, 0, sizeof who);
    if (c->local) {
        if (!local_caller(c, c->fd, caller, sizeof caller, &err)) {
            audit_refusal(c, caller, NULL, "connect", err.code, err.message, t0);
            wire_send_refusal(&w, err.code, err.message);
            goto out;
        }
        who.role = AUTHZ_ADMIN;
        who.user = caller;
        wire_start_sealed(&w);
    } else {
        struct krb_context *ctx;
        krb_accept_begin(s->acc, &ctx, &err);
        if (!wire_handshake_accept(&w, ctx, cfg->handshake_timeout_ms, handshake_established,
                                   c, &err)) {
            /* A failed Kerberos exchange is an attempt to get in: audit it.
             * Noise (a port scan, garbage, a client that went away) is only logged. */
            if (err.code == VS_ERR_AUTH || err.code == VS_ERR_DENIED) {
                struct audit_record a = {
                    .user = "unknown", .address = c->address, .action = "connect",
                    .result = err.code, .message = err.message,
                    .duration_ms = wire_now_ms() - t0,
                };
                audit_write_refusal(c->agent->host, c->ip, &a);
                wire_send_refusal(&w, err.code, err.message);
            } else {
                vs_debug("%s: dropped before authentication: %s", c->address, err.message);
            }
            goto out;
        }
        const struct krb_peer *peer = krb_context_peer(w.ctx);
        struct authz_subject subj = {
            .principal = peer->principal, .have_pac = peer->have_pac,
            .group_sids = peer->pac.group_sids, .ngroups = peer->pac.ngroups,
            .not_delegated = peer->have_pac && peer->pac.not_delegated,
            .delegated_by = peer->delegated_by, .ndelegated_by = peer->ndelegated_by,
        };
        snprintf(caller, sizeof caller, "%s", peer->principal);
        if (!authz_decide(&s->policy, &subj, &who, &err)) {
            char via[256] = "";
            if (peer->ndelegated_by > 0)
                snprintf(via, sizeof via, "%s", peer->delegated_by[peer->ndelegated_by - 1]);
            audit_refusal(c, caller, via[0] ? via : NULL, "connect", err.code, err.message, t0);
            vs_info("%s: refused %s: %s", c->address, caller, err.message);
            wire_send_refusal(&w, err.code, err.message);
            goto out;
        }
        wire_set_confidential(&w, cfg->confidentiality);
    }
    if (!conns_admit_user(c->agent, c, caller, &err)) {
        audit_refusal(c, caller, who.via[0] ? who.via : NULL, "connect", err.code, err.message, t0);
        wire_send_refusal(&w, err.code, err.message);
        goto out;
    }
    vs_debug("%s: %s authenticated (%s%s%s)", c->address, caller, authz_role_name(who.role),
             who.via[0] ? " via " : "", who.via);
    serve_requests(&w, c, &who, caller);
out:
    conns_forget(c->agent, c);
    wire_close(&w);   /* closes c->fd, now that nobody can shut it down */
    settings_put(c->agent, s);
    free(c);
    return NULL;
}
