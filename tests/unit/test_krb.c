/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for krb/: error sentences, unwrap classification, PAC decoding
 * (with PAC buffers captured from the lab) and misuse of contexts. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include <gssapi/gssapi.h>
#include <krb5/krb5.h>

#include "krb/krb.h"

#define DOMAIN "S-1-5-21-551045876-3038260757-3187501848"

static void *
fixture(const char *name, size_t *len)
{
    const char *srcdir = getenv("srcdir");
    char path[1024];
    FILE *f;
    void *buf = malloc(65536);

    snprintf(path, sizeof path, "%s/unit/fixtures/%s", srcdir ? srcdir : ".", name);
    f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open fixture %s", path);
    *len = fread(buf, 1, 65536, f);
    fclose(f);
    return buf;
}

/* ---- error sentences --------------------------------------------------------- */

static struct vs_error
explain(enum krb_op op, uint32_t major, krb5_error_code minor, const struct krb_hint *h)
{
    struct vs_error err;
    krb_explain(op, major, (uint32_t)minor, h, &err);
    return err;
}

static void
expect_words(const struct vs_error *err, const char *a, const char *b)
{
    if (strstr(err->message, a) == NULL || (b && strstr(err->message, b) == NULL))
        fail_msg("message lacks '%s'/'%s': %s", a, b ? b : "", err->message);
}

static const struct krb_hint s4u = {
    .target = "vsmigrate/hostc.lab.test@LAB.TEST", .impersonator = "hosta$@LAB.TEST",
    .client = "admin@LAB.TEST", .keytab = "/etc/krb5.keytab", .service = "vsmigrate/hosta.lab.test@LAB.TEST",
};

static void
test_explain_delegation(void **state)
{
    (void)state;
    struct krb_hint h = s4u;
    struct vs_error e;

    /* nothing known about the evidence ticket: the host lacks the right */
    e = explain(KRB_OP_S4U2PROXY, GSS_S_FAILURE, KRB5KDC_ERR_BADOPTION, &h);
    assert_int_equal(e.code, VS_ERR_DENIED);
    expect_words(&e, "hosta$@LAB.TEST may not delegate to vsmigrate/hostc.lab.test@LAB.TEST",
                 "samba-tool delegation add-service hosta$ vsmigrate/hostc.lab.test");
    expect_words(&e, "msDS-AllowedToDelegateTo", "Set-ADComputer hosta ");

    /* forwardable evidence: still the host's right */
    h.evidence_known = true;
    h.evidence_forwardable = true;
    e = explain(KRB_OP_S4U2PROXY, GSS_S_FAILURE, KRB5KDC_ERR_BADOPTION, &h);
    expect_words(&e, "may not delegate", NULL);

    /* not forwardable, account flagged: the sensitive account */
    h.evidence_forwardable = false;
    h.client_not_delegated = true;
    e = explain(KRB_OP_S4U2PROXY, GSS_S_FAILURE, KRB5KDC_ERR_BADOPTION, &h);
    expect_words(&e, "admin@LAB.TEST is marked 'sensitive and cannot be delegated'", "UF_NOT_DELEGATED");

    /* not forwardable, account not flagged: the user's TGT */
    h.client_not_delegated = false;
    e = explain(KRB_OP_S4U2PROXY, GSS_S_FAILURE, KRB5KDC_ERR_BADOPTION, &h);
    expect_words(&e, "ticket is not forwardable", "kinit -f");

    /* the library's own words follow, for the record */
    expect_words(&e, "(GSSAPI: ", "Kerberos: ");
}

