/* SPDX-License-Identifier: GPL-3.0-or-later */
/* krb/cifs.c: a CIFS ticket for libsmbclient, obtained as the client.
 *
 * libsmbclient uses Samba's bundled Heimdal: it cannot read MIT's MEMORY:
 * ccaches and takes its ccache from the process-wide KRB5CCNAME. So the
 * ticket goes into a FILE: ccache of its own, in a fresh 0700 directory, and
 * nothing else goes in: not the host's TGT, not the evidence ticket. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5/krb5.h>

#include "common/ccdir.h"
#include "krb/krb.h"
#include "krb/internal.h"

struct krb_ccache_file {
    struct vs_ccache_dir d;
};

const char *
krb_ccache_file_name(const struct krb_ccache_file *cc)
{
    return cc->d.name;
}

void
krb_ccache_file_remove(struct krb_ccache_file *cc)
{
    if (cc == NULL)
        return;
    vs_ccache_dir_remove(&cc->d);
    free(cc);
}

/* Get the ticket into the proxy credential: a context toward the service
 * makes MIT do the S4U2Proxy request. The token itself is not needed. */
static bool
fetch_ticket(struct krb_context *accepted, const char *cifs_principal, struct vs_error *err)
{
    struct krb_context *ctx;
    void *token;
    size_t len;
    bool done, ok;

    if (!krb_initiate_begin(cifs_principal, accepted, &ctx, err))
        return false;
    ok = krb_context_step(ctx, NULL, 0, &token, &len, &done, err);
    free(token);
    krb_context_free(ctx);
    return ok;
}

bool
krb_cifs_ccache_create(struct krb_context *accepted, const char *cifs_principal,
                       const char *parent_dir, struct krb_ccache_file **out, struct vs_error *err)
{
    OM_uint32 major, minor;
    krb5_context k = NULL;
    krb5_ccache mem = NULL, file = NULL;
    krb5_creds match, creds;
    krb5_error_code rc;
    struct krb_ccache_file *cc = NULL;
    char *memname = NULL;
    gss_key_value_element_desc elem;
    gss_key_value_set_desc store = { 1, &elem };
    bool have_creds = false, ok = false;

    *out = NULL;
    memset(&match, 0, sizeof match);
    memset(&creds, 0, sizeof creds);
    if (!fetch_ticket(accepted, cifs_principal, err))
        return false;

    if (asprintf(&memname, "MEMORY:vsm-cifs-%d-%p", (int)getpid(), (void *)accepted) < 0) {
        vs_error_set(err, VS_ERR_NOMEM, "out of memory");
        return false;
    }
    elem = (gss_key_value_element_desc){ "ccache", memname };
    major = gss_store_cred_into(&minor, accepted->delegated, GSS_C_INITIATE, gss_mech_krb5, 1, 0,
                                &store, NULL, NULL);
    if (GSS_ERROR(major)) {
        krb_explain(KRB_OP_STORE, major, minor, NULL, err);
        free(memname);
        return false;
    }
    if ((rc = krb5_init_context(&k)) != 0 || (rc = krb5_cc_resolve(k, memname, &mem)) != 0 ||
        (rc = krb5_parse_name(k, accepted->peer.principal, &match.client)) != 0 ||
        (rc = krb5_parse_name(k, cifs_principal, &match.server)) != 0) {
        vs_error_set(err, VS_ERR_INTERNAL, "cannot read back the CIFS ticket: %s", error_message(rc));
        goto done;
    }
    if ((rc = krb5_cc_retrieve_cred(k, mem, 0, &match, &creds)) != 0) {
        vs_error_set(err, VS_ERR_INTERNAL, "the CIFS ticket for %s is not in the proxy credential: %s",
                     cifs_principal, error_message(rc));
        goto done;
    }
    have_creds = true;

    cc = calloc(1, sizeof *cc);
    if (cc == NULL) {
        vs_error_set(err, VS_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (!vs_ccache_dir_create(&cc->d, parent_dir, "vsm-cifs", err))
        goto done;
    if ((rc = krb5_cc_resolve(k, cc->d.name, &file)) != 0 ||
        (rc = krb5_cc_initialize(k, file, match.client)) != 0 ||
        (rc = krb5_cc_store_cred(k, file, &creds)) != 0) {
        vs_error_set(err, VS_ERR_IO, "cannot write the CIFS ccache %s: %s", cc->d.path, error_message(rc));
        goto done;
    }
    ok = true;
done:
    if (file)
        krb5_cc_close(k, file);
    if (mem)
        krb5_cc_destroy(k, mem);
    if (have_creds)
        krb5_free_cred_contents(k, &creds);
    if (match.client)
        krb5_free_principal(k, match.client);
    if (match.server)
        krb5_free_principal(k, match.server);
    if (k)
        krb5_free_context(k);
    free(memname);
    if (ok)
        *out = cc;
    else
        krb_ccache_file_remove(cc);
    return ok;
}
