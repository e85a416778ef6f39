/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fileserver-hooks/negotiate.c: one SMB2 NEGOTIATE over TCP. */
#include <config.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fileserver-hooks/negotiate.h"

#define SMB2_HEADER 64
#define RESPONSE_MIN (SMB2_HEADER + 64)
#define RESPONSE_MAX 65536
/* seconds between 1601-01-01 (FILETIME's epoch) and 1970-01-01 */
#define FILETIME_UNIX_OFFSET 11644473600ULL

static const uint16_t dialects[] = { 0x0202, 0x0210, 0x0300, 0x0302 };

static void
put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static uint16_t
get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t
get64(const uint8_t *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

size_t
negotiate_request_build(uint8_t *buf, size_t len)
{
    size_t ndialects = sizeof dialects / sizeof dialects[0];
    size_t body = SMB2_HEADER + 36 + 2 * ndialects;
    uint8_t *h = buf + 4, *n = h + SMB2_HEADER;

    if (len < 4 + body)
        return 0;
    memset(buf, 0, 4 + body);
    buf[1] = (uint8_t)(body >> 16);          /* direct TCP: 0, then a 24-bit length */
    buf[2] = (uint8_t)(body >> 8);
    buf[3] = (uint8_t)body;
    memcpy(h, "\xfeSMB", 4);
    put16(h + 4, SMB2_HEADER);               /* structure size */
    put16(h + 14, 1);                        /* credits asked */
    put16(n, 36);                            /* structure size */
    put16(n + 2, (uint16_t)ndialects);
    put16(n + 4, SMB2_SIGNING_ENABLED);
    memcpy(n + 12, "vsmigrate-share!", 16);  /* client GUID: any 16 bytes */
    for (size_t i = 0; i < ndialects; i++)
        put16(n + 36 + 2 * i, dialects[i]);
    return 4 + body;
}

bool
negotiate_response_parse(const uint8_t *p, size_t len, struct negotiate_info *out,
                         struct vs_error *err)
{
    const uint8_t *n = p + SMB2_HEADER;
    uint32_t status;
    uint64_t filetime;
    bool offered = false;

    memset(out, 0, sizeof *out);
    if (len < 4 || memcmp(p, "\xfeSMB", 4) != 0) {
        vs_error_set(err, VS_ERR_PROTOCOL, "the server did not answer in SMB2 (an SMB1-only "
                     "server?): vsmigrate needs SMB3");
        return false;
    }
    if (len < RESPONSE_MIN || get16(p + 4) != SMB2_HEADER) {
        vs_error_set(err, VS_ERR_PROTOCOL, "the server's SMB2 negotiate response is truncated "
                     "or malformed (%zu bytes)", len);
        return false;
    }
    status = get32(p + 8);
    if (get16(p + 12) != 0 || !(get32(p + 16) & 1)) {
        vs_error_set(err, VS_ERR_PROTOCOL, "the server's answer is not a negotiate response: is "
                     "something other than an SMB server listening on TCP port 445?");
        return false;
    }
    if (status != 0) {
        vs_error_set(err, VS_ERR_PROTOCOL, "the server refused every SMB dialect up to 3.0.2 "
                     "(status 0x%08x): allow SMB3 on it ('server max protocol' of at least SMB3 "
                     "in smb.conf; on Windows, SMB2/3 enabled)", status);
        return false;
    }
    if (get16(n) != 65) {
        vs_error_set(err, VS_ERR_PROTOCOL, "the server's negotiate response has structure size "
                     "%u, not 65: not an SMB2/3 server vsmigrate can use", get16(n));
        return false;
    }
    out->security_mode = get16(n + 2);
    out->dialect = get16(n + 4);
    out->capabilities = get32(n + 24);
    filetime = get64(n + 40);
    for (size_t i = 0; i < sizeof dialects / sizeof dialects[0]; i++)
        offered |= dialects[i] == out->dialect;
    if (!offered) {
        vs_error_set(err, VS_ERR_PROTOCOL, "the server chose dialect 0x%04x, which was not "
                     "offered: a broken SMB server, or something in between rewriting the "
                     "connection", out->dialect);
        return false;
    }
    out->server_time = filetime / 10000000ULL > FILETIME_UNIX_OFFSET
                           ? (time_t)(filetime / 10000000ULL - FILETIME_UNIX_OFFSET) : 0;
    return true;
}

void
negotiate_dialect_text(uint16_t d, char *buf, size_t len)
{
    snprintf(buf, len, "%u.%u.%u", d >> 8, (d >> 4) & 0xf, d & 0xf);
}

static bool
io_wait(int fd, short events, struct timespec deadline)
{
    struct timespec now;
    struct pollfd pfd = { fd, events, 0 };
    long ms;

    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = (deadline.tv_sec - now.tv_sec) * 1000 + (deadline.tv_nsec - now.tv_nsec) / 1000000;
    return ms > 0 && poll(&pfd, 1, (int)ms) == 1;
}

static bool
read_full(int fd, uint8_t *buf, size_t len, struct timespec deadline)
{
    for (size_t got = 0; got < len;) {
        ssize_t n;
        if (!io_wait(fd, POLLIN, deadline))
            return false;
        n = recv(fd, buf + got, len - got, 0);
        if (n <= 0)
            return false;
        got += (size_t)n;
    }
    return true;
}

bool
negotiate_probe(const char *server, unsigned timeout_ms, struct negotiate_info *out,
                struct vs_error *err)
{
    uint8_t *resp = NULL;
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
    struct timespec deadline;
    uint8_t req[NEGOTIATE_REQUEST_MAX], hdr[4];
    size_t reqlen = negotiate_request_build(req, sizeof req), resplen;
    int fd = -1, rc, e = 0;
    bool ok = false;

    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    rc = getaddrinfo(server, "445", &hints, &ai);
    if (rc != 0) {
        vs_error_set(err, VS_ERR_NOTFOUND, "cannot resolve %s: %s (check DNS)", server,
                     gai_strerror(rc));
        return false;
    }
    for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0 &&
            (errno != EINPROGRESS || !io_wait(fd, POLLOUT, deadline))) {
            e = errno ? errno : ETIMEDOUT;
            close(fd);
            fd = -1;
            continue;
        }
        socklen_t elen = sizeof e;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) != 0 || e != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    if (fd < 0) {
        vs_error_set(err, VS_ERR_UNAVAILABLE, "cannot connect to %s on TCP port 445: %s (is smbd "
                     "running, and the port open?)", server, strerror(e ? e : ETIMEDOUT));
        return false;
    }
    if (send(fd, req, reqlen, MSG_NOSIGNAL) != (ssize_t)reqlen || !read_full(fd, hdr, 4, deadline)) {
        vs_error_set(err, VS_ERR_UNAVAILABLE, "%s did not answer an SMB2 negotiate within %u ms "
                     "(is smbd healthy there? its log.smbd says why it hangs)", server, timeout_ms);
        goto out;
    }
    resplen = (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
    if (hdr[0] != 0 || resplen > RESPONSE_MAX || (resp = malloc(resplen ? resplen : 1)) == NULL) {
        vs_error_set(err, VS_ERR_PROTOCOL, "%s announced a %zu-byte negotiate response: not SMB "
                     "(is something else listening on TCP port 445?)", server, resplen);
        goto out;
    }
    if (!read_full(fd, resp, resplen, deadline)) {
        vs_error_set(err, VS_ERR_UNAVAILABLE, "%s closed the connection during the negotiate: it "
                     "may refuse SMB2/3 ('server min protocol' in smb.conf) or this host's "
                     "address ('hosts allow')", server);
        goto out;
    }
    ok = negotiate_response_parse(resp, resplen, out, err);
out:
    free(resp);
    close(fd);
    return ok;
}