static void
test_explain_causes(void **state)
{
    (void)state;
    struct vs_error e;

    e = explain(KRB_OP_INIT, GSS_S_FAILURE, KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN, &s4u);
    assert_int_equal(e.code, VS_ERR_UNAVAILABLE);
    expect_words(&e, "does not know the service vsmigrate/hostc.lab.test@LAB.TEST", "samba-tool spn add");
    e = explain(KRB_OP_ACCEPT, GSS_S_FAILURE, KRB5KRB_AP_ERR_SKEW, &s4u);
    expect_words(&e, "clocks", "synchronise time");
    e = explain(KRB_OP_INIT, GSS_S_FAILURE, KRB5KRB_AP_ERR_TKT_EXPIRED, &s4u);
    expect_words(&e, "has expired", "kinit -f");
    e = explain(KRB_OP_INIT, GSS_S_CREDENTIALS_EXPIRED, 0, &s4u);
    expect_words(&e, "has expired", NULL);
    e = explain(KRB_OP_ACQUIRE_INITIATOR, GSS_S_NO_CRED, KRB5_FCC_NOFILE, NULL);
    expect_words(&e, "no Kerberos ticket", "kinit -f");
    e = explain(KRB_OP_INIT, GSS_S_NO_CRED, 0, NULL);
    expect_words(&e, "no Kerberos ticket", NULL);
    e = explain(KRB_OP_ACQUIRE_ACCEPTOR, GSS_S_NO_CRED, KRB5_KT_NOTFOUND, &s4u);
    expect_words(&e, "/etc/krb5.keytab holds no key for vsmigrate/hosta.lab.test@LAB.TEST", "exportkeytab");
    e = explain(KRB_OP_ACCEPT, GSS_S_FAILURE, KRB5KRB_AP_ERR_BADKEYVER, &s4u);
    expect_words(&e, "old key version (kvno)", "export a fresh keytab");
    e = explain(KRB_OP_ACCEPT, GSS_S_FAILURE, KRB5KRB_AP_ERR_BAD_INTEGRITY, &s4u);
    expect_words(&e, "does not decrypt", "fresh keytab");
    e = explain(KRB_OP_ACQUIRE_ACCEPTOR, GSS_S_NO_CRED, ENOENT, &s4u);
    assert_int_equal(e.code, VS_ERR_NOTFOUND);
    expect_words(&e, "/etc/krb5.keytab does not exist", NULL);
    e = explain(KRB_OP_ACQUIRE_ACCEPTOR, GSS_S_NO_CRED, EACCES, &s4u);
    expect_words(&e, "cannot be read", "chmod 0600");
    e = explain(KRB_OP_INIT, GSS_S_FAILURE, KRB5_KDC_UNREACH, NULL);
    assert_int_equal(e.code, VS_ERR_UNAVAILABLE);
    expect_words(&e, "no KDC", "port 88");
    e = explain(KRB_OP_INIT, GSS_S_FAILURE, KRB5KDC_ERR_CLIENT_REVOKED, &s4u);
    assert_int_equal(e.code, VS_ERR_DENIED);
    expect_words(&e, "disabled", NULL);
    e = explain(KRB_OP_INIT, GSS_S_FAILURE, KRB5KDC_ERR_ETYPE_NOSUPP, NULL);
    expect_words(&e, "encryption type", "msDS-SupportedEncryptionTypes");
    e = explain(KRB_OP_ACCEPT, GSS_S_FAILURE, KRB5KRB_AP_ERR_REPEAT, NULL);
    expect_words(&e, "replay", NULL);
    e = explain(KRB_OP_ACCEPT, GSS_S_DEFECTIVE_TOKEN, 0, NULL);
    assert_int_equal(e.code, VS_ERR_PROTOCOL);
    expect_words(&e, "not a Kerberos GSSAPI token", NULL);
    /* BADOPTION outside S4U2Proxy is not a delegation problem */
    e = explain(KRB_OP_INIT, GSS_S_FAILURE, KRB5KDC_ERR_BADOPTION, &s4u);
    assert_null(strstr(e.message, "delegate"));
    /* anything else still says what was being done */
    e = explain(KRB_OP_UNWRAP, GSS_S_FAILURE, 12345, NULL);
    expect_words(&e, "Kerberos failed while checking a message", NULL);
}

static void
test_explain_without_hints(void **state)
{
    (void)state;
    struct vs_error e = explain(KRB_OP_S4U2PROXY, GSS_S_FAILURE, KRB5KDC_ERR_BADOPTION, NULL);

    expect_words(&e, "may not delegate to the service", "HOST$");
}

/* ---- message protection ----------------------------------------------------- */

