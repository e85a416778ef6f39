/* SPDX-License-Identifier: GPL-3.0-or-later */
/* krb-probe: drives krb/ against the lab, for the integration tests.
 *
 *   krb-probe serve --port P --keytab KT --spn SPN
 *                   [--forward HOST:PORT:SPN]        act for the client toward the next hop
 *                   [--s4u PRINCIPAL]...             try S4U2Proxy toward each
 *                   [--cifs PRINCIPAL --ccache-dir DIR --smb-put smb://SERVER/SHARE/PATH]
 *                   [--wrap-test]
 *       Accepts one client, then prints one JSON object (and sends it back).
 *   krb-probe connect --host H --port P --spn SPN [--wrap-test]
 *   krb-probe groups --keytab KT --spn SPN NAME...
 *       Resolves group names to SIDs as the host; prints {"NAME":"SID",...}.
 *       Authenticates with the default ccache and prints the server's JSON.
 *
 * Frames on the wire: a 4-byte big-endian length, then that many bytes. */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libsmbclient.h>

#include "common/json.h"
#include "krb/krb.h"

#define FRAME_MAX (1 << 20)

static int
send_frame(int fd, const void *p, size_t len)
{
    uint32_t n = htonl((uint32_t)len);
    if (write(fd, &n, 4) != 4 || (len && write(fd, p, len) != (ssize_t)len))
        return -1;
    return 0;
}

