/* SPDX-License-Identifier: GPL-3.0-or-later */
/* krb/groups.c: group names from the config, as SIDs from the directory.
 *
 * Config files name groups the way admins know them ("LAB\VM Migration
 * Admins"); the PAC carries SIDs. At start-up the agent looks the names up in
 * the domain's LDAP, bound with SASL GSSAPI as the host's machine account
 * (the acceptor's own TGT), so no password or extra account is needed. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>

#include <ldap.h>
#include <sasl/sasl.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>

#include "common/krb5util.h"
#include "krb/krb.h"
#include "krb/internal.h"

bool
krb_sid_from_binary(const void *data, size_t len, char *out, size_t outlen)
{
    const uint8_t *p = data;
    uint64_t auth = 0;
    size_t used;
    int count;

    /* revision, count, 6-byte big-endian authority, count little-endian u32s */
    if (len < 8 || p[0] != 1)
        return false;
    count = p[1];
    if (count > 15 || len != 8 + 4 * (size_t)count)
        return false;
    for (int i = 0; i < 6; i++)
        auth = auth << 8 | p[2 + i];
    used = (size_t)snprintf(out, outlen, "S-1-%llu", (unsigned long long)auth);
    for (int i = 0; i < count && used < outlen; i++) {
        const uint8_t *s = p + 8 + 4 * i;
        uint32_t sub = (uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16 | (uint32_t)s[3] << 24;
        used += (size_t)snprintf(out + used, outlen - used, "-%u", sub);
    }
    return used < outlen;
}

static int
sasl_quiet(LDAP *ld, unsigned flags, void *defaults, void *in)
{
    sasl_interact_t *interact = in;

    (void)ld;
    (void)flags;
    (void)defaults;
    for (; interact->id != SASL_CB_LIST_END; interact++) {
        interact->result = interact->defresult ? interact->defresult : "";
        interact->len = (unsigned)strlen(interact->result);
    }
    return LDAP_SUCCESS;
}

/* "LAB\Group", "Group@lab.test" or "Group" -> "Group" */
static const char *
bare_name(const char *name)
{
    const char *slash = strrchr(name, '\\');
    return slash ? slash + 1 : name;
}

static bool
looks_like_sid(const char *s)
{
    if (strncmp(s, "S-1-", 4) != 0)
        return false;
    for (s += 4; *s; s++)
        if (!isdigit((unsigned char)*s) && *s != '-')
            return false;
    return true;
}

/* Who binds: a ccache (NULL: the caller's default), the realm whose DNS
 * domain holds the directory, and a name for messages. */
struct directory_login {
    const char *ccache;
    const char *realm;
    const char *who;
};

static bool
connect_directory(const struct directory_login *login, const char *uri, LDAP **out,
                  struct vs_error *err)
{
    char domain[256], *hosts = NULL, *url = NULL;
    struct timeval timeout = { 10, 0 };
    OM_uint32 minor;
    const char *old_ccache = NULL;
    LDAP *ld = NULL;
    int rc, version = LDAP_VERSION3;

