/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench/tunnel-relay: how fast the move's tunnel carries a stream.
 *
 *   tunnel-relay tls|plain MIB
 *
 * app -> [relay A] == TCP over loopback == [relay B] -> sink, MIB MiB one way.
 * tls: relay A and B are hostagent/tunnel.c's (TLS 1.3 with a fixed PSK, as
 * a move runs it); plain: the same relays copying bytes with 256 KiB buffers,
 * what a socat relay does. Prints one number: MiB/s. bench/tunnel runs both. */
#include <config.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hostagent/tunnel.h"

#define CHUNK (256 * 1024)

struct relay {
    int plain, wire;
    bool tls, client;
};

static void
copy(int from, int to)
{
    char *buf = malloc(CHUNK);
    ssize_t n;

    while ((n = read(from, buf, CHUNK)) > 0)
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(to, buf + off, (size_t)(n - off));
            if (w <= 0)
                goto out;
            off += w;
        }
out:
    shutdown(to, SHUT_WR);
    free(buf);
}

static void *
relay_run(void *arg)
{
    struct relay *r = arg;
    uint8_t psk[TUNNEL_PSK_LEN];
    struct tunnel_tls *t;
    struct vs_error err;

    if (!r->tls) {
        if (r->client)
            copy(r->plain, r->wire);
        else
            copy(r->wire, r->plain);
    } else {
        memset(psk, 0x5a, sizeof psk);
        if (!tunnel_tls_start(r->wire, r->client, psk, 10000, &t, &err)) {
            fprintf(stderr, "tunnel-relay: %s\n", err.message);
            exit(1);
        }
        tunnel_relay(r->plain, t, NULL, &err);
        tunnel_tls_free(t);
    }
    close(r->plain);
    close(r->wire);
    return NULL;
}

static void
tcp_pair(int fds[2])
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    int l = socket(AF_INET, SOCK_STREAM, 0);

    if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) ||
        getsockname(l, (struct sockaddr *)&a, &len))
        exit(1);
    fds[0] = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fds[0], (struct sockaddr *)&a, sizeof a))
        exit(1);
    fds[1] = accept(l, NULL, NULL);
    close(l);
}

struct pump {
    int fd;
    long long bytes;
};

static void *
pump_run(void *arg)
{
    struct pump *p = arg;
    char *buf = calloc(1, CHUNK);

    for (long long left = p->bytes; left > 0;) {
        ssize_t w = write(p->fd, buf, (size_t)(left < CHUNK ? left : CHUNK));
        if (w <= 0)
            break;
        left -= w;
    }
    shutdown(p->fd, SHUT_WR);
    free(buf);
    return NULL;
}

int
main(int argc, char **argv)
{
    int app[2], sink[2], wire[2];
    pthread_t ta, tb, tp;
    struct timespec t0, t1;
    long long got = 0;
    ssize_t n;

    if (argc != 3 || (strcmp(argv[1], "tls") && strcmp(argv[1], "plain")) || atol(argv[2]) <= 0) {
        fprintf(stderr, "usage: tunnel-relay tls|plain MIB\n");
        return 2;
    }
    bool tls = strcmp(argv[1], "tls") == 0;
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, app) || socketpair(AF_UNIX, SOCK_STREAM, 0, sink))
        return 1;
    tcp_pair(wire);
    struct relay a = { .plain = app[1], .wire = wire[0], .tls = tls, .client = true };
    struct relay b = { .plain = sink[1], .wire = wire[1], .tls = tls, .client = false };
    struct pump p = { .fd = app[0], .bytes = atoll(argv[2]) * 1048576LL };
    char *buf = malloc(CHUNK);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_create(&ta, NULL, relay_run, &a);
    pthread_create(&tb, NULL, relay_run, &b);
    pthread_create(&tp, NULL, pump_run, &p);
    while ((n = read(sink[0], buf, CHUNK)) > 0)
        got += n;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    close(sink[0]);   /* the far end's end of stream: the relays wind down */
    pthread_join(tp, NULL);
    close(app[0]);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    free(buf);
    if (got != p.bytes) {
        fprintf(stderr, "tunnel-relay: %lld of %lld bytes arrived\n", got, p.bytes);
        return 1;
    }
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%.1f\n", (double)got / 1048576.0 / s);
    return 0;
}
