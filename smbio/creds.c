/* SPDX-License-Identifier: GPL-3.0-or-later */
/* smbio/creds.c: keytab -> private FILE: ccache, renewed before it runs out. */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <krb5/krb5.h>

#include "common/ccdir.h"
#include "common/krb5util.h"
#include "smbio/creds.h"

struct smbio_creds {
    pthread_mutex_t lock;
    char *keytab;
    char *principal;
    unsigned lifetime_s;
    struct vs_ccache_dir cc;   /* the private 0700 directory and the ccache in it */
    _Atomic time_t start, end;
    _Atomic uint64_t renewals;
};

time_t
smbio_creds_due_time(time_t start, time_t end)
{
    time_t half = start + (end - start) / 2;
    time_t last = end - SMBIO_CREDS_MIN_LEFT_S;

    return half < last ? half : last;
}

/* One krb5 failure as a sentence with the fix. */
static void
kinit_error(krb5_context k, krb5_error_code code, const struct smbio_creds *c, struct vs_error *err)
{
    const char *msg = krb5_get_error_message(k, code);

    switch (code) {
    case KRB5_KT_NOTFOUND:
        vs_error_set(err, VS_ERR_AUTH, "the keytab %s holds no key for %s (%s): check principal= "
                     "(a host's is 'NAME$@REALM'), or re-create the keytab", c->keytab, c->principal, msg);
        break;
    case KRB5KDC_ERR_PREAUTH_FAILED:
    case KRB5KRB_AP_ERR_BAD_INTEGRITY:
        vs_error_set(err, VS_ERR_AUTH, "the KDC refused the key for %s in %s (%s): the keytab is "
                     "stale, the account's password changed since; re-create the keytab", c->principal,
                     c->keytab, msg);
        break;
    case KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN:
        vs_error_set(err, VS_ERR_AUTH, "the KDC does not know %s: check principal=", c->principal);
        break;
    case KRB5_KDC_UNREACH:
    case KRB5_REALM_CANT_RESOLVE:
        vs_error_set(err, VS_ERR_UNAVAILABLE, "no KDC answered for %s (%s): check the network "
                     "and krb5.conf", c->principal, msg);
        break;
    case KRB5KRB_AP_ERR_SKEW:
        vs_error_set(err, VS_ERR_AUTH, "this host's clock differs from the KDC's by more than the "
                     "allowed skew: synchronise it (chrony/NTP)");
        break;
    default:
        if (code == ENOENT || code == EACCES)
            vs_error_set(err, VS_ERR_AUTH, "cannot read the keytab %s: %s (check keytab= and that "
                         "the export's user may read the file)", c->keytab, msg);
        else
            vs_error_set(err, VS_ERR_AUTH, "getting tickets for %s from %s failed: %s",
                         c->principal, c->keytab, msg);
    }
    krb5_free_error_message(k, msg);
}

/* kinit -k into path.new, then rename over path. With c->lock held. */
static bool
renew_locked(struct smbio_creds *c, struct vs_error *err)
{
    krb5_context k;
    krb5_principal p = NULL;
    krb5_creds creds;
    krb5_ccache cc = NULL;
    krb5_error_code code;
    char tmp[PATH_MAX + 16], tmpname[PATH_MAX + 24];
    bool have_creds = false, ok = false;

    if (krb5_init_context(&k) != 0) {
        vs_error_set(err, VS_ERR_INTERNAL, "cannot initialise Kerberos (is krb5.conf readable?)");
        return false;
    }
    memset(&creds, 0, sizeof creds);
    snprintf(tmp, sizeof tmp, "%s.new", c->cc.path);
    snprintf(tmpname, sizeof tmpname, "FILE:%s", tmp);
    if ((code = krb5_parse_name(k, c->principal, &p)) != 0 ||
        (code = vs_krb5_tgt_from_keytab(k, c->keytab, c->principal, (long)c->lifetime_s, false,
                                        &creds)) != 0)
        goto fail;
    have_creds = true;
    unlink(tmp);
    if ((code = krb5_cc_resolve(k, tmpname, &cc)) != 0 || (code = krb5_cc_initialize(k, cc, p)) != 0 ||
        (code = krb5_cc_store_cred(k, cc, &creds)) != 0)
        goto fail;
    krb5_cc_close(k, cc);
    cc = NULL;
    if (rename(tmp, c->cc.path) != 0) {
        vs_error_set(err, VS_ERR_IO, "cannot put the new ccache in place at %s: %s", c->cc.path, strerror(errno));
        goto out;
    }
    c->start = creds.times.starttime ? creds.times.starttime : creds.times.authtime;
    c->end = creds.times.endtime;
    ok = true;
    goto out;
fail:
    kinit_error(k, code, c, err);
out:
    if (cc)
        krb5_cc_destroy(k, cc);
    unlink(tmp);
    if (have_creds)
        krb5_free_cred_contents(k, &creds);
    if (p)
        krb5_free_principal(k, p);
    krb5_free_context(k);
    return ok;
}

bool
smbio_creds_from_keytab(const char *keytab, const char *principal, unsigned lifetime_s,
                        const char *parent_dir, struct smbio_creds **out, struct vs_error *err)
{
    struct smbio_creds *c;

    *out = NULL;
    if (keytab == NULL || principal == NULL || *principal == '\0') {
        vs_error_set(err, VS_ERR_INVALID, "keytab= needs principal= (a host's is 'NAME$@REALM')");
        return false;
    }
    c = calloc(1, sizeof *c);
    if (c == NULL || (c->keytab = strdup(keytab)) == NULL || (c->principal = strdup(principal)) == NULL) {
        if (c) {
            free(c->keytab);
            free(c);
        }
        vs_error_set(err, VS_ERR_NOMEM, "out of memory");
        return false;
    }
    pthread_mutex_init(&c->lock, NULL);
    c->lifetime_s = lifetime_s;
    if (!vs_ccache_dir_create(&c->cc, parent_dir, "smbio", err)) {
        smbio_creds_destroy(c);
        return false;
    }
    if (!renew_locked(c, err)) {
        smbio_creds_destroy(c);
        return false;
    }
    *out = c;
    return true;
}

const char *
smbio_creds_ccache(const struct smbio_creds *c)
{
    return c->cc.name;
}

bool
smbio_creds_refresh(struct smbio_creds *c, bool force, struct vs_error *err)
{
    bool ok = true;

    pthread_mutex_lock(&c->lock);
    if (force || time(NULL) >= smbio_creds_due_time(c->start, c->end)) {
        ok = renew_locked(c, err);
        if (ok)
            c->renewals++;
    }
    pthread_mutex_unlock(&c->lock);
    return ok;
}

time_t
smbio_creds_refresh_due(const struct smbio_creds *c)
{
    return smbio_creds_due_time(c->start, c->end);
}

time_t
smbio_creds_expires(const struct smbio_creds *c)
{
    return c->end;
}

uint64_t
smbio_creds_renewals(const struct smbio_creds *c)
{
    return c->renewals;
}

void
smbio_creds_destroy(struct smbio_creds *c)
{
    if (c == NULL)
        return;
    vs_ccache_dir_remove(&c->cc);
    pthread_mutex_destroy(&c->lock);
    free(c->keytab);
    free(c->principal);
    free(c);
}