    *out = NULL;
    if (uri == NULL) {
        /* the domain's LDAP servers from DNS SRV records (_ldap._tcp.DOMAIN) */
        snprintf(domain, sizeof domain, "%s", login->realm);
        for (char *c = domain; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        if (ldap_domain2hostlist(domain, &hosts) != LDAP_SUCCESS || hosts == NULL) {
            vs_error_set(err, VS_ERR_UNAVAILABLE,
                         "cannot find the domain's LDAP servers: there is no DNS SRV record "
                         "_ldap._tcp.%s; set ldap_uri in the configuration, or fix DNS", domain);
            return false;
        }
        /* "h1:389 h2:389" -> "ldap://h1:389 ldap://h2:389" */
        size_t cap = strlen(hosts) * 2 + 16, used = 0;
        url = malloc(cap);
        for (char *tok = strtok(hosts, " "); url && tok; tok = strtok(NULL, " "))
            used += (size_t)snprintf(url + used, cap - used, "%sldap://%s", used ? " " : "", tok);
        ldap_memfree(hosts);
        if (url == NULL) {
            vs_error_set(err, VS_ERR_NOMEM, "out of memory");
            return false;
        }
        uri = url;
    }
    rc = ldap_initialize(&ld, uri);
    if (rc != LDAP_SUCCESS) {
        vs_error_set(err, VS_ERR_INVALID, "'%s' is not a usable LDAP URI: %s", uri, ldap_err2string(rc));
        free(url);
        return false;
    }
    ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &timeout);
    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &timeout);
    /* the SPN is ldap/<the name we connect to>: no reverse-DNS guessing */
    ldap_set_option(ld, LDAP_OPT_X_SASL_NOCANON, LDAP_OPT_ON);

    /* SASL GSSAPI takes GSSAPI's default ccache: point it (for this thread
     * only) at the acceptor's, which holds the machine account's TGT. */
    if (login->ccache)
        gss_krb5_ccache_name(&minor, login->ccache, &old_ccache);
    rc = ldap_sasl_interactive_bind_s(ld, NULL, "GSSAPI", NULL, NULL, LDAP_SASL_QUIET, sasl_quiet, NULL);
    if (login->ccache)
        gss_krb5_ccache_name(&minor, old_ccache, NULL);
    if (rc != LDAP_SUCCESS) {
        char *diag = NULL;
        ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
        vs_error_set(err, rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT ? VS_ERR_UNAVAILABLE : VS_ERR_AUTH,
                     "cannot bind to the directory at %s as %s: %s%s%s%s", uri, login->who,
                     ldap_err2string(rc), diag && *diag ? " (" : "", diag ? diag : "", diag && *diag ? ")" : "");
        if (rc == LDAP_AUTH_UNKNOWN || rc == LDAP_NOT_SUPPORTED)
            vs_error_prefix(err, "the SASL GSSAPI module is missing (apt-get install "
                            "libsasl2-modules-gssapi-mit)");
        ldap_memfree(diag);
        ldap_unbind_ext_s(ld, NULL, NULL);
        free(url);
        return false;
    }
    free(url);
    *out = ld;
    return true;
}

static char *
naming_context(LDAP *ld)
{
    char *attrs[] = { "defaultNamingContext", NULL };
    LDAPMessage *res = NULL, *e;
    struct berval **vals;
    char *dn = NULL;

    if (ldap_search_ext_s(ld, "", LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, NULL, NULL, NULL, 1,
                          &res) == LDAP_SUCCESS &&
        (e = ldap_first_entry(ld, res)) != NULL &&
        (vals = ldap_get_values_len(ld, e, "defaultNamingContext")) != NULL) {
        if (vals[0])
            dn = strndup(vals[0]->bv_val, vals[0]->bv_len);
        ldap_value_free_len(vals);
    }
    ldap_msgfree(res);
    return dn;
}

