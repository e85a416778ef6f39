/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fileserver-hooks/sharesd.c: a share-level ACL in Samba's own types.
 *
 * libnetapi takes the descriptor as Samba's struct security_descriptor,
 * which netapi.h leaves opaque and whose header clashes with netapi.h, so
 * it is built here, apart. */
#include <config.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>
#include <ndr.h>
#include <gen_ndr/security.h>

#include "fileserver-hooks/netshare.h"

static bool
sid_from_text(const char *text, struct dom_sid *sid)
{
    const char *p = text + 4;
    char *end;
    unsigned long long auth;

    memset(sid, 0, sizeof *sid);
    if (!acl_sid_valid(text))
        return false;
    auth = strtoull(p, &end, 10);
    if (auth >> 48)
        return false;
    sid->sid_rev_num = 1;
    for (int i = 0; i < 6; i++)
        sid->id_auth[i] = (uint8_t)(auth >> (8 * (5 - i)));
    while (*end == '-') {
        unsigned long long sub = strtoull(end + 1, &end, 10);
        if (sid->num_auths == 15 || sub > UINT32_MAX)
            return false;
        sid->sub_auths[sid->num_auths++] = (uint32_t)sub;
    }
    return *end == '\0';
}

struct security_descriptor *
netshare_sd_build(void *mem_ctx, const struct acl_want *acl, size_t nacl)
{
    struct security_descriptor *sd = talloc_zero(mem_ctx, struct security_descriptor);
    struct security_acl *dacl = sd ? talloc_zero(sd, struct security_acl) : NULL;
    struct security_ace *aces = dacl ? talloc_zero_array(dacl, struct security_ace, nacl) : NULL;

    if (aces == NULL && nacl > 0) {
        talloc_free(sd);
        return NULL;
    }
    for (size_t i = 0; i < nacl; i++) {
        aces[i].type = SEC_ACE_TYPE_ACCESS_ALLOWED;
        aces[i].flags = 0;
        aces[i].access_mask = acl[i].mask;
        if (!sid_from_text(acl[i].sid, &aces[i].trustee)) {
            talloc_free(sd);
            return NULL;
        }
    }
    dacl->revision = SECURITY_ACL_REVISION_NT4;
    dacl->num_aces = (uint32_t)nacl;
    dacl->aces = aces;
    sd->revision = SECURITY_DESCRIPTOR_REVISION_1;
    sd->type = SEC_DESC_SELF_RELATIVE | SEC_DESC_DACL_PRESENT;
    sd->dacl = dacl;
    return sd;
}