static int
read_full(int fd, void *p, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t r = read(fd, (char *)p + got, len - got);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

static void *recv_frame(int fd, size_t *len);
static int send_frame(int fd, const void *p, size_t len);

static bool initiate_from(int fd, struct krb_context *ctx, void *first, size_t firstlen,
                          bool first_done, struct vs_error *err);

static bool
initiate(int fd, struct krb_context *ctx, struct vs_error *err)
{
    return initiate_from(fd, ctx, NULL, 0, false, err);
}

static void *
recv_frame(int fd, size_t *len)
{
    uint32_t n;
    void *p;

    if (read_full(fd, &n, 4) < 0)
        return NULL;
    n = ntohl(n);
    if (n > FRAME_MAX)
        return NULL;
    p = malloc(n ? n : 1);
    if (p == NULL || read_full(fd, p, n) < 0) {
        free(p);
        return NULL;
    }
    *len = n;
    return p;
}

/* one JSON string (null for NULL), written by jansson */
static void
jstr(FILE *f, const char *s)
{
    json_t *v = s ? json_string(s) : json_null();
    if (v == NULL)
        v = json_string("(not UTF-8)");
    json_dumpf(v, f, JSON_ENCODE_ANY);
    json_decref(v);
}

static int
tcp_connect(const char *host, const char *port)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
    int fd;

    if (getaddrinfo(host, port, &hints, &res) != 0)
        return -1;
    fd = socket(res->ai_family, SOCK_STREAM, 0);
    if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

/* Run the initiator side of an exchange on fd. A first token already made
 * (first/firstlen, taken over) is sent before anything else. */
static bool
initiate_from(int fd, struct krb_context *ctx, void *first, size_t firstlen, bool first_done,
              struct vs_error *err)
{
    void *in = NULL, *out;
    size_t inlen = 0, outlen;
    bool done = first_done;

    if (first != NULL) {
        int rc = send_frame(fd, first, firstlen);
        free(first);
        if (rc < 0) {
            vs_error_set(err, VS_ERR_IO, "connection lost");
            return false;
        }
        if (!done && (in = recv_frame(fd, &inlen)) == NULL) {
            vs_error_set(err, VS_ERR_IO, "connection lost during authentication");
            return false;
        }
    }
    while (!done) {
        if (!krb_context_step(ctx, in, inlen, &out, &outlen, &done, err)) {
            free(in);
            return false;
        }
        free(in);
        in = NULL;
        if (outlen && send_frame(fd, out, outlen) < 0) {
            free(out);
            vs_error_set(err, VS_ERR_IO, "connection lost");
            return false;
        }
        free(out);
        if (!done && (in = recv_frame(fd, &inlen)) == NULL) {
            vs_error_set(err, VS_ERR_IO, "connection lost during authentication");
            return false;
        }
    }
    return true;
}

/* Client side of the wrap test: a message, the same token again (replay),
 * a tampered token, then a fresh one. */
static bool
wrap_test_send(int fd, struct krb_context *ctx)
{
    struct vs_error err;
    void *a, *b, *c;
    size_t alen, blen, clen;

    if (!krb_wrap(ctx, true, "first", 5, &a, &alen, &err) ||
        !krb_wrap(ctx, false, "second", 6, &b, &blen, &err) ||
        !krb_wrap(ctx, true, "third", 5, &c, &clen, &err))
        return false;
    ((unsigned char *)b)[blen / 2] ^= 0x40;    /* flip a bit in the middle */
    send_frame(fd, a, alen);
    send_frame(fd, a, alen);
    send_frame(fd, b, blen);
    send_frame(fd, c, clen);
    free(a);
    free(b);
    free(c);
    return true;
}

struct serve_opts {
    const char *keytab, *spn, *forward, *cifs, *ccache_dir, *smb_put;
    const char *s4u[8];
    int ns4u;
    int port;
    bool wrap_test;
};

static bool
smb_put(const char *ccache_name, const char *url, char *why, size_t whylen)
{
    SMBCCTX *smb;
    SMBCFILE *fh;
    const char *text = "written through the CIFS ccache\n";
    bool ok = false;

    setenv("KRB5CCNAME", ccache_name, 1);
    smb = smbc_new_context();
    if (smb == NULL) {
        snprintf(why, whylen, "smbc_new_context failed");
        return false;
    }
    smbc_setOptionUseKerberos(smb, 1);
    smbc_setOptionFallbackAfterKerberos(smb, 0);
    smbc_setOptionUseCCache(smb, 1);
    smbc_setOptionProtocols(smb, "SMB3", "SMB3");
    if (smbc_init_context(smb) == NULL) {
        snprintf(why, whylen, "smbc_init_context: %s", strerror(errno));
        smbc_free_context(smb, 1);
        return false;
    }
    fh = smbc_getFunctionOpen(smb)(smb, url, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fh == NULL) {
        snprintf(why, whylen, "open %s: %s", url, strerror(errno));
    } else {
        ok = smbc_getFunctionWrite(smb)(smb, fh, text, strlen(text)) == (ssize_t)strlen(text);
        if (!ok)
            snprintf(why, whylen, "write: %s", strerror(errno));
        smbc_getFunctionClose(smb)(smb, fh);
    }
    smbc_free_context(smb, 1);
    unsetenv("KRB5CCNAME");
    return ok;
}

static int
serve(const struct serve_opts *o)
{
    struct krb_acceptor *acc;
    struct krb_context *ctx;
    struct vs_error err;
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)o->port) };
    int lfd, fd, one = 1;
    bool done = false;
    char *json = NULL;
    size_t jsonlen = 0;
    FILE *j;

    if (!krb_acceptor_open(o->keytab, o->spn, &acc, &err)) {
        printf("{\"error\":");
        jstr(stdout, err.message);
        printf(",\"stage\":\"open\"}\n");
        return 1;
    }
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(lfd, (struct sockaddr *)&sin, sizeof sin) < 0 || listen(lfd, 1) < 0) {
        perror("krb-probe: bind");
        return 1;
    }
    fprintf(stderr, "listening\n");
    fd = accept(lfd, NULL, NULL);
    close(lfd);
    krb_accept_begin(acc, &ctx, &err);
    j = open_memstream(&json, &jsonlen);
    fputc('{', j);
    while (!done) {
        size_t inlen, outlen;
        void *in = recv_frame(fd, &inlen), *out;
        if (in == NULL) {
            fprintf(j, "\"error\":\"connection lost\"}");
            goto finish;
        }
        bool ok = krb_context_step(ctx, in, inlen, &out, &outlen, &done, &err);
        free(in);
        if (!ok) {
            fprintf(j, "\"error\":");
            jstr(j, err.message);
            fprintf(j, ",\"stage\":\"accept\"}");
            goto finish;
        }
        if (outlen)
            send_frame(fd, out, outlen);
        free(out);
    }
    const struct krb_peer *peer = krb_context_peer(ctx);
    fprintf(j, "\"client\":");
    jstr(j, peer->principal);
    fprintf(j, ",\"proxy_credential\":%s,\"forwardable\":%s,\"have_pac\":%s,\"not_delegated\":%s",
            peer->proxy_credential ? "true" : "false", peer->ticket_forwardable ? "true" : "false",
            peer->have_pac ? "true" : "false",
            peer->have_pac && peer->pac.not_delegated ? "true" : "false");
    fprintf(j, ",\"user_sid\":");
    jstr(j, peer->have_pac ? peer->pac.user_sid : "");
    fprintf(j, ",\"groups\":[");
    for (size_t i = 0; peer->have_pac && i < peer->pac.ngroups; i++) {
        if (i)
            fputc(',', j);
        jstr(j, peer->pac.group_sids[i]);
    }
    fprintf(j, "],\"delegated_by\":[");
    for (size_t i = 0; i < peer->ndelegated_by; i++) {
        if (i)
            fputc(',', j);
        jstr(j, peer->delegated_by[i]);
    }
    fputc(']', j);

    if (o->wrap_test) {
        static const char *names[] = { "first", "replay", "tampered", "third" };
        fprintf(j, ",\"wrap\":{");
        for (int i = 0; i < 4; i++) {
            size_t inlen, outlen;
            void *in = recv_frame(fd, &inlen), *out = NULL;
            bool conf;
            enum krb_unwrap_status st = in ? krb_unwrap(ctx, in, inlen, &out, &outlen, &conf, &err)
                                           : KRB_UNWRAP_FAILED;
            fprintf(j, "%s\"%s\":{\"status\":\"%s\"", i ? "," : "", names[i],
                    st == KRB_UNWRAP_OK ? "ok" : st == KRB_UNWRAP_TAMPERED ? "tampered" :
                    st == KRB_UNWRAP_REPLAYED ? "replayed" : st == KRB_UNWRAP_OUT_OF_ORDER ? "out-of-order" :
                    st == KRB_UNWRAP_GAP ? "gap" : st == KRB_UNWRAP_MALFORMED ? "malformed" : "failed");
            if (st == KRB_UNWRAP_OK)
                fprintf(j, ",\"text\":\"%.*s\",\"confidential\":%s", (int)outlen, (char *)out,
                        conf ? "true" : "false");
            else {
                fprintf(j, ",\"message\":");
                jstr(j, err.message);
            }
            fputc('}', j);
            free(in);
            free(out);
        }
        fputc('}', j);
    }

    fprintf(j, ",\"s4u\":{");
    for (int i = 0; i < o->ns4u; i++) {
        struct krb_context *t;
        void *tok;
        size_t toklen;
        bool tdone;
        bool ok = krb_initiate_begin(o->s4u[i], ctx, &t, &err) &&
                  krb_context_step(t, NULL, 0, &tok, &toklen, &tdone, &err);
        fprintf(j, "%s", i ? "," : "");
        jstr(j, o->s4u[i]);
        fprintf(j, ":{\"ok\":%s", ok ? "true" : "false");
        if (!ok) {
            fprintf(j, ",\"error\":");
            jstr(j, err.message);
        } else {
            free(tok);
            krb_context_free(t);
        }
        fputc('}', j);
    }
    fputc('}', j);

    if (o->forward) {
        char host[256], port[16], spn[256];
        struct krb_context *next;
        if (sscanf(o->forward, "%255[^:]:%15[^:]:%255s", host, port, spn) != 3) {
            fprintf(j, ",\"forward\":{\"error\":\"--forward is HOST:PORT:SPN\"}");
        } else if (!krb_initiate_begin(spn, ctx, &next, &err)) {
            fprintf(j, ",\"forward\":{\"error\":");
            jstr(j, err.message);
            fputc('}', j);
        } else {
            int nfd = tcp_connect(host, port);
            if (nfd < 0 || !initiate(nfd, next, &err)) {
                fprintf(j, ",\"forward\":{\"error\":");
                jstr(j, nfd < 0 ? "cannot connect to the next hop" : err.message);
                fputc('}', j);
            } else {
                size_t rlen;
                char *reply = recv_frame(nfd, &rlen);
                fprintf(j, ",\"forward\":%.*s", reply ? (int)rlen : 4, reply ? reply : "null");
                free(reply);
            }
            if (nfd >= 0)
                close(nfd);
            krb_context_free(next);
        }
    }

    if (o->cifs) {
        struct krb_ccache_file *cc;
        fprintf(j, ",\"cifs\":{");
        if (!krb_cifs_ccache_create(ctx, o->cifs, o->ccache_dir, &cc, &err)) {
            fprintf(j, "\"error\":");
            jstr(j, err.message);
        } else {
            const char *name = krb_ccache_file_name(cc);
            char dir[512], why[512] = "";
            struct stat st;
            snprintf(dir, sizeof dir, "%s", name + 5);
            *strrchr(dir, '/') = '\0';
            fprintf(j, "\"ccache\":");
            jstr(j, name);
            stat(dir, &st);
            fprintf(j, ",\"dir_mode\":\"%o\"", st.st_mode & 07777);
            if (o->smb_put) {
                bool ok = smb_put(name, o->smb_put, why, sizeof why);
                fprintf(j, ",\"smb_put\":%s", ok ? "true" : "false");
                if (!ok) {
                    fprintf(j, ",\"smb_error\":");
                    jstr(j, why);
                }
            }
            krb_ccache_file_remove(cc);
            fprintf(j, ",\"removed\":%s", access(dir, F_OK) != 0 ? "true" : "false");
        }
        fputc('}', j);
    }
    fputc('}', j);
