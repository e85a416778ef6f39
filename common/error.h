/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vsmigrate: error values shared by every library.
 *
 * A failure carries a code (for exit statuses and protocol replies) and one
 * sentence for a person: the cause and, where we know it, the fix. */
#ifndef VSM_COMMON_ERROR_H
#define VSM_COMMON_ERROR_H

#include <stddef.h>

enum vs_errcode {
    VS_OK = 0,
    VS_ERR_INVALID,     /* bad input: config, arguments, a malformed frame */
    VS_ERR_NOMEM,
    VS_ERR_IO,
    VS_ERR_AUTH,        /* authentication failed (Kerberos, GSSAPI) */
    VS_ERR_DENIED,      /* authenticated, but not allowed */
    VS_ERR_PROTOCOL,    /* the peer broke the protocol */
    VS_ERR_TIMEOUT,
    VS_ERR_BUSY,        /* someone else holds the resource (a writer handle, a slot) */
    VS_ERR_NOTFOUND,
    VS_ERR_UNAVAILABLE, /* a server or daemon could not be reached */
    VS_ERR_INTERNAL,
    VS_ERR_FAILED,      /* it ran and did not succeed, and what was there stays (a move
                         * that failed or was cancelled: the VM runs on its source) */
    VS_ERR__COUNT
};

#define VS_ERROR_MESSAGE_MAX 1024

struct vs_error {
    enum vs_errcode code;
    char message[VS_ERROR_MESSAGE_MAX];
};

/* Set code and message (printf style). A NULL err is allowed and ignored. */
void vs_error_set(struct vs_error *err, enum vs_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Put "prefix: " in front of the message already held, keeping the code. */
void vs_error_prefix(struct vs_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void vs_error_clear(struct vs_error *err);

/* Short stable name of a code, e.g. "denied"; used in JSON output and logs. */
const char *vs_errcode_name(enum vs_errcode code);

/* The exit status of vsmigrate's command-line tools (vsmigrate,
 * vsmigrate-share), one per kind of failure, so scripts can tell "fix your
 * ticket" from "fix the ACL". Their man pages list them. */
enum vs_exit {
    VS_EXIT_OK = 0,
    VS_EXIT_FAILED = 1,       /* a check found problems; a request failed */
    VS_EXIT_USAGE = 2,
    VS_EXIT_AUTH = 3,
    VS_EXIT_DENIED = 4,
    VS_EXIT_UNREACHABLE = 5,
    VS_EXIT_NOTFOUND = 6,
    VS_EXIT_BUSY = 7,
    VS_EXIT_TIMEOUT = 8,
    VS_EXIT_PROTOCOL = 9,
};
int vs_exit_for(enum vs_errcode code);

#endif
