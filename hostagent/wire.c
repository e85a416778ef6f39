/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/wire.c: frames over a socket with deadlines, the handshake, sealed messages. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "hostagent/wire.h"

#define DEFAULT_FRAME_TIMEOUT_MS 30000

long long
wire_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
wire_init(struct wire *w, int fd, const char *peer_name)
{
    memset(w, 0, sizeof *w);
    w->fd = fd;
    w->frame_timeout_ms = DEFAULT_FRAME_TIMEOUT_MS;
    w->next_id = 1;
    snprintf(w->peer_name, sizeof w->peer_name, "%s", peer_name);
    vsm_frame_reader_init(&w->rd, VSM_PHASE_HANDSHAKE);
}

void
wire_start_sealed(struct wire *w)
{
    vsm_frame_reader_set_phase(&w->rd, VSM_PHASE_SEALED);
}

void
wire_set_confidential(struct wire *w, bool confidential)
{
    w->confidential = confidential;
}

void
wire_close(struct wire *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    krb_context_free(w->ctx);
    w->ctx = NULL;
    vsm_frame_reader_free(&w->rd);
}

/* Wait until fd is ready for events or the deadline passes. */
static bool
wait_ready(struct wire *w, short events, long long deadline_ms, const char *doing,
           struct vs_error *err)
{
    for (;;) {
        long long left = deadline_ms - wire_now_ms();
        if (left <= 0) {
            vs_error_set(err, VS_ERR_TIMEOUT, "timed out %s %s", doing, w->peer_name);
            return false;
        }
        struct pollfd p = { .fd = w->fd, .events = events };
        int rc = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (rc > 0)
            return true;
        if (rc < 0 && errno != EINTR) {
            vs_error_set(err, VS_ERR_IO, "poll: %s", strerror(errno));
            return false;
        }
    }
}

static bool
send_all(struct wire *w, const uint8_t *p, size_t len, long long deadline_ms, struct vs_error *err)
{
    while (len > 0) {
        ssize_t n = send(w->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            if (!wait_ready(w, POLLOUT, deadline_ms, "sending to", err))
                return false;
            continue;
        }
        vs_error_set(err, VS_ERR_IO, "the connection to %s was lost while sending (%s)",
                     w->peer_name, n < 0 ? strerror(errno) : "closed");
        return false;
    }
    return true;
}

bool
wire_send_frame(struct wire *w, enum vsm_frame_type type, const void *p, size_t len,
                long long deadline_ms, struct vs_error *err)
{
    struct vs_writer out;
    bool ok;

    vs_writer_init(&out, VSM_FRAME_HEADER + VSM_FRAME_MAX);
    if (!vsm_frame_write(&out, type, p, len)) {
        vs_writer_free(&out);
        vs_error_set(err, VS_ERR_INTERNAL, "a %s frame of %zu bytes is over its limit",
                     vsm_frame_type_name(type), len);
        return false;
    }
    ok = send_all(w, out.data, out.len, deadline_ms, err);
    vs_writer_free(&out);
    return ok;
}

