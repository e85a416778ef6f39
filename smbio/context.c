/* SPDX-License-Identifier: GPL-3.0-or-later */
/* smbio/context.c: one libsmbclient context, Kerberos and SMB3 only. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "smbio/context.h"

static void
auth_fn(SMBCCTX *c, const char *srv, const char *shr, char *wg, int wglen, char *un, int unlen,
        char *pw, int pwlen)
{
    /* Kerberos only: no password is ever offered. libsmbclient treats an
     * empty user name as "anonymous", so it gets the ccache's principal,
     * which Kerberos authentication then ignores in favour of the ticket. */
    const char *principal = smbc_getOptionUserData(c);

    (void)srv; (void)shr; (void)wg; (void)wglen;
    if (unlen > 0)
        snprintf(un, (size_t)unlen, "%s", principal ? principal : "kerberos");
    if (pwlen > 0)
        pw[0] = '\0';
}

SMBCCTX *
smbio_context_new(const char *principal, struct vs_error *err)
{
    SMBCCTX *ctx = smbc_new_context();

    if (ctx != NULL) {
        smbc_setOptionUserData(ctx, (void *)principal);
        smbc_setOptionUseKerberos(ctx, 1);
        smbc_setOptionUseCCache(ctx, 1);
        smbc_setOptionFallbackAfterKerberos(ctx, 0);
        smbc_setOptionNoAutoAnonymousLogin(ctx, 1);
        smbc_setOptionProtocols(ctx, "SMB3", "SMB3");
        smbc_setFunctionAuthDataWithContext(ctx, auth_fn);
        if (smbc_init_context(ctx) == NULL) {
            smbc_free_context(ctx, 1);
            ctx = NULL;
        }
    }
    if (ctx == NULL)
        vs_error_set(err, VS_ERR_INTERNAL, "cannot create an SMB client context: %s (libsmbclient "
                     "reads /etc/samba/smb.conf at this point: check that it parses, testparm -s)",
                     strerror(errno));
    return ctx;
}
