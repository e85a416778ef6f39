/* SPDX-License-Identifier: GPL-3.0-or-later */
/* krb/errors.c: GSSAPI and krb5 failures as sentences a person can act on.
 *
 * The KDC and GSSAPI speak in codes ("KDC can't fulfill requested option");
 * the same code has different causes depending on what we were doing and
 * what we know about the client's ticket. Each sentence says the cause first
 * and the fix after the colon; the library's own words follow in
 * parentheses for the record. */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <gssapi/gssapi.h>
#include <krb5/krb5.h>

#include "krb/krb.h"

/* snprintf for sentences: a very long principal may cut a sentence short,
 * which is better than no sentence. */
static void __attribute__((format(printf, 3, 4)))
say(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (vsnprintf(buf, len, fmt, ap) >= (int)len)
        buf[len - 1] = '\0';
    va_end(ap);
}

static const char *
or(const char *s, const char *fallback)
{
    return s != NULL && *s != '\0' ? s : fallback;
}

/* The principal without its realm, as admins write it in AD tools. */
static void
without_realm(const char *principal, char *buf, size_t len)
{
    const char *at = principal ? strrchr(principal, '@') : NULL;
    size_t n = at ? (size_t)(at - principal) : (principal ? strlen(principal) : 0);

    if (n >= len)
        n = len - 1;
    if (principal)
        memcpy(buf, principal, n);
    buf[n] = '\0';
}

/* The host's account name as "hosta$", for the samba-tool example. */
static void
account_of(const char *impersonator, char *buf, size_t len)
{
    without_realm(impersonator, buf, len);
    if (buf[0] == '\0')
        snprintf(buf, len, "HOST$");
}

static void
display(uint32_t code, int type, char *buf, size_t len)
{
    OM_uint32 minor, ctx = 0;
    gss_buffer_desc msg = GSS_C_EMPTY_BUFFER;
    size_t used = 0;

    buf[0] = '\0';
    do {
        if (GSS_ERROR(gss_display_status(&minor, code, type, GSS_C_NO_OID, &ctx, &msg)))
            break;
        used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%.*s",
                                 used ? "; " : "", (int)msg.length, (const char *)msg.value);
        gss_release_buffer(&minor, &msg);
    } while (ctx != 0 && used < len);
}

static const char *
op_text(enum krb_op op)
{
    switch (op) {
    case KRB_OP_ACQUIRE_ACCEPTOR: return "opening the service keytab";
    case KRB_OP_ACQUIRE_INITIATOR: return "finding your Kerberos ticket";
    case KRB_OP_INIT: return "authenticating to the service";
    case KRB_OP_ACCEPT: return "accepting a client";
    case KRB_OP_S4U2PROXY: return "acting for the user through constrained delegation";
    case KRB_OP_STORE: return "writing a credential cache";
    case KRB_OP_WRAP: return "protecting a message";
    case KRB_OP_PRF: return "deriving a stream key";
    case KRB_OP_UNWRAP: return "checking a message";
    }
    return "using Kerberos";
}

void
krb_explain(enum krb_op op, uint32_t major, uint32_t minor, const struct krb_hint *hint,
            struct vs_error *err)
{
    static const struct krb_hint none;
    const struct krb_hint *h = hint ? hint : &none;
    const char *target = or(h->target, "the service");
    const char *keytab = or(h->keytab, "the keytab");
    const char *service = or(h->service, "this service");
    const char *client = or(h->client, "the user");
    char lib[600], major_text[256], minor_text[256], svc[256], acct[256], host[256], cause[1024];
    enum vs_errcode code = VS_ERR_AUTH;
    krb5_error_code kerr = (krb5_error_code)minor;

