/* SPDX-License-Identifier: GPL-3.0-or-later */
/* krb/context.c: GSSAPI contexts, both sides, and what an accepted client is.
 *
 * The acceptor's credential is usable both ways: accept with the keytab, and
 * initiate as the host's machine account (its TGT from the same keytab, kept
 * in a MEMORY ccache of the acceptor's own). With such a credential MIT
 * returns a proxy credential for each accepted client, and using that
 * credential toward another service is S4U2Proxy. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5/krb5.h>

#include "krb/krb.h"
#include "krb/internal.h"

#define REQUIRED_FLAGS (GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG | \
                        GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG)

/* ---- small helpers ------------------------------------------------------- */

char *
krb_name_text(gss_name_t name)
{
    OM_uint32 minor;
    gss_buffer_desc buf = GSS_C_EMPTY_BUFFER;
    char *text;

    if (GSS_ERROR(gss_display_name(&minor, name, &buf, NULL)))
        return NULL;
    text = strndup(buf.value, buf.length);
    gss_release_buffer(&minor, &buf);
    return text;
}

bool
krb_take_buffer(gss_buffer_desc *buf, void **out, size_t *outlen, struct vs_error *err)
{
    OM_uint32 minor;

    *out = NULL;
    *outlen = 0;
    if (buf->length > 0) {
        *out = malloc(buf->length);
        if (*out == NULL) {
            gss_release_buffer(&minor, buf);
            vs_error_set(err, VS_ERR_NOMEM, "out of memory");
            return false;
        }
        memcpy(*out, buf->value, buf->length);
        *outlen = buf->length;
    }
    gss_release_buffer(&minor, buf);
    return true;
}

bool
krb_import_principal(const char *principal, gss_name_t *out, struct vs_error *err)
{
    OM_uint32 major, minor;
    gss_buffer_desc buf = { strlen(principal), (void *)(uintptr_t)principal };

    major = gss_import_name(&minor, &buf, GSS_KRB5_NT_PRINCIPAL_NAME, out);
    if (GSS_ERROR(major)) {
        vs_error_set(err, VS_ERR_INVALID, "'%s' is not a valid Kerberos principal name", principal);
        return false;
    }
    return true;
}

/* The machine account in a keytab: the entry "NAME$@REALM" of the realm of
 * spn. The host acts as this account when it delegates. */
bool
krb_keytab_machine(const char *keytab, const char *spn, char **out, struct vs_error *err)
{
    krb5_context k = NULL;
    krb5_keytab kt = NULL;
    krb5_kt_cursor cursor;
    krb5_keytab_entry entry;
    krb5_error_code rc;
    const char *realm = strrchr(spn, '@');
    bool found = false;

    *out = NULL;
    if (realm == NULL) {
        vs_error_set(err, VS_ERR_INVALID, "the service principal '%s' has no realm: write it as "
                     "vsmigrate/host.domain@REALM", spn);
        return false;
    }
    realm++;
    if ((rc = krb5_init_context(&k)) != 0) {
        vs_error_set(err, VS_ERR_INTERNAL, "cannot initialise Kerberos: %s (check that krb5.conf, "
                     "or the file KRB5_CONFIG names, exists and parses)", error_message(rc));
        return false;
    }
    if (access(keytab, F_OK) != 0 || access(keytab, R_OK) != 0) {
        int e = errno;
        krb5_free_context(k);
        krb_explain(KRB_OP_ACQUIRE_ACCEPTOR, GSS_S_NO_CRED, (uint32_t)e,
                    &(struct krb_hint){ .keytab = keytab, .service = spn }, err);
        return false;
    }
    if ((rc = krb5_kt_resolve(k, keytab, &kt)) != 0 || (rc = krb5_kt_start_seq_get(k, kt, &cursor)) != 0) {
        vs_error_set(err, VS_ERR_AUTH, "cannot read the keytab %s: %s", keytab, error_message(rc));
        if (kt)
            krb5_kt_close(k, kt);
        krb5_free_context(k);
        return false;
    }
    while (!found && krb5_kt_next_entry(k, kt, &entry, &cursor) == 0) {
        char *name = NULL;
        if (krb5_unparse_name(k, entry.principal, &name) == 0) {
            const char *at = strrchr(name, '@');
            if (at && at > name && at[-1] == '$' && strcmp(at + 1, realm) == 0 &&
                strchr(name, '/') == NULL) {
                *out = strdup(name);
                found = *out != NULL;
            }
            krb5_free_unparsed_name(k, name);
        }
        krb5_free_keytab_entry_contents(k, &entry);
    }
    krb5_kt_end_seq_get(k, kt, &cursor);
    krb5_kt_close(k, kt);
    krb5_free_context(k);
    if (!found)
        vs_error_set(err, VS_ERR_AUTH,
                     "the keytab %s holds no machine account (NAME$@%s): the host delegates as its "
                     "computer account, so export that too (samba-tool domain exportkeytab %s "
                     "--principal='HOST$')",
                     keytab, realm, keytab);
    return found;
}

