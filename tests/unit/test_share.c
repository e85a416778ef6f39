/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fileserver-hooks: the share root's ACL (parse, plan, grants) and the
 * SMB2 NEGOTIATE request and response. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fileserver-hooks/acl.h"
#include "fileserver-hooks/negotiate.h"

#define DOM "S-1-5-21-1814846144-953708521-3883329001"
static const char samba_root[] =
    "REVISION:1,OWNER:S-1-22-1-0,GROUP:S-1-22-2-0,ACL:S-1-3-0:0/11/0x001f01ff,"
    "ACL:" DOM "-512:0/3/0x001f01ff,ACL:" DOM "-1106:0/3/0x001301ff,"
    "ACL:" DOM "-1107:0/3/0x001301ff,ACL:" DOM "-1109:0/3/0x001200a9";

static struct acl_want wanted[4];

static void
want(size_t i, const char *sid, const char *name, unsigned flags, uint32_t mask)
{
    strcpy(wanted[i].sid, sid);
    strcpy(wanted[i].name, name);
    wanted[i].flags = flags;
    wanted[i].mask = mask;
}

static void
test_parse(void **state)
{
    struct acl_list l;
    struct vs_error err;

    (void)state;
    assert_true(acl_parse(samba_root, sizeof samba_root, &l, &err));  /* with the NUL */
    assert_int_equal(l.n, 5);
    assert_string_equal(l.owner, "S-1-22-1-0");
    assert_string_equal(l.aces[0].sid, "S-1-3-0");
    assert_int_equal(l.aces[0].flags, ACE_FLAG_OI | ACE_FLAG_CI | ACE_FLAG_IO);
    assert_int_equal(l.aces[2].mask, 0x001301ff);
    static const char named[] = "REVISION:1,ACL:\\Creator Owner:0/11/0x001f01ff,ACL:LAB\\domain admins:0/3/0x1,"
                                "ACL:LAB\\g:0/3/0x1,ACL:LAB\\hosta$:0/3/0x1,ACL:LAB\\hostc$:0/3/0x1";
    acl_attach_names(&l, named, strlen(named));
    assert_string_equal(l.aces[0].name, "Creator Owner");
    assert_string_equal(l.aces[3].name, "LAB\\hosta$");
    acl_list_free(&l);
}

static void
test_parse_rejects(void **state)
{
    static const char *const bad[] = {
        "ACL:S-1-5-21-1:0/3",                    /* no mask */
        "ACL:S-1-5-21-1:0/3/1234",               /* mask not in hex */
        "ACL:S-1-5-21-1:2/3/0x1",                /* not allowed or denied */
        "ACL:S-1-5-21-1:0/300/0x1",              /* flags over a byte */
        "ACL:S-1-5-21-1:0/3/0x100000000",        /* mask over 32 bits */
        "ACL:S-1-:0/3/0x1",                      /* empty sub-authority */
        "ACL:X-1-5:0/3/0x1",                     /* not a SID */
        "ACL:S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16:0/3/0x1",   /* 16 sub-authorities */
        "OWNER:nobody",
        "SOMETHING:else",
    };
    struct acl_list l;
    struct vs_error err;

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(acl_parse(bad[i], strlen(bad[i]), &l, &err));
        assert_int_equal(err.code, VS_ERR_PROTOCOL);
    }
}

static void
test_plan_idempotent_and_keeps_others(void **state)
{
    struct acl_list l;
    struct acl_plan p;
    struct vs_error err;
    unsigned oc = ACE_FLAG_OI | ACE_FLAG_CI;

    (void)state;
    assert_true(acl_parse(samba_root, strlen(samba_root), &l, &err));
    want(0, DOM "-512", "Domain Admins", oc, ACL_MASK_FULL);
    want(1, "S-1-3-0", "CREATOR OWNER", oc | ACE_FLAG_IO, ACL_MASK_FULL);
    want(2, DOM "-1107", "hosta$", oc, ACL_MASK_CHANGE);   /* stored as 0x1301ff: the same */
    want(3, DOM "-1109", "hostc$", oc, ACL_MASK_READ);
    assert_true(acl_plan_make(&l, wanted, 4, false, &p, &err));
    assert_int_equal(p.added, 0);
    assert_int_equal(p.removed, 0);
    assert_int_equal(p.result.n, 5);                       /* -1106 is not named: kept */
    acl_plan_free(&p);
    assert_true(acl_plan_make(&l, wanted, 4, true, &p, &err));
    assert_int_equal(p.removed, 1);                        /* --exact: -1106 goes */
    assert_int_equal(p.result.n, 4);
    acl_plan_free(&p);

    /* hostc now read-write: its ACE is replaced, not added beside */
    want(3, DOM "-1109", "hostc$", oc, ACL_MASK_CHANGE);
    assert_true(acl_plan_make(&l, wanted, 4, false, &p, &err));
    assert_int_equal(p.added, 1);
    assert_int_equal(p.removed, 1);
    assert_int_equal(p.result.n, 5);
    char *text = acl_format_dacl(&p.result);
    assert_non_null(strstr(text, "ACL:" DOM "-1109:0/3/1245631"));   /* decimal 0x1301bf */
    free(text);
    acl_plan_free(&p);

    /* the same account twice is refused */
    want(1, DOM "-512", "again", oc, ACL_MASK_READ);
    assert_false(acl_plan_make(&l, wanted, 2, false, &p, &err));
    assert_int_equal(err.code, VS_ERR_INVALID);
    acl_list_free(&l);
}

