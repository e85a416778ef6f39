/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vsmigrate: the few MIT krb5 steps that both krb/ and smbio/ take.
 *
 * krb/ (GSSAPI, the agents' identity) and smbio/ (the disk exports' machine
 * ccache) must not know each other; what they share lives here. */
#ifndef VSM_COMMON_KRB5UTIL_H
#define VSM_COMMON_KRB5UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <krb5.h>

/* The default principal of ccache (NULL: the default ccache), unparsed into
 * buf. false when there is no such ccache, it is empty, or buf is too small. */
bool vs_krb5_ccache_principal(const char *ccache, char *buf, size_t len);

/* kinit -k: a TGT for principal from keytab into *out (free it with
 * krb5_free_cred_contents). lifetime_s 0: krb5.conf's default. 0 or the krb5
 * error code (krb5_get_error_message(k, code) says it in words). */
krb5_error_code vs_krb5_tgt_from_keytab(krb5_context k, const char *keytab, const char *principal,
                                        long lifetime_s, bool forwardable, krb5_creds *out);

#endif
