/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fileserver-hooks/smbshare.h: one SMB share, reached with the caller's
 * Kerberos tickets through libsmbclient: its root's ACL, a write test, and
 * what the server negotiates.
 *
 * Works against Samba and Windows alike: everything goes through SMB itself
 * (the ACL through libsmbclient's security-descriptor attribute), nothing
 * through a server's local tools. Kerberos only: $KRB5CCNAME, no password
 * is ever offered. */
#ifndef VSM_FILESERVER_SMBSHARE_H
#define VSM_FILESERVER_SMBSHARE_H

#include <stdbool.h>

#include "common/error.h"
#include "fileserver-hooks/acl.h"

struct share_target {
    char server[256];
    char share[81];
};

/* "//server/share", "\\server\share" or "smb://server/share" (a trailing
 * slash is fine; no path below the share, no user or port). Pure. */
bool share_target_parse(const char *text, struct share_target *out, struct vs_error *err);

struct share_conn;

bool share_open(const struct share_target *t, struct share_conn **out, struct vs_error *err);
void share_close(struct share_conn *c);

/* The root's security descriptor, with names where the server gives them. */
bool share_read_acl(struct share_conn *c, struct acl_list *out, struct vs_error *err);
/* Replace the root's DACL (owner and group stay). */
bool share_write_dacl(struct share_conn *c, const struct acl_list *dacl, struct vs_error *err);
/* Create, write, read back and delete a file in the root; false with err
 * naming the step the server refused. */
bool share_write_test(struct share_conn *c, const char *tag, struct vs_error *err);

/* What the server negotiates, each tried in a child process of its own
 * (libsmbclient's protocol and configuration settings are process-wide). */
struct share_probe {
    char best_dialect[16];      /* "SMB3_11", ... or "" if none answered */
    bool smb3;                  /* an SMB3 dialect works */
    bool accepts_smb2;          /* an SMB2-only client gets in too */
    bool encryption_works;      /* a session that requires encryption works */
    bool encryption_required;   /* a session without encryption is refused */
    char first_error[VS_ERROR_MESSAGE_MAX];      /* why the SMB3 attempt failed, if it did */
};
void share_probe_run(const struct share_target *t, struct share_probe *out);

/* errno from libsmbclient as a sentence about target. */
void share_errno_explain(const struct share_target *t, const char *what, int e,
                         struct vs_error *err);

#endif