/* kind: "group" (only groups) or NULL (any account: user, computer, group) */
static bool
directory_resolve(const struct directory_login *login, const char *ldap_uri, const char *kind,
                  char *const *names, size_t n, char ***sids_out, struct vs_error *err)
{
    char **sids = calloc(n ? n : 1, sizeof *sids);
    char *base = NULL;
    LDAP *ld = NULL;
    size_t done = 0;

    *sids_out = NULL;
    if (sids == NULL) {
        vs_error_set(err, VS_ERR_NOMEM, "out of memory");
        return false;
    }
    for (; done < n && looks_like_sid(names[done]); done++)
        ;
    if (done < n) {   /* a name to look up: connect once */
        if (!connect_directory(login, ldap_uri, &ld, err))
            goto fail;
        base = naming_context(ld);
        if (base == NULL) {
            vs_error_set(err, VS_ERR_PROTOCOL, "the directory did not say its defaultNamingContext: "
                         "is it an Active Directory domain controller?");
            goto fail;
        }
    }
    for (done = 0; done < n; done++) {
        char *attrs[] = { "objectSid", NULL }, *filter = NULL, sid[KRB_SID_MAX];
        struct berval value, escaped = { 0, NULL };
        LDAPMessage *res = NULL, *e;
        struct berval **vals;
        int rc, count;

        if (looks_like_sid(names[done])) {
            sids[done] = strdup(names[done]);
            if (sids[done] == NULL)
                goto nomem;
            continue;
        }
        value.bv_val = (char *)(uintptr_t)bare_name(names[done]);
        value.bv_len = strlen(value.bv_val);
        if (ldap_bv2escaped_filter_value(&value, &escaped) != 0 ||
            asprintf(&filter, "(&(objectClass=%s)(sAMAccountName=%s))", kind ? kind : "*",
                     escaped.bv_val) < 0) {
            ber_memfree(escaped.bv_val);
            goto nomem;
        }
        ber_memfree(escaped.bv_val);
        rc = ldap_search_ext_s(ld, base, LDAP_SCOPE_SUBTREE, filter, attrs, 0, NULL, NULL, NULL, 2, &res);
        free(filter);
        count = rc == LDAP_SUCCESS ? ldap_count_entries(ld, res) : -1;
        if (count != 1) {
            ldap_msgfree(res);
            if (count < 0)
                vs_error_set(err, VS_ERR_UNAVAILABLE, "looking up the %s '%s' failed: %s (is "
                             "the domain controller reachable over LDAP, port 389, and does "
                             "the ticket let this host read the directory?)",
                             kind ? kind : "account", names[done], ldap_err2string(rc));
            else
                vs_error_set(err, VS_ERR_NOTFOUND,
                             count == 0 ? "the %s '%s' does not exist in the domain (%s): check "
                                          "its name (a computer account ends in '$')"
                                        : "the %s name '%s' is ambiguous in the domain (%s)",
                             kind ? kind : "account", names[done], base);
            goto fail;
        }
        e = ldap_first_entry(ld, res);
        vals = ldap_get_values_len(ld, e, "objectSid");
        if (vals == NULL || vals[0] == NULL ||
            !krb_sid_from_binary(vals[0]->bv_val, vals[0]->bv_len, sid, sizeof sid)) {
            if (vals)
                ldap_value_free_len(vals);
            ldap_msgfree(res);
            vs_error_set(err, VS_ERR_PROTOCOL, "the directory returned no valid objectSid for '%s'",
                         names[done]);
            goto fail;
        }
        ldap_value_free_len(vals);
        ldap_msgfree(res);
        sids[done] = strdup(sid);
        if (sids[done] == NULL)
            goto nomem;
    }
    if (ld)
        ldap_unbind_ext_s(ld, NULL, NULL);
    free(base);
    *sids_out = sids;
    return true;
nomem:
    vs_error_set(err, VS_ERR_NOMEM, "out of memory");
fail:
    krb_strv_free(sids, n);
    if (ld)
        ldap_unbind_ext_s(ld, NULL, NULL);
    free(base);
    return false;
}

bool
krb_groups_resolve(struct krb_acceptor *acc, const char *ldap_uri, char *const *names, size_t n,
                   char ***sids, struct vs_error *err)
{
    const char *at = strrchr(acc->spn, '@');
    struct directory_login login = { acc->ccache, at ? at + 1 : "", acc->machine };

    return directory_resolve(&login, ldap_uri, "group", names, n, sids, err);
}

bool
krb_default_principal(char *buf, size_t len)
{
    return vs_krb5_ccache_principal(NULL, buf, len);
}

bool
krb_accounts_resolve(const char *ldap_uri, char *const *names, size_t n, char ***sids,
                     struct vs_error *err)
{
    char who[512];
    const char *at;

    *sids = NULL;
    if (!krb_default_principal(who, sizeof who) || (at = strrchr(who, '@')) == NULL) {
        vs_error_set(err, VS_ERR_AUTH, "no Kerberos ticket to look names up in the directory "
                     "with: run kinit as an admin of the domain first");
        return false;
    }
    struct directory_login login = { NULL, at + 1, who };
    return directory_resolve(&login, ldap_uri, NULL, names, n, sids, err);
}
