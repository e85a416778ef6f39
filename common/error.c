/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vsmigrate: error values. */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

static const char *const errcode_names[VS_ERR__COUNT] = {
    [VS_OK] = "ok",
    [VS_ERR_INVALID] = "invalid",
    [VS_ERR_NOMEM] = "out-of-memory",
    [VS_ERR_IO] = "io",
    [VS_ERR_AUTH] = "authentication",
    [VS_ERR_DENIED] = "denied",
    [VS_ERR_PROTOCOL] = "protocol",
    [VS_ERR_TIMEOUT] = "timeout",
    [VS_ERR_BUSY] = "busy",
    [VS_ERR_NOTFOUND] = "not-found",
    [VS_ERR_UNAVAILABLE] = "unavailable",
    [VS_ERR_INTERNAL] = "internal",
    [VS_ERR_FAILED] = "failed",
};

void
vs_error_set(struct vs_error *err, enum vs_errcode code, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

void
vs_error_prefix(struct vs_error *err, const char *fmt, ...)
{
    char prefix[VS_ERROR_MESSAGE_MAX];
    char old[VS_ERROR_MESSAGE_MAX];
    va_list ap;

    if (err == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->message, sizeof old);
    /* A long message loses its tail, never the prefix that says where it came from. */
    if (snprintf(err->message, sizeof err->message, "%s: %s", prefix, old) >= (int)sizeof err->message)
        err->message[sizeof err->message - 1] = '\0';
}

void
vs_error_clear(struct vs_error *err)
{
    if (err == NULL)
        return;
    err->code = VS_OK;
    err->message[0] = '\0';
}

const char *
vs_errcode_name(enum vs_errcode code)
{
    if ((int)code < 0 || code >= VS_ERR__COUNT)
        return "unknown";
    return errcode_names[code];
}

int
vs_exit_for(enum vs_errcode code)
{
    switch (code) {
    case VS_OK: return VS_EXIT_OK;
    case VS_ERR_INVALID: return VS_EXIT_USAGE;
    case VS_ERR_AUTH: return VS_EXIT_AUTH;
    case VS_ERR_DENIED: return VS_EXIT_DENIED;
    case VS_ERR_UNAVAILABLE: return VS_EXIT_UNREACHABLE;
    case VS_ERR_NOTFOUND: return VS_EXIT_NOTFOUND;
    case VS_ERR_BUSY: return VS_EXIT_BUSY;
    case VS_ERR_TIMEOUT: return VS_EXIT_TIMEOUT;
    case VS_ERR_PROTOCOL: return VS_EXIT_PROTOCOL;
    default: return VS_EXIT_FAILED;
    }
}