finish:
    fclose(j);
    printf("%s\n", json);
    fflush(stdout);
    send_frame(fd, json, strlen(json));
    free(json);
    close(fd);
    krb_context_free(ctx);
    krb_acceptor_close(acc);
    return 0;
}

static int
client(const char *host, const char *port, const char *spn, bool wrap_test)
{
    struct krb_context *ctx;
    struct vs_error err;
    char *reply;
    size_t len;
    int fd;

    if (!krb_initiate_begin(spn, NULL, &ctx, &err)) {
        printf("{\"error\":");
        jstr(stdout, err.message);
        printf(",\"stage\":\"begin\"}\n");
        return 1;
    }
    /* the first token before connecting: ticket problems show up first */
    void *first;
    size_t firstlen;
    bool first_done;
    if (!krb_context_step(ctx, NULL, 0, &first, &firstlen, &first_done, &err)) {
        printf("{\"error\":");
        jstr(stdout, err.message);
        printf(",\"stage\":\"first-token\"}\n");
        krb_context_free(ctx);
        return 1;
    }
    fd = tcp_connect(host, port);
    if (fd < 0) {
        free(first);
        printf("{\"error\":\"cannot connect to %s:%s\",\"stage\":\"connect\"}\n", host, port);
        return 1;
    }
    if (!initiate_from(fd, ctx, first, firstlen, first_done, &err)) {
        printf("{\"error\":");
        jstr(stdout, err.message);
        printf(",\"stage\":\"initiate\"}\n");
        krb_context_free(ctx);
        return 1;
    }
    if (wrap_test)
        wrap_test_send(fd, ctx);
    reply = recv_frame(fd, &len);
    printf("%.*s\n", reply ? (int)len : 4, reply ? reply : "null");
    free(reply);
    close(fd);
    krb_context_free(ctx);
    return 0;
}