/* Does the keytab hold a key for spn? Checked at open, so that a missing SPN
 * is reported when the daemon starts, not at the first client. */
static bool
keytab_has(const char *keytab, const char *spn, struct vs_error *err)
{
    krb5_context k = NULL;
    krb5_keytab kt = NULL;
    krb5_principal p = NULL;
    krb5_keytab_entry entry;
    krb5_error_code rc;

    if ((rc = krb5_init_context(&k)) != 0) {
        vs_error_set(err, VS_ERR_INTERNAL, "cannot initialise Kerberos: %s (check that krb5.conf, "
                     "or the file KRB5_CONFIG names, exists and parses)", error_message(rc));
        return false;
    }
    rc = krb5_kt_resolve(k, keytab, &kt);
    if (rc == 0)
        rc = krb5_parse_name(k, spn, &p);
    if (rc == 0)
        rc = krb5_kt_get_entry(k, kt, p, 0, 0, &entry);
    if (rc == 0)
        krb5_free_keytab_entry_contents(k, &entry);
    else
        krb_explain(KRB_OP_ACQUIRE_ACCEPTOR, GSS_S_NO_CRED, (uint32_t)rc,
                    &(struct krb_hint){ .keytab = keytab, .service = spn }, err);
    if (p)
        krb5_free_principal(k, p);
    if (kt)
        krb5_kt_close(k, kt);
    krb5_free_context(k);
    return rc == 0;
}

/* ---- acceptor -------------------------------------------------------------- */

bool
krb_acceptor_open(const char *keytab, const char *spn, struct krb_acceptor **out,
                  struct vs_error *err)
{
    struct krb_acceptor *acc;
    OM_uint32 major, minor;
    krb5_context k = NULL;
    krb5_ccache cc = NULL;
    krb5_principal machine = NULL;
    gss_key_value_element_desc elems[3];
    gss_key_value_set_desc store = { 3, elems };
    krb5_error_code rc;

