/* SPDX-License-Identifier: GPL-3.0-or-later */
/* krb/internal.h: what krb/'s files share and nobody else sees. */
#ifndef VSM_KRB_INTERNAL_H
#define VSM_KRB_INTERNAL_H

#include <gssapi/gssapi.h>
#include <krb5/krb5.h>

#include "krb/krb.h"

struct krb_acceptor {
    gss_cred_id_t cred;
    char *keytab;
    char *spn;
    char *machine;       /* NAME$@REALM: who we are when we delegate */
    char *ccache;        /* MEMORY: ccache holding the machine account's TGT */
    krb5_context k;
    krb5_ccache cc;
};

struct krb_context {
    bool accepting;
    bool complete;
    bool failed;
    gss_ctx_id_t gss;
    struct krb_acceptor *acceptor;     /* accepting */
    gss_cred_id_t delegated;           /* accepting: the proxy credential */
    struct krb_peer peer;              /* accepting, once complete */
    gss_name_t target;                 /* initiating */
    char *target_text;
    struct krb_context *proxy;         /* initiating as proxy's client */
    gss_cred_id_t own;                 /* initiating with the caller's own ticket */
    gss_cred_id_t host;                /* initiating as the host: the acceptor's, borrowed */
    struct krb_acceptor *host_acceptor;
    /* accepting: fill peer once complete (accept.c; a pointer, so that an
     * initiator-only program does not link the PAC decoder) */
    bool (*learn_peer)(struct krb_context *ctx, gss_name_t src, OM_uint32 ret_flags,
                       struct vs_error *err);
};

char *krb_name_text(gss_name_t name);
/* Move a GSS buffer into malloc'd memory (*out, *outlen) and release it;
 * an empty buffer gives *out NULL. false (err set) when out of memory. */
bool krb_take_buffer(gss_buffer_desc *buf, void **out, size_t *outlen, struct vs_error *err);
bool krb_import_principal(const char *principal, gss_name_t *out, struct vs_error *err);
void krb_proxy_hint(const struct krb_context *proxy, const char *target, struct krb_hint *h);

#endif
