/* SPDX-License-Identifier: GPL-3.0-or-later */
/* krb/selfcheck.c: what `vsmigrate doctor` asks of Kerberos on a host.
 *
 * Does the keytab hold the keys the KDC has now, how far the clock is from
 * the KDC's, and may this host really delegate to a target: each answered
 * by asking the KDC, never by reading the directory, so the answer is the
 * one a migration would get. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gssapi/gssapi.h>
#include <krb5/krb5.h>

#include "common/krb5util.h"
#include "krb/krb.h"
#include "krb/internal.h"

static void
highest_kvnos(krb5_context k, krb5_keytab kt, krb5_principal machine, krb5_principal service,
              struct krb_keytab_status *st)
{
    krb5_kt_cursor cur;
    krb5_keytab_entry e;

    if (krb5_kt_start_seq_get(k, kt, &cur) != 0)
        return;
    while (krb5_kt_next_entry(k, kt, &e, &cur) == 0) {
        /* machine account names are not case-sensitive: "hosta$" is "HOSTA$" */
        if (krb5_principal_compare_flags(k, e.principal, machine, KRB5_PRINCIPAL_COMPARE_CASEFOLD) &&
            (int)e.vno > st->machine_kvno) {
            char *name = NULL;
            st->machine_kvno = (int)e.vno;
            if (krb5_unparse_name(k, e.principal, &name) == 0)
                snprintf(st->machine, sizeof st->machine, "%s", name);
            krb5_free_unparsed_name(k, name);
        }
        if (krb5_principal_compare(k, e.principal, service) && (int)e.vno > st->service_kvno)
            st->service_kvno = (int)e.vno;
        krb5_free_keytab_entry_contents(k, &e);
    }
    krb5_kt_end_seq_get(k, kt, &cur);
}

bool
krb_keytab_examine(const char *keytab, const char *machine, const char *spn,
                   struct krb_keytab_status *st, struct vs_error *err)
{
    krb5_context k = NULL;
    krb5_keytab kt = NULL;
    krb5_principal mp = NULL, sp = NULL;
    krb5_ccache cc = NULL;
    krb5_creds tgt, in, *svc = NULL;
    krb5_ticket *ticket = NULL;
    krb5_error_code rc;
    bool ok = false, have_tgt = false;