static void
test_unwrap_classify(void **state)
{
    (void)state;
    assert_int_equal(krb_unwrap_classify(GSS_S_COMPLETE), KRB_UNWRAP_OK);
    assert_int_equal(krb_unwrap_classify(GSS_S_BAD_SIG), KRB_UNWRAP_TAMPERED);
    assert_int_equal(krb_unwrap_classify(GSS_S_BAD_MIC), KRB_UNWRAP_TAMPERED);
    assert_int_equal(krb_unwrap_classify(GSS_S_DEFECTIVE_TOKEN), KRB_UNWRAP_MALFORMED);
    assert_int_equal(krb_unwrap_classify(GSS_S_CONTEXT_EXPIRED), KRB_UNWRAP_FAILED);
    assert_int_equal(krb_unwrap_classify(GSS_S_COMPLETE | GSS_S_DUPLICATE_TOKEN), KRB_UNWRAP_REPLAYED);
    assert_int_equal(krb_unwrap_classify(GSS_S_COMPLETE | GSS_S_OLD_TOKEN), KRB_UNWRAP_OUT_OF_ORDER);
    assert_int_equal(krb_unwrap_classify(GSS_S_COMPLETE | GSS_S_UNSEQ_TOKEN), KRB_UNWRAP_OUT_OF_ORDER);
    assert_int_equal(krb_unwrap_classify(GSS_S_COMPLETE | GSS_S_GAP_TOKEN), KRB_UNWRAP_GAP);
    /* a routine error wins over supplementary bits */
    assert_int_equal(krb_unwrap_classify(GSS_S_BAD_SIG | GSS_S_DUPLICATE_TOKEN), KRB_UNWRAP_TAMPERED);
    for (int s = KRB_UNWRAP_OK; s <= KRB_UNWRAP_FAILED; s++)
        assert_string_not_equal(krb_unwrap_status_text((enum krb_unwrap_status)s), "unknown");
    assert_string_equal(krb_unwrap_status_text(KRB_UNWRAP_REPLAYED), "a replay of a message already received");
}

static void
test_contexts_refuse_misuse(void **state)
{
    (void)state;
    struct krb_context *acc_ctx, *ctx;
    struct vs_error err;
    void *out;
    size_t len;
    bool conf;

    assert_true(krb_accept_begin(NULL, &acc_ctx, &err));
    /* nothing established: no wrapping, no peer, no proxying */
    assert_false(krb_wrap(acc_ctx, true, "x", 1, &out, &len, &err));
    expect_words(&err, "no established security context", NULL);
    assert_int_equal(krb_unwrap(acc_ctx, "x", 1, &out, &len, &conf, &err), KRB_UNWRAP_FAILED);
    assert_null(out);
    assert_null(krb_context_peer(acc_ctx));
    assert_false(krb_initiate_begin("vsmigrate/hostb.lab.test@LAB.TEST", acc_ctx, &ctx, &err));
    assert_int_equal(err.code, VS_ERR_DENIED);
    expect_words(&err, "no proxy credential", NULL);
    krb_context_free(acc_ctx);
    krb_context_free(NULL);
}

/* ---- PAC ------------------------------------------------------------------ */

static void
test_pac_admin(void **state)
{
    (void)state;
    size_t len;
    void *blob = fixture("pac-logon-admin.bin", &len);
    struct krb_pac_info info;
    struct vs_error err;

    assert_true(krb_pac_decode_logon_info(blob, len, &info, &err));
    assert_string_equal(info.user_sid, DOMAIN "-1103");
    assert_string_equal(info.account_name, "admin");
    assert_string_equal(info.logon_domain, "LAB");
    assert_false(info.not_delegated);
    assert_true(krb_pac_has_group(&info, DOMAIN "-513"));    /* Domain Users */
    assert_true(krb_pac_has_group(&info, DOMAIN "-1106"));   /* VM Migration Admins */
    assert_false(krb_pac_has_group(&info, DOMAIN "-512"));   /* not Domain Admins */
    assert_false(krb_pac_has_group(&info, DOMAIN "-1103"));  /* the user is not a group */
    krb_pac_info_free(&info);
    krb_pac_info_free(NULL);
    free(blob);
}

