/* SPDX-License-Identifier: GPL-3.0-or-later */
/* krb/accept.c: what an accepted client is: its principal, the PAC's group
 * SIDs and account flags, the services that delegated, its ticket's flags.
 *
 * Apart from context.c because only the acceptor decodes PACs (Samba's NDR):
 * a program that only initiates (the workstation's vsmigrate) links neither
 * this file nor NDR. */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5/krb5.h>

#include "krb/krb.h"
#include "krb/internal.h"

/* Read a PAC buffer by name attribute; false if absent or unauthenticated. */
static bool
get_pac_buffer(gss_name_t name, const char *attr, gss_buffer_desc *value)
{
    OM_uint32 major, minor;
    gss_buffer_desc attr_buf = { strlen(attr), (void *)(uintptr_t)attr };
    int authenticated = 0, complete = 0, more = -1;

    major = gss_get_name_attribute(&minor, name, &attr_buf, &authenticated, &complete, value,
                                   GSS_C_NO_BUFFER, &more);
    if (GSS_ERROR(major))
        return false;
    if (!authenticated) {
        gss_release_buffer(&minor, value);
        return false;
    }
    return true;
}

/* Fill ctx->peer once an accepted context is complete. */
static bool
learn_peer(struct krb_context *ctx, gss_name_t src, OM_uint32 ret_flags, struct vs_error *err)
{
    struct krb_peer *peer = &ctx->peer;
    OM_uint32 major, minor;
    gss_name_t target = GSS_C_NO_NAME;
    gss_buffer_desc value = GSS_C_EMPTY_BUFFER;
    krb5_flags tkt_flags = 0;
    char *target_text;

    if ((ret_flags & GSS_C_MUTUAL_FLAG) == 0) {
        vs_error_set(err, VS_ERR_DENIED,
                     "the client did not ask for mutual authentication, which vsmigrate requires: "
                     "use a vsmigrate client");
        return false;
    }
    /* Only our service: the SPN, or the computer account it belongs to
     * (Samba's KDC names the ticket after the account). Any other principal
     * that happens to be in the keytab is not us. */
    major = gss_inquire_context(&minor, ctx->gss, NULL, &target, NULL, NULL, NULL, NULL, NULL);
    target_text = GSS_ERROR(major) ? NULL : krb_name_text(target);
    gss_release_name(&minor, &target);
    if (target_text == NULL || (strcmp(target_text, ctx->acceptor->spn) != 0 &&
                                strcmp(target_text, ctx->acceptor->machine) != 0)) {
        vs_error_set(err, VS_ERR_DENIED,
                     "the client authenticated to %s, not to %s: it must name this service's SPN",
                     target_text ? target_text : "another principal", ctx->acceptor->spn);
        free(target_text);
        return false;
    }
    free(target_text);

    peer->principal = krb_name_text(src);
    if (peer->principal == NULL) {
        vs_error_set(err, VS_ERR_NOMEM, "out of memory");
        return false;
    }
    if (get_pac_buffer(src, "urn:mspac:logon-info", &value)) {
        struct vs_error pac_err;
        peer->have_pac = krb_pac_decode_logon_info(value.value, value.length, &peer->pac, &pac_err);
        gss_release_buffer(&minor, &value);
        if (!peer->have_pac) {
            vs_error_set(err, VS_ERR_PROTOCOL, "the client's PAC is damaged: %s", pac_err.message);
            return false;
        }
    }
    if (get_pac_buffer(src, "urn:mspac:delegation-info", &value)) {
        struct vs_error pac_err;
        bool ok = krb_pac_decode_delegation(value.value, value.length, &peer->delegated_by,
                                            &peer->ndelegated_by, &pac_err);
        gss_release_buffer(&minor, &value);
        if (!ok) {
            vs_error_set(err, VS_ERR_PROTOCOL, "the client's PAC is damaged: %s", pac_err.message);
            return false;
        }
    }
    if (!GSS_ERROR(gss_krb5_get_tkt_flags(&minor, ctx->gss, &tkt_flags)))
        peer->ticket_forwardable = (tkt_flags & TKT_FLG_FORWARDABLE) != 0;
    peer->proxy_credential = ctx->delegated != GSS_C_NO_CREDENTIAL;
    return true;
}

bool
krb_accept_begin(struct krb_acceptor *acc, struct krb_context **out, struct vs_error *err)
{
    struct krb_context *ctx = calloc(1, sizeof *ctx);

    *out = NULL;
    if (ctx == NULL) {
        vs_error_set(err, VS_ERR_NOMEM, "out of memory");
        return false;
    }
    ctx->accepting = true;
    ctx->learn_peer = learn_peer;
    ctx->acceptor = acc;
    ctx->gss = GSS_C_NO_CONTEXT;
    ctx->delegated = GSS_C_NO_CREDENTIAL;
    ctx->target = GSS_C_NO_NAME;
    *out = ctx;
    return true;
}

