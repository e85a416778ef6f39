/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/client.h: calling an agent, for the CLI and for a host that
 * carries a request on to its peer.
 *
 * Three ways to authenticate: with the caller's own tickets (the admin's
 * workstation), as the client of an accepted context through S4U2Proxy
 * (hop 2: the admin, by constrained delegation), or as this host's machine
 * account (a host asking its peer a read-only question). */
#ifndef VSM_HOSTAGENT_CLIENT_H
#define VSM_HOSTAGENT_CLIENT_H

#include <stdbool.h>

#include "common/buf.h"
#include "common/error.h"
#include "hostagent/message.h"
#include "hostagent/wire.h"
#include "krb/krb.h"

enum agent_open_stage {
    AGENT_STAGE_NONE,
    AGENT_STAGE_CREDENTIALS,   /* getting the ticket: no TGT, the KDC refused the delegation, ... */
    AGENT_STAGE_CONNECT,       /* the TCP connection */
    AGENT_STAGE_HANDSHAKE,     /* the exchange, or the server refused us */
};

struct agent_target {
    const char *host;
    const char *address;       /* connect here instead of host (a migration network); the SPN stays host's */
    int port;
    const char *spn;           /* NULL: vsmigrate/<host>@<default realm> */
    bool confidential;
    long long timeout_ms;
    long long connect_timeout_ms;  /* with address: give up connecting sooner (0: timeout_ms) */
};

/* Exactly one of proxy and as_host may be set; neither: own tickets.
 * On failure *stage says where it failed. A handshake the server closes
 * without a word (it makes room for others under a burst) is tried again a
 * few times; a refusal is not. */
bool agent_open(struct wire *w, const struct agent_target *t, struct krb_context *proxy,
                struct krb_acceptor *as_host, enum agent_open_stage *stage, struct vs_error *err);
bool agent_open_local(struct wire *w, const char *socket_path, struct vs_error *err);

/* Start a request on w: a new id, the action. Add fields, then agent_call. */
void agent_request_begin(struct wire *w, struct vs_writer *req, const char *action);

/* Send req and wait for its reply; each EVENT of the request goes to
 * on_event first. The reply is in *reply (pointing into *buf: free it). */
bool agent_call(struct wire *w, struct vs_writer *req,
                void (*on_event)(const struct vsm_message *ev, void *opaque), void *opaque,
                struct vsm_message *reply, void **buf, long long timeout_ms, struct vs_error *err);

/* agent_call for a request that has no events, then its result: true when
 * 0; otherwise err holds the reply's code and message. */
bool agent_call_ok(struct wire *w, struct vs_writer *req, struct vsm_message *reply, void **buf,
                   long long timeout_ms, struct vs_error *err);

/* One question from this host to a peer's agent, as this host (as_host),
 * on a connection of its own: open, `action` with the JOB and VM fields
 * (NULL: not sent), agent_call_ok within timeout_ms, close. With reply, a
 * successful reply is left in *reply and *buf for the caller to read and
 * free (both NULL otherwise); without, it is dropped. false with err (not
 * reached, or the peer's refusal in its own words). */
bool agent_ask_as_host(const struct agent_target *t, struct krb_acceptor *as_host,
                       const char *action, const char *job, const char *vm,
                       long long timeout_ms, struct vsm_message **reply, void **buf,
                       struct vs_error *err);

#endif
