/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fileserver-hooks/sharecheck.c: the needed ACEs, and the share check. */
#include <config.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "krb/krb.h"
#include "fileserver-hooks/negotiate.h"
#include "fileserver-hooks/sharecheck.h"

#define SID_CREATOR_OWNER "S-1-3-0"
#define RID_DOMAIN_ADMINS 512
#define KERBEROS_SKEW_S 300

bool
share_names_split(const char *text, char ***out, size_t *n, struct vs_error *err)
{
    char **v = NULL;
    size_t count = 0;
    const char *p = text;

    *out = NULL;
    *n = 0;
    while (p && *p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        while (len && isspace((unsigned char)*p)) {
            p++;
            len--;
        }
        while (len && isspace((unsigned char)p[len - 1]))
            len--;
        if (len == 0 || len >= ACL_NAME_MAX) {
            vs_error_set(err, VS_ERR_INVALID, "'%s': an empty or over-long name in the list "
                         "(names are separated by commas)", text);
            krb_strv_free(v, count);
            return false;
        }
        for (size_t i = 0; i < len; i++)
            if (iscntrl((unsigned char)p[i])) {
                vs_error_set(err, VS_ERR_INVALID, "'%s': control characters in a name", text);
                krb_strv_free(v, count);
                return false;
            }
        char **nv = realloc(v, (count + 1) * sizeof *nv);
        if (nv == NULL || (nv[count] = strndup(p, len)) == NULL) {
            vs_error_set(err, VS_ERR_NOMEM, "out of memory");
            krb_strv_free(nv ? nv : v, count);
            return false;
        }
        v = nv;
        count++;
        p = comma ? comma + 1 : NULL;
    }
    *out = v;
    *n = count;
    return true;
}

/* S-1-5-21-a-b-c-RID -> S-1-5-21-a-b-c-512 */
static bool
domain_admins_of(const char *sid, char *out, size_t len)
{
    const char *last = strrchr(sid, '-');

    if (strncmp(sid, "S-1-5-21-", 9) != 0 || last == NULL)
        return false;
    snprintf(out, len, "%.*s-%d", (int)(last - sid), sid, RID_DOMAIN_ADMINS);
    return true;
}

static void
add_want(struct acl_want *w, size_t *n, const char *sid, const char *name, unsigned flags,
         uint32_t mask, bool required)
{
    w[*n].required = required;
    snprintf(w[*n].sid, sizeof w[*n].sid, "%s", sid);
    snprintf(w[*n].name, sizeof w[*n].name, "%s", name);
    w[*n].flags = flags;
    w[*n].mask = mask;
    (*n)++;
}

bool
share_wanted_build(const struct share_roles *r, struct acl_want **want_out, size_t *nout,
                   struct vs_error *err)
{
    size_t total = r->nhosts + r->nro_hosts + r->nadmins, n = 0;
    char **names = calloc(total + 1, sizeof *names), **sids = NULL, da[ACL_SID_MAX] = "";
    struct acl_want *want = calloc(total + 2, sizeof *want);
    unsigned inherit = ACE_FLAG_OI | ACE_FLAG_CI;

    *want_out = NULL;
    *nout = 0;
    if (names == NULL || want == NULL) {
        free(names);
        free(want);
        vs_error_set(err, VS_ERR_NOMEM, "out of memory");
        return false;
    }
    memcpy(names, r->hosts, r->nhosts * sizeof *names);
    memcpy(names + r->nhosts, r->ro_hosts, r->nro_hosts * sizeof *names);
    memcpy(names + r->nhosts + r->nro_hosts, r->admins, r->nadmins * sizeof *names);
    if (!krb_accounts_resolve(r->ldap_uri, names, total, &sids, err)) {
        vs_error_prefix(err, "looking up the accounts");
        free(names);
        free(want);
        return false;
    }
    for (size_t i = 0; i < total && !da[0]; i++)
        domain_admins_of(sids[i], da, sizeof da);
    if (da[0])
        add_want(want, &n, da, "Domain Admins", inherit, ACL_MASK_FULL, false);
    add_want(want, &n, SID_CREATOR_OWNER, "CREATOR OWNER", inherit | ACE_FLAG_IO, ACL_MASK_FULL,
             false);
    for (size_t i = 0; i < total; i++) {
        bool ro = i >= r->nhosts && i < r->nhosts + r->nro_hosts;
        add_want(want, &n, sids[i], names[i], inherit, ro ? ACL_MASK_READ : ACL_MASK_CHANGE, true);
    }
    krb_strv_free(sids, total);
    free(names);
    *want_out = want;
    *nout = n;
    return true;
}

