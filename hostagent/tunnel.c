/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/tunnel.c: a move's stream between two agents, sealed with TLS 1.3
 * under a PSK derived from the stream's own Kerberos context (tunnel.h). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "common/crashtrace.h"
#include "hostagent/tunnel.h"

/* TLS 1.3 only, PSK with an ephemeral ECDHE share (forward secrecy costs
 * one X25519 per stream), AEAD ciphers only; no certificates anywhere. */
#define TUNNEL_PRIORITY                                                                         \
    "NONE:+VERS-TLS1.3:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305:+AEAD:+ECDHE-PSK:+PSK:"      \
    "+GROUP-X25519:+GROUP-SECP256R1:+SIGN-ALL:+CTYPE-ALL:+COMP-NULL"
#define PSK_IDENTITY "vsmigrate-tunnel-1"
#define RELAY_BUFFER (256 * 1024)

static const char *const channel_names[] = {
    [TUNNEL_LIBVIRT] = "libvirt",
    [TUNNEL_MIGRATION] = "migration",
};

const char *
tunnel_channel_name(enum tunnel_channel c)
{
    if (c < TUNNEL_LIBVIRT || c > TUNNEL_MIGRATION)
        return NULL;
    return channel_names[c];
}

bool
tunnel_channel_parse(const char *name, enum tunnel_channel *out)
{
    for (int c = TUNNEL_LIBVIRT; c <= TUNNEL_MIGRATION; c++)
        if (name && strcmp(name, channel_names[c]) == 0) {
            *out = (enum tunnel_channel)c;
            return true;
        }
    return false;
}

bool
tunnel_psk(struct krb_context *ctx, const char *job, enum tunnel_channel channel,
           uint8_t psk[TUNNEL_PSK_LEN], struct vs_error *err)
{
    static const char label[] = "vsmigrate tunnel 1";
    const char *name = tunnel_channel_name(channel);
    char input[sizeof label + 64 + 32];
    size_t jl = strlen(job), n = 0;

    if (name == NULL || jl == 0 || jl > 64) {
        vs_error_set(err, VS_ERR_INVALID, "a tunnel key needs a job id (1 to 64 bytes) and a channel");
        return false;
    }
    /* NUL-separated, so that no job and channel pair reads as another */
    memcpy(input, label, sizeof label);
    n += sizeof label;
    memcpy(input + n, job, jl + 1);
    n += jl + 1;
    memcpy(input + n, name, strlen(name));
    n += strlen(name);
    return krb_context_prf(ctx, input, n, psk, TUNNEL_PSK_LEN, err);
}

struct tunnel_tls {
    gnutls_session_t session;
    /* received bytes read ahead: GnuTLS reads a record's header and body
     * separately, two system calls per 16 KiB record without this */
    uint8_t *rbuf;
    size_t rlen, roff;
    gnutls_psk_client_credentials_t client;
    gnutls_psk_server_credentials_t server;
    uint8_t psk[TUNNEL_PSK_LEN];
    int fd;
};

static int
server_key(gnutls_session_t session, const char *username, gnutls_datum_t *key)
{
    struct tunnel_tls *t = gnutls_session_get_ptr(session);

    if (strcmp(username, PSK_IDENTITY) != 0)
        return -1;
    key->data = gnutls_malloc(TUNNEL_PSK_LEN);
    if (key->data == NULL)
        return -1;
    memcpy(key->data, t->psk, TUNNEL_PSK_LEN);
    key->size = TUNNEL_PSK_LEN;
    return 0;
}

static ssize_t
pull(gnutls_transport_ptr_t ptr, void *data, size_t len)
{
    struct tunnel_tls *t = ptr;

    if (t->roff == t->rlen) {
        ssize_t got;
        do {
            got = recv(t->fd, t->rbuf, RELAY_BUFFER, 0);
        } while (got < 0 && errno == EINTR);
        if (got <= 0) {
            gnutls_transport_set_errno(t->session, got < 0 ? errno : 0);
            return got;
        }
        t->rlen = (size_t)got;
        t->roff = 0;
    }
    size_t n = t->rlen - t->roff < len ? t->rlen - t->roff : len;
    memcpy(data, t->rbuf + t->roff, n);
    t->roff += n;
    return (ssize_t)n;
}

static int
pull_timeout(gnutls_transport_ptr_t ptr, unsigned int ms)
{
    struct tunnel_tls *t = ptr;
    struct pollfd p = { .fd = t->fd, .events = POLLIN };

    if (t->roff < t->rlen)
        return 1;
    return poll(&p, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int)ms);
}