static int
groups(const char *keytab, const char *spn, char **names, size_t n)
{
    struct krb_acceptor *acc;
    struct vs_error err;
    char **sids;

    if (!krb_acceptor_open(keytab, spn, &acc, &err) || !krb_groups_resolve(acc, NULL, names, n, &sids, &err)) {
        printf("{\"error\":");
        jstr(stdout, err.message);
        printf("}\n");
        return 1;
    }
    putchar('{');
    for (size_t i = 0; i < n; i++) {
        printf("%s", i ? "," : "");
        jstr(stdout, names[i]);
        putchar(':');
        jstr(stdout, sids[i]);
    }
    printf("}\n");
    krb_strv_free(sids, n);
    krb_acceptor_close(acc);
    return 0;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "port", required_argument, NULL, 'p' }, { "keytab", required_argument, NULL, 'k' },
        { "spn", required_argument, NULL, 's' }, { "forward", required_argument, NULL, 'f' },
        { "s4u", required_argument, NULL, 'u' }, { "cifs", required_argument, NULL, 'c' },
        { "ccache-dir", required_argument, NULL, 'd' }, { "smb-put", required_argument, NULL, 'm' },
        { "host", required_argument, NULL, 'h' }, { "wrap-test", no_argument, NULL, 'w' },
        { NULL, 0, NULL, 0 },
    };
    struct serve_opts o = { .ccache_dir = "/tmp" };
    const char *host = NULL, *port = NULL;
    int c;

    if (argc < 2) {
        fprintf(stderr, "usage: krb-probe serve|connect ...\n");
        return 2;
    }
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'p': o.port = atoi(optarg); port = optarg; break;
        case 'k': o.keytab = optarg; break;
        case 's': o.spn = optarg; break;
        case 'f': o.forward = optarg; break;
        case 'u': if (o.ns4u < 8) o.s4u[o.ns4u++] = optarg; break;
        case 'c': o.cifs = optarg; break;
        case 'd': o.ccache_dir = optarg; break;
        case 'm': o.smb_put = optarg; break;
        case 'h': host = optarg; break;
        case 'w': o.wrap_test = true; break;
        default: return 2;
        }
    }
    if (strcmp(argv[1], "groups") == 0 && o.keytab && o.spn)
        return groups(o.keytab, o.spn, argv + optind, (size_t)(argc - optind));
    if (strcmp(argv[1], "serve") == 0 && o.keytab && o.spn && o.port)
        return serve(&o);
    if (strcmp(argv[1], "connect") == 0 && host && port && o.spn)
        return client(host, port, o.spn, o.wrap_test);
    fprintf(stderr, "usage: krb-probe serve --port P --keytab KT --spn SPN [...] | connect --host H --port P --spn SPN\n");
    return 2;
}