    display(major, GSS_C_GSS_CODE, major_text, sizeof major_text);
    display(minor, GSS_C_MECH_CODE, minor_text, sizeof minor_text);
    if (minor != 0)
        say(lib, sizeof lib, "GSSAPI: %s; Kerberos: %s", major_text, minor_text);
    else
        say(lib, sizeof lib, "GSSAPI: %s", major_text);
    without_realm(h->target, svc, sizeof svc);
    account_of(h->impersonator, acct, sizeof acct);
    snprintf(host, sizeof host, "%.*s", (int)strcspn(acct, "$"), acct);

    if (kerr == KRB5KDC_ERR_BADOPTION && op == KRB_OP_S4U2PROXY) {
        code = VS_ERR_DENIED;
        if (h->evidence_known && h->client_not_delegated)
            say(cause, sizeof cause,
                     "%s is marked 'sensitive and cannot be delegated', so %s cannot act for it toward %s: "
                     "use an account without that flag, or clear 'Account is sensitive and cannot be "
                     "delegated' (UF_NOT_DELEGATED) on %s",
                     client, or(h->impersonator, "this host"), target, client);
        else if (h->evidence_known && !h->evidence_forwardable)
            say(cause, sizeof cause,
                     "%s's ticket is not forwardable, so %s cannot act for it toward %s: "
                     "get a forwardable ticket on the workstation (kinit -f, or forwardable = true in krb5.conf)",
                     client, or(h->impersonator, "this host"), target);
        else
            say(cause, sizeof cause,
                     "%s may not delegate to %s: add %s to its msDS-AllowedToDelegateTo "
                     "(Samba: samba-tool delegation add-service %s %s; Windows: Set-ADComputer %s "
                     "-Add @{'msDS-AllowedToDelegateTo'='%s'})",
                     or(h->impersonator, "this host's account"), target, svc, acct, svc, host, svc);
    } else if (kerr == KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN) {
        /* a host the domain does not know as a vsmigrate service: it cannot be
         * reached (exit 5), which is not "no such VM or job" (exit 6) */
        code = VS_ERR_UNAVAILABLE;
        say(cause, sizeof cause,
                 "the KDC does not know the service %s: register the SPN %s on the right computer "
                 "account (samba-tool spn add %s HOST$, or setspn -S %s HOST), and check its spelling",
                 target, svc, svc, svc);
    } else if (kerr == KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN) {
        say(cause, sizeof cause,
                 "the KDC does not know the client %s: check the principal names in %s (klist -k) "
                 "against the domain's accounts",
                 or(h->impersonator, client), keytab);
    } else if (kerr == KRB5KRB_AP_ERR_SKEW) {
        say(cause, sizeof cause,
                 "the clocks of this host and the KDC (or the peer) differ by more than the allowed "
                 "skew (5 minutes by default): synchronise time with the domain controllers "
                 "(chrony or systemd-timesyncd)");
    } else if (kerr == KRB5KRB_AP_ERR_TKT_EXPIRED || (major & 0xffff0000u) == GSS_S_CREDENTIALS_EXPIRED ||
               GSS_ROUTINE_ERROR(major) == GSS_S_CREDENTIALS_EXPIRED) {
        say(cause, sizeof cause,
                 "%s's Kerberos ticket has expired: run kinit -f again (and keep it renewed for long moves)",
                 client);
    } else if (kerr == KRB5_FCC_NOFILE || kerr == KRB5_CC_NOTFOUND ||
               (GSS_ROUTINE_ERROR(major) == GSS_S_NO_CRED &&
                (op == KRB_OP_ACQUIRE_INITIATOR || op == KRB_OP_INIT))) {
        say(cause, sizeof cause,
                 "there is no Kerberos ticket to use: run kinit -f user@REALM first "
                 "(or point KRB5CCNAME at the right credential cache)");
    } else if (kerr == KRB5_KT_NOTFOUND) {
        say(cause, sizeof cause,
                 "%s holds no key for %s: export one into it (samba-tool domain exportkeytab %s "
                 "--principal=%s, or ktpass on Windows)",
                 keytab, service, keytab, service);
    } else if (kerr == KRB5KRB_AP_ERR_BADKEYVER) {
        say(cause, sizeof cause,
                 "%s holds an old key version (kvno) for %s: the account's password changed after "
                 "the keytab was made; export a fresh keytab",
                 keytab, service);
    } else if (kerr == KRB5KRB_AP_ERR_BAD_INTEGRITY || kerr == KRB5KRB_AP_ERR_MODIFIED) {
        say(cause, sizeof cause,
                 "the client's ticket does not decrypt with the key in %s: the keytab is stale or "
                 "holds another account's key for %s; export a fresh keytab",
                 keytab, service);
    } else if (kerr == ENOENT && (op == KRB_OP_ACQUIRE_ACCEPTOR || op == KRB_OP_ACCEPT)) {
        code = VS_ERR_NOTFOUND;
        say(cause, sizeof cause,
                 "the keytab %s does not exist: create it (samba-tool domain exportkeytab, or "
                 "net ads keytab create) or set the right path in the configuration",
                 keytab);
    } else if (kerr == EACCES && (op == KRB_OP_ACQUIRE_ACCEPTOR || op == KRB_OP_ACCEPT)) {
        say(cause, sizeof cause,
                 "the keytab %s cannot be read by this process: make it readable by the daemon's "
                 "user only (chmod 0600, chown)",
                 keytab);
    } else if (kerr == KRB5_KDC_UNREACH || kerr == KRB5_REALM_CANT_RESOLVE || kerr == KRB5_REALM_UNKNOWN) {
        code = VS_ERR_UNAVAILABLE;
        say(cause, sizeof cause,
                 "no KDC of the realm could be reached: check the kdc entries in krb5.conf (or the "
                 "_kerberos SRV records in DNS) and that TCP/UDP port 88 of the domain controllers "
                 "is reachable from here");
    } else if (kerr == KRB5KDC_ERR_CLIENT_REVOKED) {
        code = VS_ERR_DENIED;
        say(cause, sizeof cause,
                 "the account %s is disabled, locked out or expired: an administrator must enable it",
                 or(h->impersonator, client));
    } else if (kerr == KRB5KDC_ERR_ETYPE_NOSUPP) {
        say(cause, sizeof cause,
                 "the KDC and this host share no encryption type: allow AES on the accounts "
                 "(msDS-SupportedEncryptionTypes = 24 or 28) and export the keytab again");
    } else if (kerr == KRB5KDC_ERR_PREAUTH_FAILED && op == KRB_OP_ACQUIRE_ACCEPTOR) {
        /* The host's own key was refused: the keytab no longer matches the
         * account, almost always because its password (and kvno) changed. */
        say(cause, sizeof cause,
                 "%s holds an old key version (kvno) or a wrong key for %s: the KDC refused it, so "
                 "the account's password changed after the keytab was made; export a fresh keytab "
                 "(samba-tool domain exportkeytab, or net ads keytab create)",
                 keytab, or(h->impersonator, "the host's account"));
    } else if (kerr == KRB5KDC_ERR_PREAUTH_FAILED || kerr == KRB5KDC_ERR_KEY_EXP) {
        say(cause, sizeof cause,
                 "the KDC refused the key or password of %s: export a fresh keytab (or reset the "
                 "password)",
                 or(h->impersonator, client));
    } else if (kerr == KRB5KRB_AP_ERR_REPEAT) {
        say(cause, sizeof cause,
                 "the client's authenticator was seen before (a replay): someone resent an old "
                 "token; the connection is refused");
    } else if (GSS_ROUTINE_ERROR(major) == GSS_S_DEFECTIVE_TOKEN && op == KRB_OP_ACCEPT) {
        code = VS_ERR_PROTOCOL;
        say(cause, sizeof cause,
                 "the client sent something that is not a Kerberos GSSAPI token: is the peer a "
                 "vsmigrate client of a matching version?");
    } else {
        say(cause, sizeof cause, "Kerberos failed while %s", op_text(op));
    }
    vs_error_set(err, code, "%s (%s)", cause, lib);
}