static ssize_t
push(gnutls_transport_ptr_t ptr, const void *data, size_t len)
{
    struct tunnel_tls *t = ptr;
    ssize_t w;

    do {
        w = send(t->fd, data, len, MSG_NOSIGNAL);
    } while (w < 0 && errno == EINTR);
    if (w < 0)
        gnutls_transport_set_errno(t->session, errno);
    return w;
}

static void
tls_error(struct vs_error *err, const char *what, int rc)
{
    if (rc == GNUTLS_E_DECRYPTION_FAILED || rc == GNUTLS_E_USER_ERROR ||
        rc == GNUTLS_E_WARNING_ALERT_RECEIVED || rc == GNUTLS_E_FATAL_ALERT_RECEIVED ||
        rc == GNUTLS_E_INSUFFICIENT_CREDENTIALS || rc == GNUTLS_E_RECEIVED_ILLEGAL_PARAMETER)
        vs_error_set(err, VS_ERR_AUTH, "%s failed: %s (the two ends derived different stream "
                     "keys: the stream is not the job's, or was tampered with)", what,
                     gnutls_strerror(rc));
    else if (rc == GNUTLS_E_TIMEDOUT)
        vs_error_set(err, VS_ERR_TIMEOUT, "%s timed out", what);
    else
        vs_error_set(err, VS_ERR_IO, "%s failed: %s", what, gnutls_strerror(rc));
}

bool
tunnel_tls_start(int fd, bool client, const uint8_t psk[TUNNEL_PSK_LEN], long long timeout_ms,
                 struct tunnel_tls **out, struct vs_error *err)
{
    struct tunnel_tls *t = calloc(1, sizeof *t);
    gnutls_datum_t key = { .data = (unsigned char *)psk, .size = TUNNEL_PSK_LEN };
    int rc;

    *out = NULL;
    if (t == NULL) {
        vs_error_set(err, VS_ERR_NOMEM, "out of memory");
        return false;
    }
    /* the agents' sockets are non-blocking (their deadlines poll); the relay
     * blocks in recv and send, and would spin on EAGAIN otherwise */
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0 && (fl & O_NONBLOCK))
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    t->fd = fd;
    t->rbuf = malloc(RELAY_BUFFER);
    if (t->rbuf == NULL) {
        free(t);
        vs_error_set(err, VS_ERR_NOMEM, "out of memory");
        return false;
    }
    memcpy(t->psk, psk, TUNNEL_PSK_LEN);
    rc = gnutls_init(&t->session, (client ? GNUTLS_CLIENT : GNUTLS_SERVER) | GNUTLS_NO_SIGNAL);
    if (rc == 0 && client) {
        rc = gnutls_psk_allocate_client_credentials(&t->client);
        if (rc == 0)
            rc = gnutls_psk_set_client_credentials(t->client, PSK_IDENTITY, &key, GNUTLS_PSK_KEY_RAW);
        if (rc == 0)
            rc = gnutls_credentials_set(t->session, GNUTLS_CRD_PSK, t->client);
    } else if (rc == 0) {
        rc = gnutls_psk_allocate_server_credentials(&t->server);
        if (rc == 0) {
            gnutls_psk_set_server_credentials_function(t->server, server_key);
            rc = gnutls_credentials_set(t->session, GNUTLS_CRD_PSK, t->server);
        }
    }
    if (rc == 0)
        rc = gnutls_priority_set_direct(t->session, TUNNEL_PRIORITY, NULL);
    if (rc != 0) {
        tls_error(err, "setting up the tunnel's TLS", rc);
        tunnel_tls_free(t);
        return false;
    }
    gnutls_session_set_ptr(t->session, t);
    gnutls_transport_set_ptr(t->session, t);
    gnutls_transport_set_pull_function(t->session, pull);
    gnutls_transport_set_pull_timeout_function(t->session, pull_timeout);
    gnutls_transport_set_push_function(t->session, push);
    gnutls_handshake_set_timeout(t->session, (unsigned)timeout_ms);
    do {
        rc = gnutls_handshake(t->session);
    } while (rc < 0 && !gnutls_error_is_fatal(rc));
    if (rc < 0) {
        /* tell the other end (a wrong PSK binder shows only to the server) */
        gnutls_alert_send_appropriate(t->session, rc);
        tls_error(err, "the tunnel's TLS handshake", rc);
        tunnel_tls_free(t);
        return false;
    }
    *out = t;
    return true;
}

void
tunnel_tls_free(struct tunnel_tls *t)
{
    if (t == NULL)
        return;
    if (t->session)
        gnutls_deinit(t->session);
    if (t->client)
        gnutls_psk_free_client_credentials(t->client);
    if (t->server)
        gnutls_psk_free_server_credentials(t->server);
    memset(t->psk, 0, sizeof t->psk);
    free(t->rbuf);
    free(t);
}

/* ---- the relay ---------------------------------------------------------------------- */

