/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/wire.h: one protocol connection over a socket, both ends.
 *
 * Frames with deadlines (every read and write is bounded in time, so a
 * peer that trickles bytes cannot hold a thread), the GSSAPI handshake in
 * TOKEN frames, and messages sealed with krb/'s wrap. On the unix socket
 * there is no GSSAPI: the kernel vouches for the caller (SO_PEERCRED) and
 * messages travel in SEALED frames unwrapped. */
#ifndef VSM_HOSTAGENT_WIRE_H
#define VSM_HOSTAGENT_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "hostagent/frame.h"
#include "hostagent/message.h"
#include "krb/krb.h"

struct wire {
    int fd;
    struct vsm_frame_reader rd;
    struct krb_context *ctx;   /* NULL: a local (unix socket) connection */
    bool confidential;         /* wrap with confidentiality, not only integrity */
    long long frame_timeout_ms;   /* once a frame has started, it must finish within this */
    uint32_t next_id;          /* client side: request ids */
    char peer_name[256];       /* for messages: "hosta.lab.test:6600" or "the local daemon" */
};

/* Milliseconds on the monotonic clock. */
long long wire_now_ms(void);

void wire_init(struct wire *w, int fd, const char *peer_name);
/* A unix-socket connection: no handshake, messages travel in SEALED frames
 * from the first byte (the kernel vouched for the caller). */
void wire_start_sealed(struct wire *w);
/* Wrap messages with confidentiality (true) or integrity only (false). */
void wire_set_confidential(struct wire *w, bool confidential);
/* Close the socket and free the context. */
void wire_close(struct wire *w);

bool wire_send_frame(struct wire *w, enum vsm_frame_type type, const void *p, size_t len,
                     long long deadline_ms, struct vs_error *err);
/* 1: a frame in *f (valid until the next call); 0: the peer closed cleanly
 * between frames; -1: err says why (a timeout is VS_ERR_TIMEOUT). The first
 * byte must come before deadline_ms; then the rest within frame_timeout_ms. */
int wire_recv_frame(struct wire *w, struct vsm_frame *f, long long deadline_ms,
                    struct vs_error *err);

/* Client side: authenticate to the server with ctx (taken over) within
 * timeout_ms. first/firstlen (taken over) is the token of ctx's first step,
 * made before connecting so that a credential problem (no ticket, a
 * delegation the KDC refuses) is told apart from the server's refusal;
 * first_done says that step completed the context. An ERROR frame from the
 * server becomes err's message, with the frame's code. */
bool wire_handshake_initiate(struct wire *w, struct krb_context *ctx, void *first, size_t firstlen,
                             bool first_done, long long timeout_ms, struct vs_error *err);
/* Server side: accept with ctx (taken over) until complete, all within
 * timeout_ms. Once the context is complete, before the last token goes,
 * established(arg) is asked whether the connection may go on (NULL: yes):
 * the client takes that token as the end of the handshake. The caller then
 * authorises krb_context_peer(w->ctx). */
bool wire_handshake_accept(struct wire *w, struct krb_context *ctx, long long timeout_ms,
                           bool (*established)(void *arg), void *arg, struct vs_error *err);
/* Tell the peer why it is refused, in one ERROR frame with the kind of
 * refusal as a code (best effort). */
void wire_send_refusal(struct wire *w, enum vs_errcode code, const char *why);

/* Send a message built with vsm_message_* (checked, then wrapped). */
bool wire_send_message(struct wire *w, struct vs_writer *msg, long long timeout_ms,
                       struct vs_error *err);
/* Receive one message: *buf holds its bytes (free it after use; m points
 * into it). 1 ok, 0 the peer closed between messages, -1 error. Any unwrap
 * status other than OK is an error: after a bad message the stream cannot
 * be trusted (docs/protocol.md). An ERROR frame becomes err's message
 * with the frame's code. */
int wire_recv_message(struct wire *w, struct vsm_message *m, void **buf, long long deadline_ms,
                      struct vs_error *err);

/* Connect to host:port over TCP within timeout_ms; -1 with err. */
int wire_connect_tcp(const char *host, int port, long long timeout_ms, struct vs_error *err);

/* A peer that dies without a word (a power loss: no FIN, no RST) must not
 * hold a connection, a job or a tunnel for the ~15 minutes of Linux's
 * retransmissions: TCP keepalives (10 s idle, 3 probes 5 s apart) and
 * TCP_USER_TIMEOUT end fd's connection after about WIRE_PEER_SILENCE_MS of
 * silence. Every agent connection, both ends, gets it. */
#define WIRE_PEER_SILENCE_MS 30000
void wire_tcp_liveness(int fd);
/* Connect to a unix socket; -1 with err. */
int wire_connect_unix(const char *path, struct vs_error *err);

#endif
