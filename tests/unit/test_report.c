/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/report.c and domxml.c: a compatibility report through the wire
 * format and back, and what a check reads from a domain definition. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hostagent/domxml.h"
#include "hostagent/report.h"

static struct report a, b;
static struct vsm_message m;

static void
test_report_round_trip(void **state)
{
    (void)state;
    struct vs_writer w;
    struct vs_error err;
    char summary[256];

    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    report_add(&a, "cpu", true, VS_OK, "hostb can run it");
    report_add(&a, "network\tlan", false, VS_ERR_NOTFOUND, "no network 'lan'\non hostb");
    report_add(&a, "delegation", false, VS_ERR_DENIED, "hosta$ may not delegate");
    assert_string_equal(a.lines[1].name, "network lan");        /* no separator in a name */
    assert_string_equal(a.lines[1].text, "no network 'lan' on hostb");
    assert_int_equal(report_failures(&a), 2);
    assert_int_equal(report_result(&a), VS_ERR_NOTFOUND);
    report_summary(&a, summary, sizeof summary);
    assert_string_equal(summary, "2 of 3 checks failed: network lan, delegation");

    vs_writer_init(&w, 65536);
    vsm_message_begin(&w, VSM_MSG_REPLY, 9);
    assert_true(report_to_message(&a, &w));
    assert_true(vsm_message_end(&w, &err));
    assert_true(vsm_message_parse(w.data, w.len, &m, &err));
    assert_true(report_from_message(&b, &m, &err));
    assert_int_equal(b.n, 3);
    assert_true(b.lines[0].pass);
    assert_false(b.lines[2].pass);
    assert_int_equal(b.lines[1].code, VS_ERR_NOTFOUND);   /* the code travels, not guessed from text */
    assert_int_equal(b.lines[2].code, VS_ERR_DENIED);
    assert_string_equal(b.lines[2].text, "hosta$ may not delegate");
    vs_writer_free(&w);

    memset(&b, 0, sizeof b);
    report_summary(&b, summary, sizeof summary);
    assert_string_equal(summary, "all 0 checks passed");
}

static void
test_report_refuses_bad_lines(void **state)
{
    (void)state;
    struct vs_writer w;
    struct vs_error err;
    /* a check without a name, without a verdict, and a failure without a code */
    static const struct { const char *name; int pass; int code; } bad[] = {
        { NULL, 1, 0 }, { "cpu", -1, 0 }, { "cpu", 0, -1 }, { "cpu", 0, VS_OK },
    };

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&b, 0, sizeof b);
        vs_writer_init(&w, 4096);
        vsm_message_begin(&w, VSM_MSG_REPLY, 1);
        vsm_message_record(&w, VSM_RECORD_CHECK);
        if (bad[i].name)
            vsm_message_add_text(&w, VSM_TAG_NAME, bad[i].name);
        if (bad[i].pass >= 0)
            vsm_message_add_u64(&w, VSM_TAG_PASS, (uint64_t)bad[i].pass);
        if (bad[i].code >= 0)
            vsm_message_add_u64(&w, VSM_TAG_CODE, (uint64_t)bad[i].code);
        vsm_message_add_text(&w, VSM_TAG_TEXT, "why");
        assert_true(vsm_message_end(&w, &err));
        assert_true(vsm_message_parse(w.data, w.len, &m, &err));
        assert_false(report_from_message(&b, &m, &err));
        assert_int_equal(err.code, VS_ERR_PROTOCOL);
        vs_writer_free(&w);
    }
}

static const char domain[] =
    "<domain type='qemu'><name>web01</name><memory unit='MiB'>256</memory><vcpu>2</vcpu>"
    "<os><type arch='x86_64' machine='pc'>hvm</type></os>"
    "<cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model></cpu>"
    "<metadata><vsm:vm xmlns:vsm='https://vsmigrate.org/xmlns/vm/1'>"
    "<vsm:disk target='vda' url='smb://fs.lab.test/vms/web01/web01.raw'/></vsm:vm>"
    "<other:vm xmlns:other='urn:x'><other:disk target='vdb' url='smb://evil/x'/></other:vm></metadata>"
    "<devices><disk type='network' device='disk'><target dev='vda'/></disk>"
    "<disk type='file' device='disk'><target dev='vdb'/></disk>"
    "<disk type='file' device='cdrom'><target dev='sda'/></disk>"
    "<interface type='network'><source network='lan'/></interface>"
    "<interface type='bridge'><source bridge='br0'/></interface>"
    "<interface type='user'/></devices></domain>";