struct direction {
    int plain;
    struct tunnel_tls *t;
    uint64_t bytes;
    bool clean;            /* ended by an end of stream, not an error */
    struct vs_error err;
};

static bool
write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* plain -> TLS; at the plain side's end, a close_notify (the peer passes
 * it on as a half-close). */
static void *
plain_to_tls(void *arg)
{
    struct direction *d = arg;
    uint8_t *buf = malloc(RELAY_BUFFER);

    if (buf == NULL) {
        vs_error_set(&d->err, VS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (;;) {
        ssize_t got = recv(d->plain, buf, RELAY_BUFFER, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            vs_error_set(&d->err, VS_ERR_IO, "reading the local stream: %s", strerror(errno));
            goto fail;
        }
        if (got == 0)
            break;
        /* QEMU writes a page at a time: take what else is there already, so
         * that full records leave in one write (no wait: latency stays) */
        while (got < RELAY_BUFFER) {
            ssize_t more = recv(d->plain, buf + got, RELAY_BUFFER - (size_t)got, MSG_DONTWAIT);
            if (more <= 0)
                break;
            got += more;
        }
        size_t off = 0;
        /* corked: the records of one read leave in one write */
        gnutls_record_cork(d->t->session);
        while (off < (size_t)got) {
            ssize_t w = gnutls_record_send(d->t->session, buf + off, (size_t)got - off);
            if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED)
                continue;
            if (w < 0) {
                tls_error(&d->err, "sending through the tunnel", (int)w);
                goto fail;
            }
            off += (size_t)w;
        }
        int rc;
        do {
            rc = gnutls_record_uncork(d->t->session, GNUTLS_RECORD_WAIT);
        } while (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED);
        if (rc < 0) {
            tls_error(&d->err, "sending through the tunnel", rc);
            goto fail;
        }
        d->bytes += (uint64_t)got;
    }
    free(buf);
    gnutls_bye(d->t->session, GNUTLS_SHUT_WR);
    d->clean = true;
    return NULL;
fail:
    free(buf);
    /* wake the other direction: nothing more can be trusted to arrive */
    shutdown(d->t->fd, SHUT_RDWR);
    shutdown(d->plain, SHUT_RDWR);
    return NULL;
}

/* TLS -> plain; at the peer's close_notify, a half-close of the plain side. */
static void
tls_to_plain(struct direction *d)
{
    uint8_t *buf = malloc(RELAY_BUFFER);

    if (buf == NULL) {
        vs_error_set(&d->err, VS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (;;) {
        size_t used = 0;
        bool end = false;
        /* the records already read ahead go out in one write */
        do {
            ssize_t got = gnutls_record_recv(d->t->session, buf + used, RELAY_BUFFER - used);
            if (got == GNUTLS_E_AGAIN || got == GNUTLS_E_INTERRUPTED)
                continue;
            if (got == 0) {
                end = true;
                break;
            }
            if (got < 0) {
                tls_error(&d->err, "receiving from the tunnel", (int)got);
                goto fail;
            }
            used += (size_t)got;
        } while (RELAY_BUFFER - used >= 16384 + 256 &&
                 (gnutls_record_check_pending(d->t->session) > 0 || d->t->roff < d->t->rlen));
        if (used > 0 && !write_all(d->plain, buf, used)) {
            vs_error_set(&d->err, VS_ERR_IO, "writing the local stream: %s", strerror(errno));
            goto fail;
        }
        d->bytes += used;
        if (end)
            break;
    }
    free(buf);
    shutdown(d->plain, SHUT_WR);
    d->clean = true;
    return;
fail:
    free(buf);
    shutdown(d->t->fd, SHUT_RDWR);
    shutdown(d->plain, SHUT_RDWR);
}

bool
tunnel_relay(int plain, struct tunnel_tls *t, struct tunnel_counts *counts, struct vs_error *err)
{
    struct direction out = { .plain = plain, .t = t }, in = { .plain = plain, .t = t };
    pthread_t th;

    vs_error_clear(&out.err);
    vs_error_clear(&in.err);
    if (crashtrace_thread_create(&th, NULL, plain_to_tls, &out) != 0) {
        vs_error_set(err, VS_ERR_INTERNAL, "cannot start the tunnel's sending thread");
        return false;
    }
    tls_to_plain(&in);
    pthread_join(th, NULL);
    if (counts) {
        counts->plain_to_tls = out.bytes;
        counts->tls_to_plain = in.bytes;
    }
    if (out.clean && in.clean)
        return true;
    *err = !in.clean && in.err.message[0] ? in.err : out.err;
    if (err->message[0] == '\0')
        vs_error_set(err, VS_ERR_IO, "the tunnel was cut");
    return false;
}
