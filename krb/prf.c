/* SPDX-License-Identifier: GPL-3.0-or-later */
/* krb/prf.c: keys derived from an established GSSAPI context.
 *
 * gss_pseudo_random (RFC 4401; RFC 7802 defines it for Kerberos as a KDF
 * over the context's session key) gives both ends of one authentication the
 * same secret bytes for the same input, without sending them. The tunnel
 * keys its TLS 1.3 record layer with them (an external PSK), so the bulk
 * stream is bound to the Kerberos authentication without gss_wrap's cost. */
#include <config.h>

#include <string.h>

#include <gssapi/gssapi.h>

#include "krb/krb.h"
#include "krb/internal.h"

bool
krb_context_prf(struct krb_context *ctx, const void *input, size_t inputlen, void *out,
                size_t outlen, struct vs_error *err)
{
    OM_uint32 major, minor;
    gss_buffer_desc in = { .length = inputlen, .value = (void *)input };
    gss_buffer_desc prf = GSS_C_EMPTY_BUFFER;

    if (!ctx->complete || ctx->failed) {
        vs_error_set(err, VS_ERR_PROTOCOL, "no established security context to derive a key from");
        return false;
    }
    if (outlen == 0 || outlen > KRB_PRF_MAX) {
        vs_error_set(err, VS_ERR_INVALID, "a derived key is 1 to %d bytes, not %zu", KRB_PRF_MAX,
                     outlen);
        return false;
    }
    major = gss_pseudo_random(&minor, ctx->gss, GSS_C_PRF_KEY_FULL, &in, (ssize_t)outlen, &prf);
    if (GSS_ERROR(major)) {
        krb_explain(KRB_OP_PRF, major, minor, NULL, err);
        return false;
    }
    if (prf.length != outlen) {
        gss_release_buffer(&minor, &prf);
        vs_error_set(err, VS_ERR_AUTH, "gss_pseudo_random gave %zu bytes instead of %zu",
                     prf.length, outlen);
        return false;
    }
    memcpy(out, prf.value, outlen);
    /* the key material goes no further than out */
    memset(prf.value, 0, prf.length);
    gss_release_buffer(&minor, &prf);
    return true;
}
