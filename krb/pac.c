/* SPDX-License-Identifier: GPL-3.0-or-later */
/* krb/pac.c: the user's SIDs and account flags from the Kerberos PAC.
 *
 * GSSAPI hands over the PAC buffers as name attributes once it has checked
 * their signatures ("urn:mspac:logon-info" and friends); the NDR decoding is
 * Samba's, so that we do not hand-parse a Microsoft wire format. The input
 * is still untrusted bytes: a fuzz target feeds it garbage. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>
#include <ndr.h>
#include <gen_ndr/ndr_krb5pac.h>
#include <gen_ndr/samr.h>

#include "krb/krb.h"

static void
sid_format(const struct dom_sid *sid, char *buf, size_t len)
{
    uint64_t auth = 0;
    size_t used;

    for (int i = 0; i < 6; i++)
        auth = auth << 8 | sid->id_auth[i];
    used = (size_t)snprintf(buf, len, "S-%u-%llu", sid->sid_rev_num, (unsigned long long)auth);
    for (int i = 0; i < sid->num_auths && i < 15 && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "-%u", sid->sub_auths[i]);
}

static bool
sid_valid(const struct dom_sid *sid)
{
    return sid != NULL && sid->num_auths >= 0 && sid->num_auths <= 15;
}

static bool
push_sid(struct krb_pac_info *out, const char *text)
{
    char **grown, *copy;

    for (size_t i = 0; i < out->ngroups; i++)
        if (strcmp(out->group_sids[i], text) == 0)
            return true;
    copy = strdup(text);
    grown = realloc(out->group_sids, (out->ngroups + 1) * sizeof *grown);
    if (copy == NULL || grown == NULL) {
        free(copy);
        if (grown)
            out->group_sids = grown;
        return false;
    }
    out->group_sids = grown;
    out->group_sids[out->ngroups++] = copy;
    return true;
}

/* domain SID + RID, e.g. S-1-5-21-1-2-3 + 513 */
static bool
push_rid(struct krb_pac_info *out, const struct dom_sid *domain, uint32_t rid)
{
    struct dom_sid sid = *domain;
    char text[KRB_SID_MAX];

    if (sid.num_auths >= 15)
        return false;
    sid.sub_auths[sid.num_auths++] = rid;
    sid_format(&sid, text, sizeof text);
    return push_sid(out, text);
}

bool
krb_pac_has_group(const struct krb_pac_info *info, const char *sid)
{
    for (size_t i = 0; i < info->ngroups; i++)
        if (strcmp(info->group_sids[i], sid) == 0)
            return true;
    return false;
}

bool
krb_pac_decode_logon_info(const void *blob, size_t len, struct krb_pac_info *out,
                          struct vs_error *err)
{
    TALLOC_CTX *mem = talloc_new(NULL);
    DATA_BLOB data = { (uint8_t *)(uintptr_t)blob, len };
    union PAC_INFO pac;
    struct PAC_LOGON_INFO_CTR ctr;
    const struct netr_SamBaseInfo *base;
    enum ndr_err_code rc;
    bool ok = false;