static void
test_domxml(void **state)
{
    (void)state;
    struct domxml_info info;
    struct vs_error err;

    assert_true(domxml_parse(domain, strlen(domain), &info, &err));
    assert_string_equal(info.name, "web01");
    assert_string_equal(info.virt_type, "qemu");
    assert_string_equal(info.arch, "x86_64");
    assert_int_equal(info.memory_bytes, 256ULL << 20);
    assert_int_equal(info.vcpus, 2);
    assert_non_null(info.cpu_xml);
    assert_non_null(strstr(info.cpu_xml, "<model fallback=\"forbid\">qemu64</model>"));
    assert_int_equal(info.ndisks, 2);                          /* not the cdrom */
    assert_string_equal(info.disks[0].url, "smb://fs.lab.test/vms/web01/web01.raw");
    assert_string_equal(info.disks[1].url, "");                /* only our namespace counts */
    assert_int_equal(info.nnics, 2);                           /* not type='user' */
    assert_string_equal(info.nics[0].kind, "network");
    assert_string_equal(info.nics[0].name, "lan");
    assert_string_equal(info.nics[1].name, "br0");
    domxml_free(&info);
}

static void
test_domxml_refusals(void **state)
{
    (void)state;
    struct domxml_info info;
    struct vs_error err;
    const char *bad[] = {
        "<domain", "<network><name>x</name></network>",
        "<domain><name>x</name></domain>",                               /* no memory */
        "<domain><memory unit='parsecs'>1</memory></domain>",
        "<domain><memory>99999999999999999999999</memory></domain>",
        "<domain><memory unit='TiB'>99999999999</memory></domain>",      /* overflows */
        "<!DOCTYPE d [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><domain><memory>&e;</memory></domain>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(domxml_parse(bad[i], strlen(bad[i]), &info, &err));
        domxml_free(&info);
    }
    /* any DTD is refused before libxml2 sees it: internal entities expand a
     * few hundred KiB into gigabytes (issue 16, finding 1) */
    const char *dtd[] = {
        "<!DOCTYPE domain [<!ENTITY b 'AAAA'><!ENTITY c '&b;&b;&b;&b;'>]>"
        "<domain><name>&c;</name><memory>1</memory></domain>",
        "<!DOCTYPE domain><domain><memory>1</memory></domain>",
        "<domain><!-- fine --><memory>1</memory></domain><!ENTITY x 'y'>",
    };
    for (size_t i = 0; i < sizeof dtd / sizeof dtd[0]; i++) {
        assert_false(domxml_parse(dtd[i], strlen(dtd[i]), &info, &err));
        assert_int_equal(err.code, VS_ERR_INVALID);
        if (i < 2)
            assert_non_null(strstr(err.message, "DTD"));
        domxml_free(&info);
    }
    /* comments and CDATA may hold "<!" */
    static const char ok_text[] = "<domain><!-- <!ENTITY in a comment> --><name><![CDATA[a<!b]]></name>"
                                  "<memory>1</memory></domain>";
    assert_true(domxml_parse(ok_text, strlen(ok_text), &info, &err));
    assert_string_equal(info.name, "a<!b");
    domxml_free(&info);
    /* nesting is bounded */
    char deep[4096] = "<domain><memory>1</memory>";
    for (int i = 0; i < DOMXML_MAX_DEPTH + 1; i++)
        strcat(deep, "<a>");
    for (int i = 0; i < DOMXML_MAX_DEPTH + 1; i++)
        strcat(deep, "</a>");
    strcat(deep, "</domain>");
    assert_false(domxml_parse(deep, strlen(deep), &info, &err));
    assert_non_null(strstr(err.message, "deep"));
    domxml_free(&info);
    /* default unit KiB */
    assert_true(domxml_parse("<domain><memory>1024</memory></domain>", 38, &info, &err));
    assert_int_equal(info.memory_bytes, 1024 * 1024);
    domxml_free(&info);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_round_trip),
        cmocka_unit_test(test_report_refuses_bad_lines),
        cmocka_unit_test(test_domxml),
        cmocka_unit_test(test_domxml_refusals),
    };

    return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