static void
test_pac_sensitive(void **state)
{
    (void)state;
    size_t len;
    void *blob = fixture("pac-logon-sensitive.bin", &len);
    struct krb_pac_info info;
    struct vs_error err;

    assert_true(krb_pac_decode_logon_info(blob, len, &info, &err));
    assert_string_equal(info.account_name, "sensitive");
    assert_true(info.not_delegated);
    assert_true(krb_pac_has_group(&info, DOMAIN "-1106"));
    krb_pac_info_free(&info);
    free(blob);
}

static void
test_pac_delegation(void **state)
{
    (void)state;
    size_t len, n;
    void *blob = fixture("pac-delegation-hosta.bin", &len);
    char **services;
    struct vs_error err;

    assert_true(krb_pac_decode_delegation(blob, len, &services, &n, &err));
    assert_int_equal(n, 1);
    assert_string_equal(services[0], "hosta$@LAB.TEST");
    krb_strv_free(services, n);
    free(blob);
}

static void
test_pac_rejects_damage(void **state)
{
    (void)state;
    size_t len, n;
    uint8_t *blob = fixture("pac-logon-admin.bin", &len);
    struct krb_pac_info info;
    struct vs_error err;
    char **services;
    size_t ok = 0;

    /* every truncation of a real PAC: decoded or refused, never a crash */
    for (size_t cut = 0; cut < len; cut++) {
        if (krb_pac_decode_logon_info(blob, cut, &info, &err)) {
            krb_pac_info_free(&info);
            ok++;
        } else {
            assert_true(err.message[0] != '\0');
        }
    }
    assert_true(ok < len / 2);   /* most truncations must be refused */
    assert_false(krb_pac_decode_logon_info("", 0, &info, &err));
    expect_words(&err, "does not decode", NULL);
    assert_false(krb_pac_decode_delegation(blob, 3, &services, &n, &err));
    assert_null(services);
    free(blob);
}

static void
test_sid_from_binary(void **state)
{
    (void)state;
    /* S-1-5-21-551045876-3038260757-3187501848-1106, as objectSid holds it */
    const uint8_t sid[] = { 1, 5, 0, 0, 0, 0, 0, 5,
                            21, 0, 0, 0, 0xf4, 0x4a, 0xd8, 0x20, 0x15, 0x2e, 0x18, 0xb5,
                            0x18, 0x6b, 0xfd, 0xbd, 0x52, 0x04, 0, 0 };
    const uint8_t builtin_admins[] = { 1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 0x02, 0, 0 };
    uint8_t bad[sizeof sid];
    char out[KRB_SID_MAX];

    assert_true(krb_sid_from_binary(sid, sizeof sid, out, sizeof out));
    assert_string_equal(out, DOMAIN "-1106");
    assert_true(krb_sid_from_binary(builtin_admins, sizeof builtin_admins, out, sizeof out));
    assert_string_equal(out, "S-1-5-32-544");
    assert_false(krb_sid_from_binary(sid, sizeof sid - 1, out, sizeof out));   /* short */
    assert_false(krb_sid_from_binary(sid, 7, out, sizeof out));
    memcpy(bad, sid, sizeof sid);
    bad[0] = 2;                                                               /* revision */
    assert_false(krb_sid_from_binary(bad, sizeof bad, out, sizeof out));
    bad[0] = 1;
    bad[1] = 16;                                                              /* too many */
    assert_false(krb_sid_from_binary(bad, sizeof bad, out, sizeof out));
    assert_false(krb_sid_from_binary(sid, sizeof sid, out, 10));              /* no room */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_explain_delegation),
        cmocka_unit_test(test_explain_causes),
        cmocka_unit_test(test_explain_without_hints),
        cmocka_unit_test(test_unwrap_classify),
        cmocka_unit_test(test_contexts_refuse_misuse),
        cmocka_unit_test(test_pac_admin),
        cmocka_unit_test(test_pac_sensitive),
        cmocka_unit_test(test_pac_delegation),
        cmocka_unit_test(test_pac_rejects_damage),
        cmocka_unit_test(test_sid_from_binary),
    };

    return cmocka_run_group_tests_name("krb", tests, NULL, NULL);
}