    memset(out, 0, sizeof *out);
    memset(&ctr, 0, sizeof ctr);
    if (mem == NULL) {
        vs_error_set(err, VS_ERR_NOMEM, "out of memory decoding the PAC");
        return false;
    }
    /* The buffer is an NDR type serialisation (a subcontext), decoded as
     * the PAC_INFO union at the buffer's type, as Samba itself does. */
    memset(&pac, 0, sizeof pac);
    rc = ndr_pull_union_blob(&data, mem, &pac, PAC_TYPE_LOGON_INFO, (ndr_pull_flags_fn_t)ndr_pull_PAC_INFO);
    ctr = pac.logon_info;
    if (!NDR_ERR_CODE_IS_SUCCESS(rc) || ctr.info == NULL) {
        vs_error_set(err, VS_ERR_PROTOCOL, "the PAC's logon information does not decode (NDR error %d)", (int)rc);
        goto done;
    }
    base = &ctr.info->info3.base;
    if (!sid_valid(base->domain_sid)) {
        vs_error_set(err, VS_ERR_PROTOCOL, "the PAC's logon information has no valid domain SID");
        goto done;
    }
    {
        struct dom_sid user = *base->domain_sid;
        if (user.num_auths >= 15) {
            vs_error_set(err, VS_ERR_PROTOCOL, "the PAC's domain SID is too long");
            goto done;
        }
        user.sub_auths[user.num_auths++] = base->rid;
        sid_format(&user, out->user_sid, sizeof out->user_sid);
    }
    if (!push_rid(out, base->domain_sid, base->primary_gid))
        goto nomem;
    for (uint32_t i = 0; i < base->groups.count && base->groups.rids != NULL; i++)
        if (!push_rid(out, base->domain_sid, base->groups.rids[i].rid))
            goto nomem;
    for (uint32_t i = 0; i < ctr.info->info3.sidcount && ctr.info->info3.sids != NULL; i++) {
        char text[KRB_SID_MAX];
        if (!sid_valid(ctr.info->info3.sids[i].sid))
            continue;
        sid_format(ctr.info->info3.sids[i].sid, text, sizeof text);
        if (!push_sid(out, text))
            goto nomem;
    }
    if (sid_valid(ctr.info->resource_groups.domain_sid)) {
        const struct samr_RidWithAttributeArray *rg = &ctr.info->resource_groups.groups;
        for (uint32_t i = 0; i < rg->count && rg->rids != NULL; i++)
            if (!push_rid(out, ctr.info->resource_groups.domain_sid, rg->rids[i].rid))
                goto nomem;
    }
    out->acct_flags = base->acct_flags;
    out->not_delegated = (base->acct_flags & ACB_NOT_DELEGATED) != 0;
    out->logon_domain = strdup(base->logon_domain.string ? base->logon_domain.string : "");
    out->account_name = strdup(base->account_name.string ? base->account_name.string : "");
    if (out->logon_domain == NULL || out->account_name == NULL)
        goto nomem;
    ok = true;
    goto done;
nomem:
    vs_error_set(err, VS_ERR_NOMEM, "out of memory decoding the PAC");
done:
    if (!ok)
        krb_pac_info_free(out);
    talloc_free(mem);
    return ok;
}

bool
krb_pac_decode_delegation(const void *blob, size_t len, char ***services, size_t *n,
                          struct vs_error *err)
{
    TALLOC_CTX *mem = talloc_new(NULL);
    DATA_BLOB data = { (uint8_t *)(uintptr_t)blob, len };
    union PAC_INFO pac;
    struct PAC_CONSTRAINED_DELEGATION_CTR ctr;
    enum ndr_err_code rc;
    char **v = NULL;
    size_t count = 0;

    *services = NULL;
    *n = 0;
    memset(&ctr, 0, sizeof ctr);
    if (mem == NULL) {
        vs_error_set(err, VS_ERR_NOMEM, "out of memory decoding the PAC");
        return false;
    }
    memset(&pac, 0, sizeof pac);
    rc = ndr_pull_union_blob(&data, mem, &pac, PAC_TYPE_CONSTRAINED_DELEGATION,
                             (ndr_pull_flags_fn_t)ndr_pull_PAC_INFO);
    ctr = pac.constrained_delegation;
    if (!NDR_ERR_CODE_IS_SUCCESS(rc) || ctr.info == NULL) {
        vs_error_set(err, VS_ERR_PROTOCOL, "the PAC's delegation information does not decode (NDR error %d)", (int)rc);
        talloc_free(mem);
        return false;
    }
    if (ctr.info->num_transited_services > 0 && ctr.info->transited_services != NULL) {
        v = calloc(ctr.info->num_transited_services, sizeof *v);
        if (v == NULL)
            goto nomem;
        for (uint32_t i = 0; i < ctr.info->num_transited_services; i++) {
            const char *s = ctr.info->transited_services[i].string;
            v[count] = strdup(s ? s : "");
            if (v[count] == NULL)
                goto nomem;
            count++;
        }
    }
    *services = v;
    *n = count;
    talloc_free(mem);
    return true;
nomem:
    krb_strv_free(v, count);
    talloc_free(mem);
    vs_error_set(err, VS_ERR_NOMEM, "out of memory decoding the PAC");
    return false;
}