void
share_report_add(struct share_report *r, const char *name, enum share_item_state state,
                 const char *fmt, ...)
{
    va_list ap;

    if (r->n == SHARE_ITEMS_MAX)
        return;
    snprintf(r->items[r->n].name, sizeof r->items[r->n].name, "%s", name);
    r->items[r->n].state = state;
    va_start(ap, fmt);
    vsnprintf(r->items[r->n].text, sizeof r->items[r->n].text, fmt, ap);
    va_end(ap);
    r->n++;
}

size_t
share_report_failures(const struct share_report *r)
{
    size_t n = 0;

    for (size_t i = 0; i < r->n; i++)
        n += r->items[i].state == SHARE_FAIL;
    return n;
}

const char *
share_item_state_name(enum share_item_state s)
{
    switch (s) {
    case SHARE_PASS: return "pass";
    case SHARE_WARN: return "warn";
    case SHARE_FAIL: return "fail";
    case SHARE_INFO: return "info";
    }
    return "?";
}

/* What the server's SMB2 NEGOTIATE response says: its clock and signing. */
static void
negotiate_lines(const struct share_target *t, const struct negotiate_info *neg,
                struct share_report *out)
{
    long skew = (long)(neg->server_time - time(NULL));

    if (neg->server_time == 0)
        share_report_add(out, "clock", SHARE_INFO, "the server did not say its time");
    else if (labs(skew) > KERBEROS_SKEW_S)
        share_report_add(out, "clock", SHARE_FAIL, "%s's clock is %ld s off this machine's "
                         "(Kerberos allows %d): synchronise both with the domain controllers",
                         t->server, skew, KERBEROS_SKEW_S);
    else
        share_report_add(out, "clock", SHARE_PASS, "%s's clock is %ld s from this machine's",
                         t->server, skew);
    if (neg->security_mode & SMB2_SIGNING_REQUIRED)
        share_report_add(out, "signing", SHARE_PASS, "required by the server: a client that "
                         "does not sign is refused");
    else
        share_report_add(out, "signing", SHARE_WARN, "not required: a client may connect "
                         "unsigned, and its disk writes could be altered on the way; set "
                         "'server signing = mandatory' (Samba) or "
                         "Set-SmbServerConfiguration -RequireSecuritySignature $true (Windows)");
}

static void
protocol_lines(const struct share_target *t, struct share_report *out)
{
    struct share_probe p;
    struct negotiate_info neg;
    struct vs_error err;

    share_probe_run(t, &p);
    if (!p.smb3 && p.accepts_smb2)
        share_report_add(out, "dialect", SHARE_FAIL, "//%s/%s speaks SMB2 only: vsmigrate needs "
                         "SMB3 (encryption, and the durable handles VM disks rely on); set "
                         "'server max protocol' to SMB3 or remove it (Samba), or enable SMB3 "
                         "(Windows)", t->server, t->share);
    else if (!p.smb3)
        share_report_add(out, "dialect", SHARE_FAIL, "%s", p.first_error);
    else if (p.accepts_smb2)
        share_report_add(out, "dialect", SHARE_PASS, "%s negotiated; the server also accepts "
                         "SMB2 clients (vsmigrate never uses SMB2; to refuse them set 'server "
                         "min protocol = SMB3_00')", p.best_dialect);
    else
        share_report_add(out, "dialect", SHARE_PASS, "%s negotiated; SMB2 clients are refused",
                         p.best_dialect);
    if (!p.smb3)
        return;
    if (negotiate_probe(t->server, 5000, &neg, &err))
        negotiate_lines(t, &neg, out);
    else
        share_report_add(out, "signing", SHARE_WARN, "unknown: %s", err.message);
    if (p.encryption_required)
        share_report_add(out, "encryption", SHARE_PASS, "required for the share");
    else if (p.encryption_works)
        share_report_add(out, "encryption", SHARE_PASS, "available when a client asks for it, "
                         "not required");
    else
        share_report_add(out, "encryption", SHARE_WARN, "not available: disk traffic crosses "
                         "the network in the clear; set 'server smb encrypt = desired' (Samba) "
                         "or Set-SmbShare -EncryptData $true (Windows)");
    /* libsmbclient neither asks for durable handles nor says whether it got one */
    share_report_add(out, "durable handles", SHARE_INFO, "not visible to an SMB client here "
                     "(libsmbclient neither requests nor reports them); on Samba, "
                     "vms-share.conf sets 'durable handles = yes' with the kernel share modes, "
                     "kernel oplocks and POSIX locking it needs switched off");
}

