/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for hostagent/tunnel.c: the TLS 1.3 PSK session and the relay,
 * over socketpairs (the key here is fixed; the lab derives it from Kerberos,
 * tests/integration/66-move.t). Bytes arrive intact both ways with
 * half-closes passed on; a peer with another key is refused at the
 * handshake; channel names parse strictly. */
#include <config.h>

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "hostagent/tunnel.h"

#define PAYLOAD (3 * 1024 * 1024 + 17)

struct side {
    int wire;              /* the TCP-like socket between the two agents */
    int plain;             /* the relay's local end */
    bool client;
    uint8_t psk[TUNNEL_PSK_LEN];
    bool started, relayed;
    struct tunnel_counts counts;
    struct vs_error err;
};

static void *
run_side(void *arg)
{
    struct side *s = arg;
    struct tunnel_tls *t = NULL;

    s->started = tunnel_tls_start(s->wire, s->client, s->psk, 5000, &t, &s->err);
    if (!s->started) {
        close(s->plain);
        return NULL;
    }
    s->relayed = tunnel_relay(s->plain, t, &s->counts, &s->err);
    tunnel_tls_free(t);
    close(s->plain);
    return NULL;
}

/* Two relays back to back: app_a <-> [a] ==TLS== [b] <-> app_b. */
struct pair {
    struct side a, b;
    pthread_t ta, tb;
    int app_a, app_b;
};

static void
pair_start(struct pair *p, uint8_t key_a, uint8_t key_b)
{
    int wire[2], pa[2], pb[2];

    memset(p, 0, sizeof *p);
    /* non-blocking, as the agents' sockets are (wire.c polls for deadlines) */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, wire), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, pa), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, pb), 0);
    p->a = (struct side){ .wire = wire[0], .plain = pa[1], .client = true };
    p->b = (struct side){ .wire = wire[1], .plain = pb[1], .client = false };
    memset(p->a.psk, key_a, TUNNEL_PSK_LEN);
    memset(p->b.psk, key_b, TUNNEL_PSK_LEN);
    p->app_a = pa[0];
    p->app_b = pb[0];
    assert_int_equal(pthread_create(&p->ta, NULL, run_side, &p->a), 0);
    assert_int_equal(pthread_create(&p->tb, NULL, run_side, &p->b), 0);
}

static void
pair_join(struct pair *p)
{
    pthread_join(p->ta, NULL);
    pthread_join(p->tb, NULL);
    close(p->a.wire);
    close(p->b.wire);
    close(p->app_a);
    close(p->app_b);
}

struct pump {
    int fd;
    const uint8_t *data;
    size_t len;
};

static void *
pump_out(void *arg)
{
    struct pump *pu = arg;
    size_t off = 0;

    while (off < pu->len) {
        ssize_t w = write(pu->fd, pu->data + off, pu->len - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    shutdown(pu->fd, SHUT_WR);
    return NULL;
}

static size_t
read_all(int fd, uint8_t *buf, size_t max)
{
    size_t got = 0;
    ssize_t r;

    while (got < max && (r = read(fd, buf + got, max - got)) > 0)
        got += (size_t)r;
    return got;
}

static void
test_relay_both_ways(void **state)
{
    struct pair p;
    uint8_t *out = malloc(PAYLOAD), *in = malloc(PAYLOAD + 1), back[64];
    pthread_t th;

    (void)state;
    for (size_t i = 0; i < PAYLOAD; i++)
        out[i] = (uint8_t)(i * 131 + (i >> 9));
    pair_start(&p, 7, 7);
    struct pump pu = { .fd = p.app_a, .data = out, .len = PAYLOAD };
    assert_int_equal(pthread_create(&th, NULL, pump_out, &pu), 0);
    /* a's end of stream arrives at b as a half-close, after every byte */
    assert_int_equal(read_all(p.app_b, in, PAYLOAD + 1), PAYLOAD);
    assert_memory_equal(in, out, PAYLOAD);
    pthread_join(th, NULL);
    /* b may still answer after a has finished sending (a return path) */
    assert_int_equal(write(p.app_b, "the return path", 15), 15);
    shutdown(p.app_b, SHUT_WR);
    assert_int_equal(read_all(p.app_a, back, sizeof back), 15);
    assert_memory_equal(back, "the return path", 15);
    pair_join(&p);
    assert_true(p.a.started && p.b.started);
    assert_true(p.a.relayed);
    assert_true(p.b.relayed);
    assert_int_equal(p.a.counts.plain_to_tls, PAYLOAD);
    assert_int_equal(p.b.counts.tls_to_plain, PAYLOAD);
    assert_int_equal(p.b.counts.plain_to_tls, 15);
    free(out);
    free(in);
}

static void
test_other_key_refused(void **state)
{
    struct pair p;
    uint8_t buf[16];

    (void)state;
    pair_start(&p, 1, 2);
    /* nothing gets through a tunnel whose ends hold different keys */
    assert_int_equal(read_all(p.app_b, buf, sizeof buf), 0);
    pair_join(&p);
    assert_false(p.a.started);
    assert_false(p.b.started);
    assert_int_equal(p.b.err.code, VS_ERR_AUTH);
    assert_non_null(strstr(p.b.err.message, "different stream keys"));
    /* and the client hears it at once, not at its handshake timeout */
    assert_int_equal(p.a.err.code, VS_ERR_AUTH);
}

static void
test_cut_wire_fails_relay(void **state)
{
    struct pair p;

    (void)state;
    pair_start(&p, 9, 9);
    assert_int_equal(write(p.app_a, "x", 1), 1);
    char c;
    assert_int_equal(read(p.app_b, &c, 1), 1);
    /* the wire between the agents is cut: both relays end with an error */
    shutdown(p.a.wire, SHUT_RDWR);
    pair_join(&p);
    assert_false(p.a.relayed);
    assert_false(p.b.relayed);
}

static void
test_channel_names(void **state)
{
    enum tunnel_channel c;

    (void)state;
    assert_true(tunnel_channel_parse("libvirt", &c));
    assert_int_equal(c, TUNNEL_LIBVIRT);
    assert_true(tunnel_channel_parse("migration", &c));
    assert_int_equal(c, TUNNEL_MIGRATION);
    assert_false(tunnel_channel_parse("Migration", &c));
    assert_false(tunnel_channel_parse("migration ", &c));
    assert_false(tunnel_channel_parse("", &c));
    assert_false(tunnel_channel_parse(NULL, &c));
    assert_null(tunnel_channel_name((enum tunnel_channel)0));
    assert_string_equal(tunnel_channel_name(TUNNEL_LIBVIRT), "libvirt");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relay_both_ways),
        cmocka_unit_test(test_other_key_refused),
        cmocka_unit_test(test_cut_wire_fails_relay),
        cmocka_unit_test(test_channel_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
