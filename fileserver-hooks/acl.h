/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fileserver-hooks/acl.h: a share root's Windows ACL as libsmbclient shows
 * it, and the change that gives VM hosts and admins what they need.
 *
 * libsmbclient reads and writes a file's security descriptor as text in the
 * extended attribute "system.nt_sec_desc.*":
 *
 *   REVISION:1,OWNER:S-1-..,GROUP:S-1-..,ACL:S-1-5-21-..-1106:0/3/0x001301ff,...
 *
 * Each ACL entry is SID:TYPE/FLAGS/MASK (type 0 allowed, 1 denied; flags as
 * in the ACE header). The text comes from the file server, so it is parsed
 * with explicit bounds (and fuzzed). Pure: no I/O. */
#ifndef VSM_FILESERVER_ACL_H
#define VSM_FILESERVER_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define ACL_SID_MAX 192
#define ACL_NAME_MAX 256
#define ACL_MAX_ACES 1024
#define ACL_TEXT_MAX (256 * 1024)

enum { ACE_ALLOWED = 0, ACE_DENIED = 1 };

#define ACE_FLAG_OI 0x01          /* object inherit: files get it */
#define ACE_FLAG_CI 0x02          /* container inherit: folders get it */
#define ACE_FLAG_NP 0x04          /* no propagate */
#define ACE_FLAG_IO 0x08          /* inherit only: not for this folder itself */
#define ACE_FLAG_INHERITED 0x10   /* came from the parent */

#define ACL_MASK_READ 0x001200a9u     /* read and execute */
#define ACL_MASK_CHANGE 0x001301bfu   /* modify */
#define ACL_MASK_FULL 0x001f01ffu     /* full control */

struct acl_ace {
    char sid[ACL_SID_MAX];
    unsigned type;
    unsigned flags;
    uint32_t mask;
    char name[ACL_NAME_MAX];      /* for people; "" when unknown */
};

struct acl_list {
    unsigned revision;
    char owner[ACL_SID_MAX];
    char group[ACL_SID_MAX];
    struct acl_ace *aces;
    size_t n;
};

/* An ACE vsmigrate wants on the share root. */
struct acl_want {
    char sid[ACL_SID_MAX];
    char name[ACL_NAME_MAX];
    unsigned flags;
    uint32_t mask;
    bool required;                /* VM hosts fail without it (a check fails, not warns) */
};

/* Parse libsmbclient's numeric text; false with err on anything malformed. */
bool acl_parse(const char *text, size_t len, struct acl_list *out, struct vs_error *err);
/* Give the ACEs the names from the same descriptor read with names
 * ("system.nt_sec_desc.*+"); a text that does not line up is ignored. */
void acl_attach_names(struct acl_list *l, const char *named_text, size_t len);
void acl_list_free(struct acl_list *l);

/* "ACL:sid:type/flags/mask,..." (all decimal) for libsmbclient's setxattr; malloc'd. */
char *acl_format_dacl(const struct acl_list *l);

/* Is SID text well formed (S-1-auth(-sub){0,15})? */
bool acl_sid_valid(const char *sid);

/* Samba stores "modify" with FILE_DELETE_CHILD added (it maps the POSIX
 * write bit on folders back that way), so that bit is not a difference. */
bool acl_mask_equivalent(uint32_t have, uint32_t want);
/* FULL, CHANGE, READ or 0x...; "OI|CI|IO" style flags. */
void acl_mask_words(uint32_t mask, char *buf, size_t len);
void acl_flag_words(unsigned flags, char *buf, size_t len);
/* "ALLOWED OI|CI CHANGE  LAB\hosta$ (S-1-5-21-...-1106)" */
void acl_ace_describe(const struct acl_ace *a, char *buf, size_t len);

/* What provisioning does to the root's ACL:
 *  - the principals it is told about get exactly the wanted ACE: their
 *    other explicit ACEs (allowed or denied) are replaced;
 *  - other explicit ACEs stay, unless exact;
 *  - inherited ACEs always stay (they belong to the parent folder). */
enum acl_change_kind { ACL_KEEP, ACL_ADD, ACL_REMOVE };

struct acl_change {
    enum acl_change_kind kind;
    struct acl_ace ace;
};

struct acl_plan {
    struct acl_change *changes;
    size_t n;
    size_t added, removed;
    struct acl_list result;        /* the DACL to write (denied, allowed, inherited) */
};

bool acl_plan_make(const struct acl_list *cur, const struct acl_want *want, size_t nwant,
                   bool exact, struct acl_plan *out, struct vs_error *err);
void acl_plan_free(struct acl_plan *p);

/* Does the ACL give w what it needs (an allowed ACE for the SID that covers
 * the mask and inherits to files and folders, and no denied ACE)? */
enum acl_grant {
    ACL_GRANTED,
    ACL_MISSING,            /* no allowed ACE for the SID */
    ACL_WEAKER,             /* allowed, but less than needed */
    ACL_NOT_INHERITED,      /* allowed on the root only: disks in folders miss it */
    ACL_DENIED_ACE,         /* a denied ACE for the SID */
    ACL_TOO_STRONG,         /* more than asked (a read-only host that may write) */
};
enum acl_grant acl_grants(const struct acl_list *l, const struct acl_want *w);
const char *acl_grant_text(enum acl_grant g);

#endif