    *out = NULL;
    acc = calloc(1, sizeof *acc);
    if (acc == NULL) {
        vs_error_set(err, VS_ERR_NOMEM, "out of memory");
        return false;
    }
    acc->cred = GSS_C_NO_CREDENTIAL;
    acc->keytab = strdup(keytab);
    acc->spn = strdup(spn);
    if (asprintf(&acc->ccache, "MEMORY:vsm-acceptor-%d-%p", (int)getpid(), (void *)acc) < 0)
        acc->ccache = NULL;
    if (acc->keytab == NULL || acc->spn == NULL || acc->ccache == NULL) {
        vs_error_set(err, VS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (!keytab_has(keytab, spn, err) || !krb_keytab_machine(keytab, spn, &acc->machine, err))
        goto fail;

    /* The ccache names the machine account, so MIT fetches (and renews) that
     * account's TGT from the client keytab, whatever the keytab's order. */
    if ((rc = krb5_init_context(&k)) != 0 || (rc = krb5_cc_resolve(k, acc->ccache, &cc)) != 0 ||
        (rc = krb5_parse_name(k, acc->machine, &machine)) != 0 ||
        (rc = krb5_cc_initialize(k, cc, machine)) != 0) {
        vs_error_set(err, VS_ERR_INTERNAL, "cannot set up the acceptor's ccache: %s", error_message(rc));
        goto fail;
    }
    elems[0] = (gss_key_value_element_desc){ "keytab", acc->keytab };
    elems[1] = (gss_key_value_element_desc){ "client_keytab", acc->keytab };
    elems[2] = (gss_key_value_element_desc){ "ccache", acc->ccache };
    major = gss_acquire_cred_from(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, GSS_C_NO_OID_SET,
                                  GSS_C_BOTH, &store, &acc->cred, NULL, NULL);
    if (GSS_ERROR(major)) {
        krb_explain(KRB_OP_ACQUIRE_ACCEPTOR, major, minor,
                    &(struct krb_hint){ .keytab = keytab, .service = spn, .impersonator = acc->machine },
                    err);
        goto fail;
    }
    acc->k = k;
    acc->cc = cc;
    krb5_free_principal(k, machine);
    *out = acc;
    return true;
fail:
    if (machine)
        krb5_free_principal(k, machine);
    if (cc)
        krb5_cc_destroy(k, cc);
    if (k)
        krb5_free_context(k);
    acc->k = NULL;
    acc->cc = NULL;
    krb_acceptor_close(acc);
    return false;
}

void
krb_acceptor_close(struct krb_acceptor *acc)
{
    OM_uint32 minor;

    if (acc == NULL)
        return;
    if (acc->cred != GSS_C_NO_CREDENTIAL)
        gss_release_cred(&minor, &acc->cred);
    if (acc->cc)
        krb5_cc_destroy(acc->k, acc->cc);
    if (acc->k)
        krb5_free_context(acc->k);
    free(acc->keytab);
    free(acc->spn);
    free(acc->ccache);
    free(acc->machine);
    free(acc);
}

/* ---- contexts ---------------------------------------------------------------- */

/* The caller's own ticket, looked at before anything goes on the wire, so
 * that "no ticket" and "expired" are said plainly and at once. */
static bool
acquire_own(struct krb_context *ctx, struct vs_error *err)
{
    OM_uint32 major, minor, lifetime = 0;
    gss_OID_set_desc mechs = { 1, (gss_OID)gss_mech_krb5 };

    major = gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE,
                             &ctx->own, NULL, &lifetime);
    if (!GSS_ERROR(major) && lifetime == 0)
        major = GSS_S_CREDENTIALS_EXPIRED;
    if (GSS_ERROR(major)) {
        char *client = NULL;
        gss_name_t name = GSS_C_NO_NAME;

        if (ctx->own != GSS_C_NO_CREDENTIAL &&
            !GSS_ERROR(gss_inquire_cred(&minor, ctx->own, &name, NULL, NULL, NULL))) {
            client = krb_name_text(name);
            gss_release_name(&minor, &name);
        }
        krb_explain(KRB_OP_ACQUIRE_INITIATOR, major, GSS_ROUTINE_ERROR(major) == GSS_S_CREDENTIALS_EXPIRED ? 0 : minor,
                    &(struct krb_hint){ .target = ctx->target_text, .client = client }, err);
        free(client);
        return false;
    }
    return true;
}

/* A new initiating context toward target; the caller picks its credential. */
static struct krb_context *
initiator_new(const char *target, struct vs_error *err)
{
    struct krb_context *ctx = calloc(1, sizeof *ctx);

    if (ctx == NULL) {
        vs_error_set(err, VS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    ctx->gss = GSS_C_NO_CONTEXT;
    ctx->delegated = GSS_C_NO_CREDENTIAL;
    ctx->own = GSS_C_NO_CREDENTIAL;
    ctx->host = GSS_C_NO_CREDENTIAL;
    ctx->target_text = strdup(target);
    if (ctx->target_text == NULL || !krb_import_principal(target, &ctx->target, err)) {
        if (ctx->target_text == NULL)
            vs_error_set(err, VS_ERR_NOMEM, "out of memory");
        krb_context_free(ctx);
        return NULL;
    }
    return ctx;
}

bool
krb_initiate_begin(const char *target, struct krb_context *proxy, struct krb_context **out,
                   struct vs_error *err)
{
    struct krb_context *ctx;

    *out = NULL;
    if (proxy != NULL && (!proxy->accepting || !proxy->complete ||
                          proxy->delegated == GSS_C_NO_CREDENTIAL)) {
        vs_error_set(err, VS_ERR_DENIED,
                     "no proxy credential to act for the client with: the client's context is not "
                     "complete, or this host's credential is accept-only");
        return false;
    }
    if ((ctx = initiator_new(target, err)) == NULL)
        return false;
    ctx->proxy = proxy;
    if (proxy == NULL && !acquire_own(ctx, err)) {
        krb_context_free(ctx);
        return false;
    }
    *out = ctx;
    return true;
}

bool
krb_initiate_as_host(const char *target, struct krb_acceptor *acc, struct krb_context **out,
                     struct vs_error *err)
{
    struct krb_context *ctx;

    *out = NULL;
    if ((ctx = initiator_new(target, err)) == NULL)
        return false;
    ctx->host = acc->cred;
    ctx->host_acceptor = acc;
    *out = ctx;
    return true;
}

const char *
krb_acceptor_machine(const struct krb_acceptor *acc)
{
    return acc->machine;
}

bool
krb_service_principal_for(const char *service, const char *host, char **out, struct vs_error *err)
{
    krb5_context k;
    char *realm = NULL, *domain;
    krb5_error_code rc;
    int n;

    *out = NULL;
    if (host[0] == '\0' || strpbrk(host, "/@ \t") != NULL) {
        vs_error_set(err, VS_ERR_INVALID, "'%s' is not a host name", host);
        return false;
    }
    if ((rc = krb5_init_context(&k)) != 0) {
        vs_error_set(err, VS_ERR_INTERNAL, "cannot initialise Kerberos: %s (check that krb5.conf, "
                     "or the file KRB5_CONFIG names, exists and parses)", error_message(rc));
        return false;
    }
    if ((rc = krb5_get_default_realm(k, &realm)) != 0) {
        vs_error_set(err, VS_ERR_INVALID, "krb5.conf names no default realm (%s): set "
                     "default_realm in [libdefaults], or give the service principal explicitly",
                     error_message(rc));
        krb5_free_context(k);
        return false;
    }
    domain = strdup(realm);
    for (char *c = domain; c && *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if (domain == NULL)
        n = -1;
    else if (strchr(host, '.'))
        n = asprintf(out, "%s/%s@%s", service, host, realm);
    else
        n = asprintf(out, "%s/%s.%s@%s", service, host, domain, realm);
    free(domain);
    krb5_free_default_realm(k, realm);
    krb5_free_context(k);
    if (n < 0) {
        *out = NULL;
        vs_error_set(err, VS_ERR_NOMEM, "out of memory");
        return false;
    }
    for (char *c = *out + strlen(service) + 1; *c && *c != '@'; c++)
        *c = (char)tolower((unsigned char)*c);
    return true;
}

/* The hint for errors when acting for proxy's client. */
void
krb_proxy_hint(const struct krb_context *proxy, const char *target, struct krb_hint *h)
{
    memset(h, 0, sizeof *h);
    h->target = target;
    if (proxy == NULL)
        return;
    h->impersonator = proxy->acceptor ? proxy->acceptor->machine : NULL;
    h->service = proxy->acceptor ? proxy->acceptor->spn : NULL;
    h->client = proxy->peer.principal;
    h->evidence_known = true;
    h->evidence_forwardable = proxy->peer.ticket_forwardable;
    h->client_not_delegated = proxy->peer.have_pac && proxy->peer.pac.not_delegated;
}

bool
krb_context_step(struct krb_context *ctx, const void *in, size_t inlen, void **out, size_t *outlen,
                 bool *done, struct vs_error *err)
{
    OM_uint32 major, minor, ret_flags = 0;
    gss_buffer_desc input = { inlen, (void *)(uintptr_t)in };
    gss_buffer_desc output = GSS_C_EMPTY_BUFFER;
    gss_name_t src = GSS_C_NO_NAME;

    *out = NULL;
    *outlen = 0;
    *done = false;
    if (ctx->complete || ctx->failed) {
        vs_error_set(err, VS_ERR_PROTOCOL, "the authentication exchange is already %s",
                     ctx->complete ? "complete" : "failed");
        return false;
    }
    if (ctx->accepting) {
        major = gss_accept_sec_context(&minor, &ctx->gss, ctx->acceptor->cred, &input,
                                       GSS_C_NO_CHANNEL_BINDINGS, &src, NULL, &output, &ret_flags,
                                       NULL, &ctx->delegated);
    } else {
        gss_cred_id_t cred = ctx->proxy ? ctx->proxy->delegated
                             : ctx->host != GSS_C_NO_CREDENTIAL ? ctx->host : ctx->own;
        major = gss_init_sec_context(&minor, cred, &ctx->gss, ctx->target, gss_mech_krb5,
                                     REQUIRED_FLAGS, 0, GSS_C_NO_CHANNEL_BINDINGS,
                                     inlen ? &input : GSS_C_NO_BUFFER, NULL, &output, &ret_flags,
                                     NULL);
    }
    if (GSS_ERROR(major)) {
        struct krb_hint h;
        ctx->failed = true;
        if (ctx->accepting) {
            memset(&h, 0, sizeof h);
            h.keytab = ctx->acceptor->keytab;
            h.service = ctx->acceptor->spn;
            krb_explain(KRB_OP_ACCEPT, major, minor, &h, err);
        } else {
            krb_proxy_hint(ctx->proxy, ctx->target_text, &h);
            if (ctx->host_acceptor != NULL)
                h.client = ctx->host_acceptor->machine;
            krb_explain(ctx->proxy ? KRB_OP_S4U2PROXY : KRB_OP_INIT, major, minor, &h, err);
        }
        gss_release_buffer(&minor, &output);
        gss_release_name(&minor, &src);
        return false;
    }
    if (!krb_take_buffer(&output, out, outlen, err)) {
        gss_release_name(&minor, &src);
        return false;
    }
    if (major == GSS_S_COMPLETE) {
        bool ok = true;
        if (ctx->accepting)
            ok = ctx->learn_peer(ctx, src, ret_flags, err);
        else if ((ret_flags & REQUIRED_FLAGS) != REQUIRED_FLAGS) {
            vs_error_set(err, VS_ERR_AUTH, "%s did not agree to mutual authentication with replay "
                         "and integrity protection", ctx->target_text);
            ok = false;
        }
        if (!ok) {
            ctx->failed = true;
            free(*out);
            *out = NULL;
            *outlen = 0;
            gss_release_name(&minor, &src);
            return false;
        }
        ctx->complete = true;
        *done = true;
    }
    gss_release_name(&minor, &src);
    return true;
}

const struct krb_peer *
krb_context_peer(const struct krb_context *ctx)
{
    return ctx->accepting && ctx->complete ? &ctx->peer : NULL;
}

void
krb_context_free(struct krb_context *ctx)
{
    OM_uint32 minor;

    if (ctx == NULL)
        return;
    if (ctx->gss != GSS_C_NO_CONTEXT)
        gss_delete_sec_context(&minor, &ctx->gss, GSS_C_NO_BUFFER);
    if (ctx->delegated != GSS_C_NO_CREDENTIAL)
        gss_release_cred(&minor, &ctx->delegated);
    if (ctx->own != GSS_C_NO_CREDENTIAL)
        gss_release_cred(&minor, &ctx->own);
    if (ctx->target != GSS_C_NO_NAME)
        gss_release_name(&minor, &ctx->target);
    free(ctx->target_text);
    free(ctx->peer.principal);
    krb_pac_info_free(&ctx->peer.pac);
    krb_strv_free(ctx->peer.delegated_by, ctx->peer.ndelegated_by);
    free(ctx);
}