static void
acl_lines(struct share_conn *c, const struct share_target *t, const struct acl_want *want,
          size_t nwant, struct share_report *out)
{
    struct acl_list l;
    struct vs_error err;
    char line[512];

    if (!share_read_acl(c, &l, &err)) {
        share_report_add(out, "acl", SHARE_FAIL, "%s", err.message);
        return;
    }
    if (nwant == 0) {
        share_report_add(out, "acl", SHARE_INFO, "%zu ACEs on the root; give --hosts and "
                         "--admins to compare them with what VM hosts need", l.n);
        for (size_t i = 0; i < l.n; i++) {
            acl_ace_describe(&l.aces[i], line, sizeof line);
            share_report_add(out, "ace", SHARE_INFO, "%s", line);
        }
    }
    for (size_t i = 0; i < nwant; i++) {
        const struct acl_want *w = &want[i];
        struct acl_ace shown = { .type = ACE_ALLOWED, .flags = w->flags, .mask = w->mask };
        enum acl_grant g = acl_grants(&l, w);
        char name[ACL_NAME_MAX + 8];

        snprintf(shown.sid, sizeof shown.sid, "%s", w->sid);
        snprintf(shown.name, sizeof shown.name, "%s", w->name);
        acl_ace_describe(&shown, line, sizeof line);
        snprintf(name, sizeof name, "ace %s", w->name);
        if (g == ACL_GRANTED)
            share_report_add(out, name, SHARE_PASS, "%s", line);
        else if (g == ACL_TOO_STRONG)
            share_report_add(out, name, SHARE_WARN, "%s: the root gives it more than read "
                             "(it could write disks); vsmigrate-share provision sets it to READ",
                             line);
        else
            share_report_add(out, name, w->required ? SHARE_FAIL : SHARE_WARN, "needed %s; found %s "
                             "on //%s/%s: run vsmigrate-share provision%s", line,
                             acl_grant_text(g), t->server, t->share,
                             g == ACL_MISSING ? " (access through a group is not seen here; the "
                                                "write test is the proof)" : "");
    }
    acl_list_free(&l);
}

void
share_check_run(const struct share_target *t, const struct acl_want *want, size_t nwant,
                const char *tag, struct share_report *out)
{
    struct share_conn *c;
    struct vs_error err;
    char who[256];

    memset(out, 0, sizeof *out);
    protocol_lines(t, out);
    if (share_report_failures(out))
        return;
    if (!share_open(t, &c, &err)) {
        share_report_add(out, "open", SHARE_FAIL, "%s", err.message);
        return;
    }
    acl_lines(c, t, want, nwant, out);
    krb_default_principal(who, sizeof who);
    if (share_write_test(c, tag, &err))
        share_report_add(out, "write", SHARE_PASS, "%s created, wrote, read back and deleted a "
                         "file in //%s/%s", who[0] ? who : "the caller", t->server, t->share);
    else
        share_report_add(out, "write", SHARE_FAIL, "%s", err.message);
    share_close(c);
}
