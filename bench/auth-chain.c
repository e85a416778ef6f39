/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench/auth-chain: time krb/'s two-hop chain, N times, in one process.
 *
 *   auth-chain N CLIENT_CCACHE HOSTA_KEYTAB HOSTA_SPN HOSTB_KEYTAB HOSTB_SPN
 *
 * Each round, from a fresh copy of the client's TGT (so that every round
 * pays its TGS request, as a new admin session would): the client starts a
 * context to HOSTA_SPN, hosta accepts, hosta acts for the client toward
 * HOSTB_SPN (S4U2Proxy), hostb accepts. The acceptors are opened once, as a
 * running agent's are. Prints one line per round: total_us hop1_us hop2_us. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5/krb5.h>

#include "krb/krb.h"

static double
now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void
die(const char *what, const struct vs_error *err)
{
    fprintf(stderr, "auth-chain: %s: %s\n", what, err ? err->message : "failed");
    exit(1);
}

/* initiator <-> acceptor until both are done */
static void
exchange(struct krb_context *init, struct krb_context *acc)
{
    struct vs_error err;
    void *tok = NULL, *reply = NULL;
    size_t toklen = 0, replylen = 0;
    bool idone = false, adone = false;

    while (!idone || !adone) {
        if (!idone) {
            if (!krb_context_step(init, reply, replylen, &tok, &toklen, &idone, &err))
                die("initiator", &err);
            free(reply);
            reply = NULL;
            replylen = 0;
        }
        if (!adone && toklen) {
            if (!krb_context_step(acc, tok, toklen, &reply, &replylen, &adone, &err))
                die("acceptor", &err);
        }
        free(tok);
        tok = NULL;
        toklen = 0;
    }
    free(reply);
}

int
main(int argc, char **argv)
{
    struct krb_acceptor *hosta, *hostb;
    struct vs_error err;
    krb5_context k;
    krb5_ccache src;
    krb5_principal client;
    OM_uint32 minor;
    int rounds;

    if (argc != 7) {
        fprintf(stderr, "usage: auth-chain N CLIENT_CCACHE HOSTA_KEYTAB HOSTA_SPN HOSTB_KEYTAB HOSTB_SPN\n");
        return 2;
    }
    rounds = atoi(argv[1]);
    if (!krb_acceptor_open(argv[3], argv[4], &hosta, &err))
        die("hosta's acceptor", &err);
    if (!krb_acceptor_open(argv[5], argv[6], &hostb, &err))
        die("hostb's acceptor", &err);
    if (krb5_init_context(&k) || krb5_cc_resolve(k, argv[2], &src) || krb5_cc_get_principal(k, src, &client))
        die("the client's ccache", NULL);

    for (int i = 0; i < rounds; i++) {
        struct krb_context *c1, *a1, *c2, *a2;
        krb5_ccache mem;
        char name[128];
        double t0, t1, t2;

        /* a fresh ccache holding only the TGT, so each round asks the KDC again */
        snprintf(name, sizeof name, "MEMORY:auth-chain-%d", i);
        if (krb5_cc_resolve(k, name, &mem) || krb5_cc_initialize(k, mem, client))
            die("making a ccache for the round", NULL);
        {
            krb5_cc_cursor cur;
            krb5_creds c;
            int tgts = 0;

            krb5_cc_start_seq_get(k, src, &cur);
            while (krb5_cc_next_cred(k, src, &cur, &c) == 0) {
                if (!krb5_is_config_principal(k, c.server) && c.server->length == 2 &&
                    c.server->data[0].length == 6 && memcmp(c.server->data[0].data, "krbtgt", 6) == 0 &&
                    krb5_cc_store_cred(k, mem, &c) == 0)
                    tgts++;
                krb5_free_cred_contents(k, &c);
            }
            krb5_cc_end_seq_get(k, src, &cur);
            if (tgts == 0)
                die("the client's ccache holds no TGT: kinit first", NULL);
        }
        gss_krb5_ccache_name(&minor, name, NULL);

        t0 = now_us();
        if (!krb_initiate_begin(argv[4], NULL, &c1, &err) || !krb_accept_begin(hosta, &a1, &err))
            die("hop 1", &err);
        exchange(c1, a1);
        t1 = now_us();
        if (!krb_initiate_begin(argv[6], a1, &c2, &err) || !krb_accept_begin(hostb, &a2, &err))
            die("hop 2", &err);
        exchange(c2, a2);
        t2 = now_us();
        if (strcmp(krb_context_peer(a2)->principal, krb_context_peer(a1)->principal) != 0)
            die("hostb saw another client", NULL);
        printf("%.0f %.0f %.0f\n", t2 - t0, t1 - t0, t2 - t1);
        fflush(stdout);
        krb_context_free(c2);
        krb_context_free(a2);
        krb_context_free(c1);
        krb_context_free(a1);
        krb5_cc_destroy(k, mem);
    }
    krb5_free_principal(k, client);
    krb5_cc_close(k, src);
    krb5_free_context(k);
    krb_acceptor_close(hosta);
    krb_acceptor_close(hostb);
    return 0;
}