int
wire_recv_frame(struct wire *w, struct vsm_frame *f, long long deadline_ms, struct vs_error *err)
{
    long long frame_deadline = 0;

    if (w->rd.ready)
        vsm_frame_reader_consume(&w->rd);
    for (;;) {
        int rc = vsm_frame_reader_next(&w->rd, f, err);
        if (rc != 0)
            return rc;
        /* Slow-loris: once any byte of a frame is here, the whole frame has
         * frame_timeout_ms, however long the wait for its first byte was. */
        if (w->rd.used > 0 && frame_deadline == 0) {
            frame_deadline = wire_now_ms() + w->frame_timeout_ms;
            if (frame_deadline < deadline_ms || deadline_ms <= 0)
                deadline_ms = frame_deadline;
        }
        if (!wait_ready(w, POLLIN, deadline_ms, w->rd.used ? "reading a frame from" : "waiting for",
                        err))
            return -1;
        size_t room;
        uint8_t *space = vsm_frame_reader_space(&w->rd, &room);
        ssize_t n = recv(w->fd, space, room, MSG_DONTWAIT);
        if (n > 0) {
            vsm_frame_reader_commit(&w->rd, (size_t)n);
            continue;
        }
        if (n == 0) {
            if (w->rd.used == 0)
                return 0;
            vs_error_set(err, VS_ERR_PROTOCOL, "%s closed the connection in the middle of a frame",
                         w->peer_name);
            return -1;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            continue;
        vs_error_set(err, VS_ERR_IO, "the connection to %s was lost (%s)", w->peer_name,
                     strerror(errno));
        return -1;
    }
}

/* An ERROR frame's text, made safe to print. */
/* An ERROR frame: u8 error code, then a sentence (docs/protocol.md). Bytes
 * that are not printable ASCII are shown as '?'; a code we do not know reads
 * as a refusal. */
static void
error_from_refusal(struct wire *w, const struct vsm_frame *f, struct vs_error *err)
{
    char text[VSM_FRAME_ERROR_MAX + 1];
    enum vs_errcode code = VS_ERR_DENIED;
    size_t n = 0;

    if (f->len > 0 && f->payload[0] > VS_OK && f->payload[0] < VS_ERR__COUNT)
        code = (enum vs_errcode)f->payload[0];
    for (size_t i = 1; i < f->len && n < sizeof text - 1; i++)
        text[n++] = f->payload[i] >= 0x20 && f->payload[i] < 0x7f ? (char)f->payload[i] : '?';
    text[n] = '\0';
    vs_error_set(err, code, "%s refused: %s", w->peer_name, text);
}

bool
wire_handshake_initiate(struct wire *w, struct krb_context *ctx, void *first, size_t firstlen,
                        bool first_done, long long timeout_ms, struct vs_error *err)
{
    long long deadline = wire_now_ms() + timeout_ms;
    const void *in = NULL;
    size_t inlen = 0;
    bool done = first_done;
    void *out = first;
    size_t outlen = firstlen;

    w->ctx = ctx;
    for (;;) {
        struct vsm_frame f;
        if (outlen > 0) {
            bool ok = wire_send_frame(w, VSM_FRAME_TOKEN, out, outlen, deadline, err);
            free(out);
            out = NULL;
            if (!ok)
                return false;
        }
        free(out);
        out = NULL;
        if (done)
            break;
        int rc = wire_recv_frame(w, &f, deadline, err);
        if (rc == 0) {
            /* without an ERROR frame: not a refusal, but a server that made
             * room for others (or went away) */
            vs_error_set(err, VS_ERR_UNAVAILABLE, "%s closed the connection during "
                         "authentication without saying why (it may be busy: try again)",
                         w->peer_name);
            return false;
        }
        if (rc < 0)
            return false;
        if (f.type == VSM_FRAME_ERROR) {
            error_from_refusal(w, &f, err);
            return false;
        }
        in = f.payload;
        inlen = f.len;
        if (!krb_context_step(ctx, in, inlen, &out, &outlen, &done, err))
            return false;
    }
    if (w->rd.ready)
        vsm_frame_reader_consume(&w->rd);
    vsm_frame_reader_set_phase(&w->rd, VSM_PHASE_SEALED);
    return true;
}

bool
wire_handshake_accept(struct wire *w, struct krb_context *ctx, long long timeout_ms,
                      bool (*established)(void *arg), void *arg, struct vs_error *err)
{
    long long deadline = wire_now_ms() + timeout_ms;
    bool done = false;

    w->ctx = ctx;
    w->frame_timeout_ms = timeout_ms;
    while (!done) {
        struct vsm_frame f;
        void *out = NULL;
        size_t outlen = 0;
        int rc = wire_recv_frame(w, &f, deadline, err);
        if (rc == 0) {
            vs_error_set(err, VS_ERR_PROTOCOL, "the client closed the connection before "
                         "authenticating");
            return false;
        }
        if (rc < 0)
            return false;
        if (f.type != VSM_FRAME_TOKEN) {
            vs_error_set(err, VS_ERR_PROTOCOL, "the client sent a %s frame instead of a token",
                         vsm_frame_type_name(f.type));
            return false;
        }
        if (!krb_context_step(ctx, f.payload, f.len, &out, &outlen, &done, err)) {
            free(out);
            return false;
        }
        if (done && established && !established(arg)) {
            free(out);
            vs_error_set(err, VS_ERR_UNAVAILABLE, "the connection made way for newer ones "
                         "before its handshake ended (the limits in [limits])");
            return false;
        }
        if (outlen > 0) {
            bool ok = wire_send_frame(w, VSM_FRAME_TOKEN, out, outlen, deadline, err);
            free(out);
            if (!ok)
                return false;
        }
    }
    vsm_frame_reader_consume(&w->rd);
    vsm_frame_reader_set_phase(&w->rd, VSM_PHASE_SEALED);
    w->frame_timeout_ms = DEFAULT_FRAME_TIMEOUT_MS;
    return true;
}

void
wire_send_refusal(struct wire *w, enum vs_errcode code, const char *why)
{
    struct vs_error ignored;
    uint8_t buf[VSM_FRAME_ERROR_MAX];
    size_t n = strlen(why);

    if (n > sizeof buf - 1)
        n = sizeof buf - 1;
    buf[0] = (uint8_t)(code > VS_OK && code < VS_ERR__COUNT ? code : VS_ERR_DENIED);
    memcpy(buf + 1, why, n);
    wire_send_frame(w, VSM_FRAME_ERROR, buf, n + 1, wire_now_ms() + 2000, &ignored);
}

bool
wire_send_message(struct wire *w, struct vs_writer *msg, long long timeout_ms, struct vs_error *err)
{
    void *sealed = NULL;
    size_t sealedlen;
    bool ok;

    if (!vsm_message_end(msg, err))
        return false;
    if (w->ctx == NULL)
        return wire_send_frame(w, VSM_FRAME_SEALED, msg->data, msg->len,
                               wire_now_ms() + timeout_ms, err);
    if (!krb_wrap(w->ctx, w->confidential, msg->data, msg->len, &sealed, &sealedlen, err))
        return false;
    ok = wire_send_frame(w, VSM_FRAME_SEALED, sealed, sealedlen, wire_now_ms() + timeout_ms, err);
    free(sealed);
    return ok;
}

int
wire_recv_message(struct wire *w, struct vsm_message *m, void **buf, long long deadline_ms,
                  struct vs_error *err)
{
    struct vsm_frame f;
    size_t len;
    int rc;

    *buf = NULL;
    rc = wire_recv_frame(w, &f, deadline_ms, err);
    if (rc <= 0)
        return rc;
    if (f.type == VSM_FRAME_ERROR) {
        error_from_refusal(w, &f, err);
        return -1;
    }
    if (w->ctx == NULL) {
        *buf = malloc(f.len ? f.len : 1);
        if (*buf == NULL) {
            vs_error_set(err, VS_ERR_NOMEM, "out of memory");
            return -1;
        }
        memcpy(*buf, f.payload, f.len);
        len = f.len;
    } else {
        bool confidential;
        enum krb_unwrap_status st = krb_unwrap(w->ctx, f.payload, f.len, buf, &len, &confidential,
                                               err);
        if (st != KRB_UNWRAP_OK) {
            vs_error_set(err, VS_ERR_PROTOCOL, "a message from %s could not be trusted (%s); the "
                         "connection is dropped", w->peer_name, krb_unwrap_status_text(st));
            return -1;
        }
        if (w->confidential && !confidential) {
            free(*buf);
            *buf = NULL;
            vs_error_set(err, VS_ERR_PROTOCOL, "%s sent a message without confidentiality, "
                         "which this connection requires", w->peer_name);
            return -1;
        }
    }
    if (!vsm_message_parse(*buf, len, m, err)) {
        vs_error_prefix(err, "a malformed message from %s", w->peer_name);
        free(*buf);
        *buf = NULL;
        return -1;
    }
    return 1;
}

void
wire_tcp_liveness(int fd)
{
    /* probes after 10 s idle, 5 s apart, 3 unanswered: dead; and data left
     * unacknowledged for 30 s: dead (keepalives wait while data is in
     * flight, and Linux retransmits for ~15 minutes) */
    static const struct { int level, name, value; } opts[] = {
        { SOL_SOCKET, SO_KEEPALIVE, 1 }, { IPPROTO_TCP, TCP_KEEPIDLE, 10 },
        { IPPROTO_TCP, TCP_KEEPINTVL, 5 }, { IPPROTO_TCP, TCP_KEEPCNT, 3 },
        { IPPROTO_TCP, TCP_USER_TIMEOUT, WIRE_PEER_SILENCE_MS },
    };

    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        if (setsockopt(fd, opts[i].level, opts[i].name, &opts[i].value, sizeof opts[i].value) != 0)
            vs_debug("setsockopt %d/%d: %s", opts[i].level, opts[i].name, strerror(errno));
}

int
wire_connect_tcp(const char *host, int port, long long timeout_ms, struct vs_error *err)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC }, *res, *ai;
    char portstr[8];
    int rc, fd = -1, last = 0;
    long long deadline = wire_now_ms() + timeout_ms;

    snprintf(portstr, sizeof portstr, "%d", port);
    rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0) {
        vs_error_set(err, VS_ERR_UNAVAILABLE, "cannot resolve %s: %s (check the name and DNS)",
                     host, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
            last = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        if (errno == EINPROGRESS) {
            struct pollfd p = { .fd = fd, .events = POLLOUT };
            long long left = deadline - wire_now_ms();
            int soerr = 0;
            socklen_t sl = sizeof soerr;
            if (left > 0 && poll(&p, 1, (int)left) == 1 &&
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
                break;
            last = soerr ? soerr : ETIMEDOUT;
        } else {
            last = errno;
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd >= 0)
        wire_tcp_liveness(fd);
    if (fd < 0)
        vs_error_set(err, VS_ERR_UNAVAILABLE, "cannot connect to %s port %d: %s (is vsmigrated "
                     "running there, and does the firewall allow the port?)", host, port,
                     strerror(last));
    return fd;
}

int
wire_connect_unix(const char *path, struct vs_error *err)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof sun.sun_path) {
        vs_error_set(err, VS_ERR_INVALID, "the socket path %s is too long", path);
        return -1;
    }
    memcpy(sun.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        vs_error_set(err, e == EACCES ? VS_ERR_DENIED : VS_ERR_UNAVAILABLE,
                     "cannot connect to the local daemon at %s: %s (%s)", path, strerror(e),
                     e == EACCES ? "run as root or as a member of the daemon's local_group"
                                 : "is vsmigrated running? systemctl status vsmigrated");
        return -1;
    }
    return fd;
}
