/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fileserver-hooks/sharecheck.h: what VM hosts need from a share, and
 * whether a share gives it.
 *
 * The roles come as account names (hosta$, "LAB\VM Migration Admins"),
 * resolved to SIDs in the domain's directory as the caller. The check is the
 * same for `vsmigrate-share check` and `vsmigrate doctor`. */
#ifndef VSM_FILESERVER_SHARECHECK_H
#define VSM_FILESERVER_SHARECHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "fileserver-hooks/acl.h"
#include "fileserver-hooks/smbshare.h"

struct share_roles {
    char **hosts;            /* computer accounts that run VMs: modify */
    size_t nhosts;
    char **ro_hosts;         /* computer accounts that may only read */
    size_t nro_hosts;
    char **admins;           /* users or groups that manage VMs: modify */
    size_t nadmins;
    const char *ldap_uri;    /* NULL: from DNS */
};

/* Split "a,b, c" into a list (free with krb_strv_free). */
bool share_names_split(const char *text, char ***out, size_t *n, struct vs_error *err);

/* The ACEs for the root: Domain Admins full control, CREATOR OWNER full
 * control on what it creates, admins and hosts modify, read-only hosts read,
 * all inherited by files and folders. *want is malloc'd. */
bool share_wanted_build(const struct share_roles *r, struct acl_want **want, size_t *n,
                        struct vs_error *err);
enum share_item_state { SHARE_PASS, SHARE_WARN, SHARE_FAIL, SHARE_INFO };

struct share_item {
    char name[64];
    enum share_item_state state;
    char text[1200];
};

#define SHARE_ITEMS_MAX 96
struct share_report {
    struct share_item items[SHARE_ITEMS_MAX];
    size_t n;
};

void share_report_add(struct share_report *r, const char *name, enum share_item_state state,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
size_t share_report_failures(const struct share_report *r);
const char *share_item_state_name(enum share_item_state s);

/* Every check on t: dialect, signing, encryption, durable handles, each
 * wanted ACE (none given: the ACL is only listed), the caller writing and
 * deleting a file. tag goes into the test file's name. */
void share_check_run(const struct share_target *t, const struct acl_want *want, size_t nwant,
                     const char *tag, struct share_report *out);

#endif