    memset(st, 0, sizeof *st);
    st->machine_kvno = st->service_kvno = st->kdc_service_kvno = -1;
    memset(&tgt, 0, sizeof tgt);
    if ((rc = krb5_init_context(&k)) != 0) {
        vs_error_set(err, VS_ERR_INTERNAL, "cannot start Kerberos: %s (check krb5.conf)",
                     error_message(rc));
        return false;
    }
    if ((rc = krb5_kt_resolve(k, keytab, &kt)) != 0 || (rc = krb5_parse_name(k, machine, &mp)) != 0 ||
        (rc = krb5_parse_name(k, spn, &sp)) != 0) {
        vs_error_set(err, VS_ERR_INVALID, "cannot use the keytab %s with %s and %s: %s", keytab,
                     machine, spn, krb5_get_error_message(k, rc));
        goto out;
    }
    highest_kvnos(k, kt, mp, sp, st);
    ok = true;
    if (st->machine_kvno < 0)
        goto out;
    /* ask as the keytab spells it */
    krb5_free_principal(k, mp);
    mp = NULL;
    if (krb5_parse_name(k, st->machine, &mp) != 0)
        goto out;
    /* the machine account's own TGT: fails when the keytab's key is stale */
    rc = vs_krb5_tgt_from_keytab(k, keytab, st->machine, 0, true, &tgt);
    if (rc != 0) {
        const char *m = krb5_get_error_message(k, rc);
        snprintf(st->tgt_error, sizeof st->tgt_error, "%s", m);
        krb5_free_error_message(k, m);
        st->tgt_stale_key = rc == KRB5KDC_ERR_PREAUTH_FAILED || rc == KRB5KRB_AP_ERR_BAD_INTEGRITY ||
                            rc == KRB5KRB_AP_ERR_MODIFIED;
        goto out;
    }
    have_tgt = true;
    st->tgt_ok = true;
    st->clock_skew = (long)tgt.times.authtime - (long)time(NULL);
    if (st->service_kvno < 0)
        goto out;
    /* a ticket for our own service tells the kvno the KDC encrypts with */
    if (krb5_cc_new_unique(k, "MEMORY", NULL, &cc) != 0 || krb5_cc_initialize(k, cc, mp) != 0 ||
        krb5_cc_store_cred(k, cc, &tgt) != 0)
        goto out;
    memset(&in, 0, sizeof in);
    in.client = mp;
    in.server = sp;
    rc = krb5_get_credentials(k, 0, cc, &in, &svc);
    if (rc != 0) {
        const char *m = krb5_get_error_message(k, rc);
        snprintf(st->service_error, sizeof st->service_error, "%s", m);
        krb5_free_error_message(k, m);
        goto out;
    }
    if (krb5_decode_ticket(&svc->ticket, &ticket) == 0)
        st->kdc_service_kvno = (int)ticket->enc_part.kvno;
out:
    if (ticket)
        krb5_free_ticket(k, ticket);
    if (svc)
        krb5_free_creds(k, svc);
    if (cc)
        krb5_cc_destroy(k, cc);
    if (have_tgt)
        krb5_free_cred_contents(k, &tgt);
    if (sp)
        krb5_free_principal(k, sp);
    if (mp)
        krb5_free_principal(k, mp);
    if (kt)
        krb5_kt_close(k, kt);
    krb5_free_context(k);
    return ok;
}

/* Run a GSSAPI exchange between two contexts in this process. */
static bool
handshake(struct krb_context *ini, struct krb_context *acc, struct vs_error *err)
{
    void *tok = NULL, *back = NULL;
    size_t toklen = 0, backlen = 0;
    bool ini_done = false, acc_done = false;

    for (int round = 0; round < 4 && !(ini_done && acc_done); round++) {
        if (!ini_done && !krb_context_step(ini, back, backlen, &tok, &toklen, &ini_done, err))
            goto fail;
        free(back);
        back = NULL;
        backlen = 0;
        if (tok && !krb_context_step(acc, tok, toklen, &back, &backlen, &acc_done, err))
            goto fail;
        free(tok);
        tok = NULL;
    }
    free(back);
    if (!(ini_done && acc_done)) {
        vs_error_set(err, VS_ERR_PROTOCOL, "the host's own GSSAPI exchange did not complete");
        return false;
    }
    return true;
fail:
    free(tok);
    free(back);
    return false;
}

bool
krb_delegation_probe(struct krb_acceptor *acc, const char *target, struct vs_error *err)
{
    struct krb_context *ini = NULL, *accepted = NULL, *proxy = NULL;
    struct krb_ccache_file *cc = NULL;
    void *tok = NULL;
    size_t toklen = 0;
    bool done = false, ok = false;

    /* The host sends itself a ticket (its machine account to its own
     * vsmigrate/ SPN), exactly as an admin's would arrive, then uses it as
     * the evidence for S4U2Proxy toward target. */
    if (!krb_initiate_as_host(acc->spn, acc, &ini, err) || !krb_accept_begin(acc, &accepted, err) ||
        !handshake(ini, accepted, err))
        goto out;
    if (strncmp(target, "cifs/", 5) == 0) {
        ok = krb_cifs_ccache_create(accepted, target, NULL, &cc, err);
        if (cc)
            krb_ccache_file_remove(cc);
    } else {
        ok = krb_initiate_begin(target, accepted, &proxy, err) &&
             krb_context_step(proxy, NULL, 0, &tok, &toklen, &done, err);
    }
out:
    free(tok);
    krb_context_free(proxy);
    krb_context_free(accepted);
    krb_context_free(ini);
    return ok;
}
