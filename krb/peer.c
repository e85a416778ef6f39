/* SPDX-License-Identifier: GPL-3.0-or-later */
/* krb/peer.c: freeing what krb/ hands out (string lists, PAC information),
 * without the PAC decoder's dependencies. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "krb/krb.h"

void
krb_pac_info_free(struct krb_pac_info *info)
{
    if (info == NULL)
        return;
    krb_strv_free(info->group_sids, info->ngroups);
    free(info->logon_domain);
    free(info->account_name);
    memset(info, 0, sizeof *info);
}

void
krb_strv_free(char **v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        free(v[i]);
    free(v);
}

