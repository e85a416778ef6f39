/* SPDX-License-Identifier: GPL-3.0-or-later */
/* krb/wrap.c: per-message protection for the agents' protocol.
 *
 * Contexts are established with replay and sequence detection, so GSSAPI
 * itself tells a replayed message (GSS_S_DUPLICATE_TOKEN) from an altered
 * one (GSS_S_BAD_SIG); krb_unwrap_classify turns that into words. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <gssapi/gssapi.h>

#include "krb/krb.h"
#include "krb/internal.h"

enum krb_unwrap_status
krb_unwrap_classify(uint32_t major)
{
    uint32_t routine = GSS_ROUTINE_ERROR(major);

    if (routine == GSS_S_BAD_SIG)
        return KRB_UNWRAP_TAMPERED;
    if (routine == GSS_S_DEFECTIVE_TOKEN)
        return KRB_UNWRAP_MALFORMED;
    if (GSS_ERROR(major))
        return KRB_UNWRAP_FAILED;
    if (major & GSS_S_DUPLICATE_TOKEN)
        return KRB_UNWRAP_REPLAYED;
    if (major & (GSS_S_OLD_TOKEN | GSS_S_UNSEQ_TOKEN))
        return KRB_UNWRAP_OUT_OF_ORDER;
    if (major & GSS_S_GAP_TOKEN)
        return KRB_UNWRAP_GAP;
    return KRB_UNWRAP_OK;
}

const char *
krb_unwrap_status_text(enum krb_unwrap_status s)
{
    switch (s) {
    case KRB_UNWRAP_OK: return "intact";
    case KRB_UNWRAP_TAMPERED: return "altered in transit (its checksum does not match)";
    case KRB_UNWRAP_REPLAYED: return "a replay of a message already received";
    case KRB_UNWRAP_OUT_OF_ORDER: return "older than a message already received (out of order)";
    case KRB_UNWRAP_GAP: return "later than expected: a message in between was lost";
    case KRB_UNWRAP_MALFORMED: return "not a protected message at all";
    case KRB_UNWRAP_FAILED: return "not verifiable (the security context failed or expired)";
    }
    return "unknown";
}

static bool
usable(const struct krb_context *ctx, struct vs_error *err)
{
    if (!ctx->complete || ctx->failed) {
        vs_error_set(err, VS_ERR_PROTOCOL, "no established security context to protect messages with");
        return false;
    }
    return true;
}

bool
krb_wrap(struct krb_context *ctx, bool confidential, const void *in, size_t inlen, void **out,
         size_t *outlen, struct vs_error *err)
{
    OM_uint32 major, minor;
    gss_buffer_desc input = { inlen, (void *)(uintptr_t)in };
    gss_buffer_desc output = GSS_C_EMPTY_BUFFER;
    int conf_state = 0;

    *out = NULL;
    *outlen = 0;
    if (!usable(ctx, err))
        return false;
    major = gss_wrap(&minor, ctx->gss, confidential, GSS_C_QOP_DEFAULT, &input, &conf_state, &output);
    if (GSS_ERROR(major)) {
        krb_explain(KRB_OP_WRAP, major, minor, NULL, err);
        return false;
    }
    if (confidential && !conf_state) {
        gss_release_buffer(&minor, &output);
        vs_error_set(err, VS_ERR_AUTH, "encryption was asked for but the security context cannot encrypt");
        return false;
    }
    return krb_take_buffer(&output, out, outlen, err);
}

enum krb_unwrap_status
krb_unwrap(struct krb_context *ctx, const void *in, size_t inlen, void **out, size_t *outlen,
           bool *confidential, struct vs_error *err)
{
    OM_uint32 major, minor;
    gss_buffer_desc input = { inlen, (void *)(uintptr_t)in };
    gss_buffer_desc output = GSS_C_EMPTY_BUFFER;
    int conf_state = 0;
    enum krb_unwrap_status st;

    *out = NULL;
    *outlen = 0;
    *confidential = false;
    if (!usable(ctx, err))
        return KRB_UNWRAP_FAILED;
    major = gss_unwrap(&minor, ctx->gss, &input, &output, &conf_state, NULL);
    st = krb_unwrap_classify(major);
    if (st != KRB_UNWRAP_OK) {
        gss_release_buffer(&minor, &output);
        vs_error_set(err, st == KRB_UNWRAP_FAILED ? VS_ERR_AUTH : VS_ERR_PROTOCOL,
                     "a message from the peer was refused: it is %s", krb_unwrap_status_text(st));
        return st;
    }
    /* an empty message is a valid message: hand back a 1-byte allocation */
    if (output.length == 0) {
        gss_release_buffer(&minor, &output);
        *out = malloc(1);
    } else if (!krb_take_buffer(&output, out, outlen, err)) {
        return KRB_UNWRAP_FAILED;
    }
    if (*out == NULL) {
        vs_error_set(err, VS_ERR_NOMEM, "out of memory");
        return KRB_UNWRAP_FAILED;
    }
    *confidential = conf_state != 0;
    return KRB_UNWRAP_OK;
}
