/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vsmigrate: shared MIT krb5 steps (see krb5util.h). */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "krb5util.h"

bool
vs_krb5_ccache_principal(const char *ccache, char *buf, size_t len)
{
    krb5_context k;
    krb5_ccache cc = NULL;
    krb5_principal p = NULL;
    char *text = NULL;
    bool ok = false;

    if (len > 0)
        buf[0] = '\0';
    if (krb5_init_context(&k) != 0)
        return false;
    if ((ccache ? krb5_cc_resolve(k, ccache, &cc) : krb5_cc_default(k, &cc)) == 0 &&
        krb5_cc_get_principal(k, cc, &p) == 0 && krb5_unparse_name(k, p, &text) == 0)
        ok = (size_t)snprintf(buf, len, "%s", text) < len;
    krb5_free_unparsed_name(k, text);
    if (p)
        krb5_free_principal(k, p);
    if (cc)
        krb5_cc_close(k, cc);
    krb5_free_context(k);
    return ok;
}

krb5_error_code
vs_krb5_tgt_from_keytab(krb5_context k, const char *keytab, const char *principal,
                        long lifetime_s, bool forwardable, krb5_creds *out)
{
    krb5_principal p = NULL;
    krb5_keytab kt = NULL;
    krb5_get_init_creds_opt *opt = NULL;
    krb5_error_code code;

    memset(out, 0, sizeof *out);
    if ((code = krb5_parse_name(k, principal, &p)) == 0 &&
        (code = krb5_kt_resolve(k, keytab, &kt)) == 0 &&
        (code = krb5_get_init_creds_opt_alloc(k, &opt)) == 0) {
        if (lifetime_s > 0)
            krb5_get_init_creds_opt_set_tkt_life(opt, (krb5_deltat)lifetime_s);
        if (forwardable)
            krb5_get_init_creds_opt_set_forwardable(opt, 1);
        code = krb5_get_init_creds_keytab(k, out, p, kt, 0, NULL, opt);
    }
    if (opt)
        krb5_get_init_creds_opt_free(k, opt);
    if (kt)
        krb5_kt_close(k, kt);
    if (p)
        krb5_free_principal(k, p);
    return code;
}