static void
test_plan_orders_denied_first(void **state)
{
    static const char text[] = "ACL:S-1-5-21-1-2-3-9:0/19/0x001200a9,ACL:S-1-5-21-1-2-3-7:1/3/0x001f01ff";
    struct acl_list l;
    struct acl_plan p;
    struct vs_error err;

    (void)state;
    assert_true(acl_parse(text, strlen(text), &l, &err));
    want(0, "S-1-5-21-1-2-3-8", "x", ACE_FLAG_OI | ACE_FLAG_CI, ACL_MASK_CHANGE);
    assert_true(acl_plan_make(&l, wanted, 1, true, &p, &err));
    /* --exact removes the explicit denied ACE, never the inherited one */
    assert_int_equal(p.removed, 1);
    assert_int_equal(p.result.n, 2);
    assert_string_equal(p.result.aces[0].sid, "S-1-5-21-1-2-3-8");   /* explicit before inherited */
    assert_true(p.result.aces[1].flags & ACE_FLAG_INHERITED);
    acl_plan_free(&p);
    acl_list_free(&l);
}

static void
test_grants(void **state)
{
    static const char text[] = "ACL:S-1-5-21-1-2-3-1:0/3/0x001301ff,ACL:S-1-5-21-1-2-3-2:0/0/0x001301ff,"
                               "ACL:S-1-5-21-1-2-3-3:0/3/0x001200a9,ACL:S-1-5-21-1-2-3-4:1/3/0x00000002,"
                               "ACL:S-1-5-21-1-2-3-5:0/3/0x001f01ff";
    struct acl_list l;
    struct vs_error err;
    unsigned oc = ACE_FLAG_OI | ACE_FLAG_CI;

    /* what each account's ACE above gives, against what is wanted of it */
    static const struct { const char *sid; uint32_t mask; int grants; } cases[] = {
        { "S-1-5-21-1-2-3-1", ACL_MASK_CHANGE, ACL_GRANTED },
        { "S-1-5-21-1-2-3-2", ACL_MASK_CHANGE, ACL_NOT_INHERITED },
        { "S-1-5-21-1-2-3-3", ACL_MASK_CHANGE, ACL_WEAKER },
        { "S-1-5-21-1-2-3-4", ACL_MASK_CHANGE, ACL_DENIED_ACE },
        { "S-1-5-21-1-2-3-5", ACL_MASK_READ, ACL_TOO_STRONG },
        { "S-1-5-21-1-2-3-6", ACL_MASK_READ, ACL_MISSING },
    };

    (void)state;
    assert_true(acl_parse(text, strlen(text), &l, &err));
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        want(0, cases[i].sid, "", oc, cases[i].mask);
        assert_int_equal(acl_grants(&l, &wanted[0]), cases[i].grants);
    }
    acl_list_free(&l);
}

static void
test_negotiate(void **state)
{
    uint8_t req[NEGOTIATE_REQUEST_MAX], resp[128];
    struct negotiate_info info;
    struct vs_error err;
    size_t n;

    (void)state;
    n = negotiate_request_build(req, sizeof req);
    assert_int_equal(n, 4 + 64 + 36 + 8);
    assert_int_equal(req[3], n - 4);
    assert_memory_equal(req + 4, "\xfeSMB", 4);

    memset(resp, 0, sizeof resp);
    memcpy(resp, "\xfeSMB", 4);
    resp[4] = 64;
    resp[16] = 1;                          /* from the server */
    resp[64] = 65;                         /* structure size */
    resp[66] = SMB2_SIGNING_ENABLED | SMB2_SIGNING_REQUIRED;
    resp[68] = 0x02; resp[69] = 0x03;      /* 3.0.2 */
    resp[88] = SMB2_CAP_ENCRYPTION;
    /* 2026-01-01 as FILETIME: (1767225600 + 11644473600) * 10^7 */
    uint64_t ft = (1767225600ULL + 11644473600ULL) * 10000000ULL;
    for (int i = 0; i < 8; i++)
        resp[104 + i] = (uint8_t)(ft >> (8 * i));
    assert_true(negotiate_response_parse(resp, sizeof resp, &info, &err));
    assert_int_equal(info.dialect, 0x0302);
    assert_true(info.security_mode & SMB2_SIGNING_REQUIRED);
    assert_true(info.capabilities & SMB2_CAP_ENCRYPTION);
    assert_int_equal(info.server_time, 1767225600);

    assert_false(negotiate_response_parse(resp, 100, &info, &err));      /* truncated */
    resp[68] = 0x11;                                                     /* 3.1.1: never offered */
    assert_false(negotiate_response_parse(resp, sizeof resp, &info, &err));
    resp[68] = 0x02;
    resp[8] = 0x22;                                                      /* an error status */
    assert_false(negotiate_response_parse(resp, sizeof resp, &info, &err));
    assert_false(negotiate_response_parse((const uint8_t *)"\xffSMB", 4, &info, &err));   /* SMB1 */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_plan_idempotent_and_keeps_others),
        cmocka_unit_test(test_plan_orders_denied_first),
        cmocka_unit_test(test_grants),
        cmocka_unit_test(test_negotiate),
    };
    return cmocka_run_group_tests_name("share", tests, NULL, NULL);
}
