/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for common/cfgfile.c: every accepted form and every rejection path. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "common/cfgfile.h"

static const struct cfg_key schema[] = {
    { "agent", "name", CFG_STRING, 0, 16, NULL, "vsmigrated", 0 },
    { "agent", "note", CFG_STRING, 0, 0, NULL, NULL, 0 },
    { "agent", "port", CFG_INT, 1, 65535, NULL, "6600", 0 },
    { "agent", "offset", CFG_INT, -10, 10, NULL, NULL, 0 },
    { "agent", "any", CFG_INT, 0, 0, NULL, NULL, 0 },
    { "agent", "incoming", CFG_BOOL, 0, 0, NULL, "no", 0 },
    { "agent", "auth", CFG_ENUM, 0, 0, "kerberos|local", "kerberos", 0 },
    { "agent", "idle", CFG_DURATION, 1000, 86400000, NULL, "5m", 0 },
    { "agent", "anytime", CFG_DURATION, 0, 0, NULL, NULL, 0 },
    { "agent", "buffer", CFG_SIZE, 4096, 1LL << 40, NULL, "1MiB", 0 },
    { "agent", "anysize", CFG_SIZE, 0, 0, NULL, NULL, 0 },
    { "agent", "networks", CFG_CIDRS, 0, 3, NULL, NULL, 0 },
    { "auth", "users", CFG_PRINCIPALS, 0, 0, NULL, NULL, 0 },
    { "auth", "groups", CFG_NAMES, 0, 0, NULL, NULL, 0 },
    { "auth", "keytab", CFG_STRING, 0, 0, NULL, NULL, CFG_REQUIRED },
};
#define NKEYS (sizeof schema / sizeof schema[0])

/* Every valid file below needs the required key. */
#define BASE "[auth]\nkeytab = /etc/krb5.keytab\n"

static struct cfg *
parse(const char *text, struct cfg_diag *diag)
{
    memset(diag, 0, sizeof *diag);
    return cfg_parse_buffer("t.conf", text, strlen(text), schema, NKEYS, diag);
}

/* Parsing must fail, and some diagnostic must contain want (which includes
 * the "t.conf:LINE:" prefix where a line applies). */
static void
expect_error(const char *text, const char *want)
{
    struct cfg_diag diag;
    struct cfg *cfg = parse(text, &diag);
    bool found = false;

    assert_null(cfg);
    assert_true(diag.n > 0);
    for (size_t i = 0; i < diag.n; i++)
        if (strstr(diag.lines[i], want) != NULL)
            found = true;
    if (!found) {
        for (size_t i = 0; i < diag.n; i++)
            print_error("got: %s\n", diag.lines[i]);
        print_error("wanted: %s\n", want);
    }
    assert_true(found);
    cfg_diag_free(&diag);
}

static struct cfg *
expect_ok(const char *text)
{
    struct cfg_diag diag;
    struct cfg *cfg = parse(text, &diag);

    for (size_t i = 0; i < diag.n; i++)
        print_error("unexpected: %s\n", diag.lines[i]);
    assert_non_null(cfg);
    assert_int_equal(diag.n, 0);
    cfg_diag_free(&diag);
    return cfg;
}

/* ---- accepted forms ------------------------------------------------------ */

static void
test_defaults(void **state)
{
    (void)state;
    struct cfg *cfg = expect_ok(BASE);
    size_t n;

    assert_string_equal(cfg_string(cfg, "agent", "name"), "vsmigrated");
    assert_null(cfg_string(cfg, "agent", "note"));
    assert_int_equal(cfg_int(cfg, "agent", "port"), 6600);
    assert_false(cfg_bool(cfg, "agent", "incoming"));
    assert_string_equal(cfg_enum(cfg, "agent", "auth"), "kerberos");
    assert_int_equal(cfg_duration_ms(cfg, "agent", "idle"), 300000);
    assert_int_equal(cfg_size(cfg, "agent", "buffer"), 1 << 20);
    assert_null(cfg_cidrs(cfg, "agent", "networks", &n));
    assert_int_equal(n, 0);
    assert_false(cfg_is_set(cfg, "agent", "port"));
    assert_true(cfg_is_set(cfg, "auth", "keytab"));
    assert_int_equal(cfg_line_of(cfg, "auth", "keytab"), 2);
    cfg_free(cfg);
}

static void
test_all_types(void **state)
{
    (void)state;
    struct cfg *cfg = expect_ok(
        "# leading comment\n"
        "; another comment\n"
        "\n"
        "[agent]\n"
        "name = host-a   # inline comment\n"
        "note = \"a \\\"quoted\\\" # not a comment; C:\\path\"\n"
        "port = 7000\n"
        "offset = -10\n"
        "any = -9223372036854775807\n"
        "incoming = YES\n"
        "auth = local\n"
        "idle = 1h30m15s250ms\n"
        "anytime = 0\n"
        "buffer = 64 K\n"
        "anysize = 2TiB\n"
        "networks = 10.0.0.0/8, 2001:db8::/32 192.0.2.7\n"
        "[auth]\n"
        "users = admin@LAB.TEST, vsmigrate/hostb.lab.test@LAB.TEST\n"
        "groups = \"LAB\\VM Migration Admins\", Domain Admins ,S-1-5-32-544\n"
        "keytab = /etc/krb5.keytab\n");
    char *const *names;
    const struct cfg_cidr *nets;
    size_t n;
    uint8_t want6[16];

    assert_string_equal(cfg_string(cfg, "agent", "name"), "host-a");
    assert_string_equal(cfg_string(cfg, "agent", "note"), "a \"quoted\" # not a comment; C:\\path");
    assert_int_equal(cfg_int(cfg, "agent", "port"), 7000);
    assert_int_equal(cfg_int(cfg, "agent", "offset"), -10);
    assert_true(cfg_int(cfg, "agent", "any") == -9223372036854775807LL);
    assert_true(cfg_bool(cfg, "agent", "incoming"));
    assert_string_equal(cfg_enum(cfg, "agent", "auth"), "local");
    assert_int_equal(cfg_duration_ms(cfg, "agent", "idle"), 5415250);
    assert_int_equal(cfg_duration_ms(cfg, "agent", "anytime"), 0);
    assert_int_equal(cfg_size(cfg, "agent", "buffer"), 65536);
    assert_true(cfg_size(cfg, "agent", "anysize") == 2ULL << 40);

    nets = cfg_cidrs(cfg, "agent", "networks", &n);
    assert_int_equal(n, 3);
    assert_int_equal(nets[0].family, AF_INET);
    assert_int_equal(nets[0].prefix, 8);
    assert_int_equal(nets[0].addr[0], 10);
    assert_int_equal(nets[1].family, AF_INET6);
    assert_int_equal(nets[1].prefix, 32);
    inet_pton(AF_INET6, "2001:db8::", want6);
    assert_memory_equal(nets[1].addr, want6, 16);
    assert_int_equal(nets[2].prefix, 32);

    names = cfg_names(cfg, "auth", "users", &n);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "admin@LAB.TEST");
    assert_string_equal(names[1], "vsmigrate/hostb.lab.test@LAB.TEST");
    names = cfg_names(cfg, "auth", "groups", &n);
    assert_int_equal(n, 3);
    assert_string_equal(names[0], "LAB\\VM Migration Admins");
    assert_string_equal(names[1], "Domain Admins");
    assert_string_equal(names[2], "S-1-5-32-544");
    cfg_free(cfg);
}

static void
test_crlf_and_no_final_newline(void **state)
{
    (void)state;
    struct cfg *cfg = expect_ok("[auth]\r\nkeytab = /k\r\n[agent]\r\nport = 1");

    assert_string_equal(cfg_string(cfg, "auth", "keytab"), "/k");
    assert_int_equal(cfg_int(cfg, "agent", "port"), 1);
    cfg_free(cfg);
}

static void
test_optional_markers(void **state)
{
    (void)state;
    struct cfg *cfg = expect_ok(BASE "?future_key = 1\n[?future]\nanything = goes\n[agent]\n?port2 = x\n");

    cfg_free(cfg);
}

static void
test_empty_values(void **state)
{
    (void)state;
    struct cfg *cfg = expect_ok(BASE "groups =\n[agent]\nnote = \"\"\nnetworks =\n");
    size_t n;

    assert_string_equal(cfg_string(cfg, "agent", "note"), "");
    assert_null(cfg_names(cfg, "auth", "groups", &n));
    assert_int_equal(n, 0);
    cfg_free(cfg);
}

static void
test_section_reopened(void **state)
{
    (void)state;
    struct cfg *cfg = expect_ok("[agent]\nport=1\n" BASE "[agent]\nidle=2s\n");

    assert_int_equal(cfg_int(cfg, "agent", "port"), 1);
    assert_int_equal(cfg_duration_ms(cfg, "agent", "idle"), 2000);
    cfg_free(cfg);
}

static void
test_parse_file(void **state)
{
    (void)state;
    char path[] = "/tmp/vsm-cfg-XXXXXX";
    int fd = mkstemp(path);
    struct cfg_diag diag = { 0 };
    struct cfg *cfg;

    assert_true(fd >= 0);
    assert_int_equal(write(fd, BASE, strlen(BASE)), (ssize_t)strlen(BASE));
    close(fd);
    cfg = cfg_parse_file(path, schema, NKEYS, &diag);
    assert_non_null(cfg);
    assert_string_equal(cfg_string(cfg, "auth", "keytab"), "/etc/krb5.keytab");
    cfg_free(cfg);
    unlink(path);
}

/* ---- rejections: file level --------------------------------------------- */

static void
test_reject_missing_file(void **state)
{
    (void)state;
    struct cfg_diag diag = { 0 };

    assert_null(cfg_parse_file("/nonexistent/vsm.conf", schema, NKEYS, &diag));
    assert_int_equal(diag.n, 1);
    assert_non_null(strstr(diag.lines[0], "/nonexistent/vsm.conf: cannot open: No such file"));
    assert_non_null(strstr(diag.lines[0], "--config"));
    cfg_diag_free(&diag);
}

static void
test_reject_directory(void **state)
{
    (void)state;
    struct cfg_diag diag = { 0 };

    assert_null(cfg_parse_file("/tmp", schema, NKEYS, &diag));
    assert_non_null(strstr(diag.lines[0], "/tmp: not a regular file"));
    cfg_diag_free(&diag);
}

static void
test_reject_huge_buffer(void **state)
{
    (void)state;
    size_t len = CFG_FILE_MAX + 1;
    char *big = malloc(len);
    struct cfg_diag diag = { 0 };

    assert_non_null(big);
    memset(big, '#', len);
    assert_null(cfg_parse_buffer("big.conf", big, len, schema, NKEYS, &diag));
    assert_non_null(strstr(diag.lines[0], "big.conf: file is larger than"));
    cfg_diag_free(&diag);
    free(big);
}

static void
test_reject_long_line(void **state)
{
    (void)state;
    char *text = malloc(CFG_LINE_MAX + 64);

    assert_non_null(text);
    strcpy(text, BASE "# ");
    memset(text + strlen(text), 'x', CFG_LINE_MAX);
    text[strlen(BASE) + 2 + CFG_LINE_MAX] = '\0';
    expect_error(text, "t.conf:3: line is longer than");
    free(text);
}

static void
test_reject_control_char(void **state)
{
    (void)state;
    const char text[] = BASE "[agent]\nname = a\001b\n";

    expect_error(text, "t.conf:4: control character 0x01 at column 9");
}

static void
test_reject_nul_byte(void **state)
{
    (void)state;
    const char text[] = "[agent]\nname = a\0b\n";
    struct cfg_diag diag = { 0 };

    assert_null(cfg_parse_buffer("t.conf", text, sizeof text - 1, schema, NKEYS, &diag));
    assert_non_null(strstr(diag.lines[0], "t.conf:2: control character 0x00"));
    cfg_diag_free(&diag);
}

/* ---- rejections: structure ---------------------------------------------- */

static void
test_reject_structure(void **state)
{
    (void)state;
    expect_error(BASE "[agent\n", "t.conf:3: section header without ']'");
    expect_error(BASE "[agent] x\n", "t.conf:3: unexpected text after [agent]");
    expect_error(BASE "[a b]\n", "t.conf:3: '[a b]' is not a valid section name");
    expect_error(BASE "[bogus]\nx=1\n", "t.conf:3: unknown section [bogus] (mark it [?bogus]");
    expect_error(BASE "just words\n", "t.conf:3: expected 'key = value', '[section]' or a comment");
    expect_error(BASE "bad key = 1\n", "t.conf:3: 'bad key' is not a valid key name");
    expect_error("port = 1\n" BASE, "t.conf:1: 'port' comes before any [section]");
    expect_error(BASE "[agent]\nprot = 1\n", "t.conf:4: unknown key 'prot' in [agent] (mark it '?prot'");
    expect_error(BASE "[agent]\nport = 1\nport = 2\n",
                 "t.conf:5: 'port' in [agent] is set twice; it was already set on line 4");
    /* a bad first setting still counts as a setting */
    expect_error(BASE "[agent]\nport = x\nport = 2\n", "t.conf:5: 'port' in [agent] is set twice");
    expect_error("[agent]\nport = 1\n", "t.conf: 'keytab' in [auth] is required but not set");
}

static void
test_reports_every_error(void **state)
{
    (void)state;
    struct cfg_diag diag;

    assert_null(parse(BASE "[agent]\nport = 0\nincoming = maybe\nauth = ntlm\n", &diag));
    assert_int_equal(diag.n, 3);
    assert_non_null(strstr(diag.lines[0], "t.conf:4:"));
    assert_non_null(strstr(diag.lines[1], "t.conf:5:"));
    assert_non_null(strstr(diag.lines[2], "t.conf:6:"));
    cfg_diag_free(&diag);
}

static void
test_error_cap(void **state)
{
    (void)state;
    char text[8192] = "";
    struct cfg_diag diag;

    for (int i = 0; i < CFG_ERRORS_MAX + 20; i++)
        strcat(text, "nonsense\n");
    assert_null(parse(text, &diag));
    assert_int_equal(diag.n, CFG_ERRORS_MAX + 1);
    assert_non_null(strstr(diag.lines[CFG_ERRORS_MAX], "more than 50 errors"));
    cfg_diag_free(&diag);
}

/* ---- rejections: values --------------------------------------------------- */

static void
test_reject_strings(void **state)
{
    (void)state;
    expect_error(BASE "[agent]\nname = \"open\n", "t.conf:4: name: unterminated quoted string");
    expect_error(BASE "[agent]\nname = \"a\"b\"\n", "t.conf:4: name: a quote inside a quoted string");
    expect_error(BASE "[agent]\nname = 12345678901234567\n",
                 "t.conf:4: name: value is 17 characters long; at most 16 are allowed");
}

static void
test_reject_ints(void **state)
{
    (void)state;
    expect_error(BASE "[agent]\nport = abc\n", "t.conf:4: port: 'abc' is not a whole number");
    expect_error(BASE "[agent]\nport = 66oo\n", "t.conf:4: port: '66oo' is not a whole number");
    expect_error(BASE "[agent]\nport = 0x10\n", "'0x10' is not a whole number");
    expect_error(BASE "[agent]\nport = 70000\n",
                 "t.conf:4: port: 70000 is out of range; it must be between 1 and 65535");
    expect_error(BASE "[agent]\noffset = -11\n", "offset: -11 is out of range");
    expect_error(BASE "[agent]\nany = 99999999999999999999\n", "is not a whole number");
    expect_error(BASE "[agent]\nport =\n", "t.conf:4: port: a value is needed (integer)");
    expect_error(BASE "[agent]\nport = \"\"\n", "port: a value is needed (integer)");
}

static void
test_reject_bool_enum(void **state)
{
    (void)state;
    expect_error(BASE "[agent]\nincoming = maybe\n", "t.conf:4: incoming: 'maybe' is not a boolean; write yes or no");
    expect_error(BASE "[agent]\nauth = ntlm\n", "t.conf:4: auth: 'ntlm' is not one of: kerberos|local");
    expect_error(BASE "[agent]\nauth = kerb\n", "'kerb' is not one of");
    expect_error(BASE "[agent]\nauth = kerberosx\n", "'kerberosx' is not one of");
}

static void
test_reject_durations(void **state)
{
    (void)state;
    expect_error(BASE "[agent]\nidle = 30\n", "t.conf:4: idle: '30' needs a unit after each number");
    expect_error(BASE "[agent]\nidle = 30x\n", "'30x' needs a unit");
    expect_error(BASE "[agent]\nidle = 1h30\n", "'1h30' needs a unit");
    expect_error(BASE "[agent]\nidle = -5s\n", "'-5s' is not a duration");
    expect_error(BASE "[agent]\nidle = s\n", "'s' is not a duration");
    expect_error(BASE "[agent]\nidle = 10ms\n", "idle: 10ms is out of range; it must be between 1000ms and 86400000ms");
    expect_error(BASE "[agent]\nanytime = 9223372036854775807d\n", "is too long a duration");
}

/* the same parser, for command lines and plugin parameters */
static void
test_parse_duration_text(void **state)
{
    (void)state;
    long long ms;

    assert_true(cfg_parse_duration_ms("1h30m", &ms));
    assert_int_equal(ms, 5400000);
    assert_true(cfg_parse_duration_ms("250ms", &ms));
    assert_int_equal(ms, 250);
    assert_true(cfg_parse_duration_ms("0", &ms));
    assert_int_equal(ms, 0);
    assert_false(cfg_parse_duration_ms("60", &ms));     /* a unit is needed */
    assert_false(cfg_parse_duration_ms("", &ms));
    assert_false(cfg_parse_duration_ms("-5s", &ms));
    assert_false(cfg_parse_duration_ms("5x", &ms));
    assert_false(cfg_parse_duration_ms("99999999999999999d", &ms));
}

static void
test_reject_sizes(void **state)
{
    (void)state;
    expect_error(BASE "[agent]\nbuffer = big\n", "t.conf:4: buffer: 'big' is not a size");
    expect_error(BASE "[agent]\nbuffer = -1K\n", "'-1K' is not a size");
    expect_error(BASE "[agent]\nbuffer = 1 PiB\n", "'1 PiB' has an unknown unit");
    expect_error(BASE "[agent]\nbuffer = 1 parsecs\n", "'1 parsecs' has an unknown unit");
    expect_error(BASE "[agent]\nbuffer = 1MB\n", "'1MB' is ambiguous (1000 or 1024?); sizes are binary: write MiB");
    expect_error(BASE "[agent]\nbuffer = 1K\n", "buffer: 1K is out of range");
    expect_error(BASE "[agent]\nanysize = 9000000000T\n", "'9000000000T' is too large");
}

static void
test_reject_cidrs(void **state)
{
    (void)state;
    expect_error(BASE "[agent]\nnetworks = 10.0.0.0/8, lan\n", "t.conf:4: networks: 'lan' is not an IPv4 or IPv6 address");
    expect_error(BASE "[agent]\nnetworks = 10.0.0.0/33\n", "'10.0.0.0/33' has a bad prefix length; use 0 to 32");
    expect_error(BASE "[agent]\nnetworks = ::/129\n", "has a bad prefix length; use 0 to 128");
    expect_error(BASE "[agent]\nnetworks = 10.0.0.0/-1\n", "bad prefix length");
    expect_error(BASE "[agent]\nnetworks = 10.0.0.0/\n", "bad prefix length");
    expect_error(BASE "[agent]\nnetworks = 10.1.2.3/8\n", "'10.1.2.3/8' has host bits set; did you mean 10.0.0.0/8?");
    expect_error(BASE "[agent]\nnetworks = 2001:db8::1/64\n", "did you mean 2001:db8::/64?");
    expect_error(BASE "[agent]\nnetworks = 10.0.0.0/8 10.0.0.0/8 10.0.0.0/8 10.0.0.0/8\n", "networks: more than 3 items");
}

static void
test_reject_names(void **state)
{
    (void)state;
    char text[1024];

    expect_error(BASE "users = admin\n", "t.conf:3: users: 'admin' is not a Kerberos principal; write name@REALM");
    expect_error(BASE "users = admin@\n", "'admin@' is not a Kerberos principal");
    expect_error(BASE "users = @LAB\n", "'@LAB' is not a Kerberos principal");
    expect_error(BASE "users = ad min@LAB\n", "'ad min@LAB' is not a Kerberos principal");
    expect_error(BASE "users = admin@LAB/x\n", "'admin@LAB/x' is not a Kerberos principal");
    expect_error(BASE "users = a@B,,c@D\n", "users: empty item in the list");
    expect_error(BASE "groups = \"unterminated\n", "groups: unterminated quoted string");
    snprintf(text, sizeof text, BASE "groups = %0300d\n", 0);
    expect_error(text, "groups: a name is longer than 256 characters");
}

/* ---- schema and network matching ---------------------------------------- */

static void
test_schema_check(void **state)
{
    (void)state;
    static const struct cfg_key bad[] = {
        { "s", "a", CFG_INT, 0, 10, NULL, "11", 0 },
        { "s", "a", CFG_INT, 0, 0, NULL, NULL, 0 },
        { "s", "b", CFG_INT, 5, 1, NULL, NULL, 0 },
        { "s", "c", CFG_ENUM, 0, 0, NULL, NULL, 0 },
        { "s", "d", CFG_STRING, 0, 0, NULL, "x", CFG_REQUIRED },
        { "s s", "e", CFG_STRING, 0, 0, NULL, NULL, 0 },
    };
    struct cfg_diag diag = { 0 };
    const char *want[] = { "a: the default '11' does not parse", "a: listed twice",
                           "b: min 5 is above max 1", "c: a choice key needs choices",
                           "d: a required key cannot have a default",
                           "invalid section or key name" };

    assert_true(cfg_schema_check(schema, NKEYS, &diag));
    assert_int_equal(diag.n, 0);
    assert_false(cfg_schema_check(bad, sizeof bad / sizeof bad[0], &diag));
    for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
        bool found = false;
        for (size_t i = 0; i < diag.n; i++)
            found |= strstr(diag.lines[i], want[w]) != NULL;
        if (!found)
            print_error("missing: %s\n", want[w]);
        assert_true(found);
    }
    cfg_diag_free(&diag);
}

static void
test_cidr_contains(void **state)
{
    (void)state;
    struct cfg *cfg = expect_ok(BASE "[agent]\nnetworks = 10.20.0.0/14, 2001:db8::/33\n");
    const struct cfg_cidr *nets;
    struct sockaddr_in in4 = { .sin_family = AF_INET };
    struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };
    struct sockaddr unknown = { .sa_family = AF_UNIX };
    size_t n;

    nets = cfg_cidrs(cfg, "agent", "networks", &n);
    inet_pton(AF_INET, "10.23.255.1", &in4.sin_addr);
    assert_true(cfg_cidr_contains(nets, n, (struct sockaddr *)&in4));
    inet_pton(AF_INET, "10.24.0.1", &in4.sin_addr);
    assert_false(cfg_cidr_contains(nets, n, (struct sockaddr *)&in4));
    inet_pton(AF_INET6, "2001:db8:7fff::1", &in6.sin6_addr);
    assert_true(cfg_cidr_contains(nets, n, (struct sockaddr *)&in6));
    inet_pton(AF_INET6, "2001:db8:8000::1", &in6.sin6_addr);
    assert_false(cfg_cidr_contains(nets, n, (struct sockaddr *)&in6));
    inet_pton(AF_INET6, "::ffff:10.21.0.9", &in6.sin6_addr);
    assert_true(cfg_cidr_contains(nets, n, (struct sockaddr *)&in6));
    assert_false(cfg_cidr_contains(nets, n, &unknown));
    cfg_free(cfg);
}

static void
test_cidr_zero_prefix(void **state)
{
    (void)state;
    struct cfg *cfg = expect_ok(BASE "[agent]\nnetworks = 0.0.0.0/0\n");
    struct sockaddr_in in4 = { .sin_family = AF_INET };
    const struct cfg_cidr *nets;
    size_t n;

    nets = cfg_cidrs(cfg, "agent", "networks", &n);
    inet_pton(AF_INET, "203.0.113.9", &in4.sin_addr);
    assert_true(cfg_cidr_contains(nets, n, (struct sockaddr *)&in4));
    cfg_free(cfg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_parse_duration_text),
        cmocka_unit_test(test_all_types),
        cmocka_unit_test(test_crlf_and_no_final_newline),
        cmocka_unit_test(test_optional_markers),
        cmocka_unit_test(test_empty_values),
        cmocka_unit_test(test_section_reopened),
        cmocka_unit_test(test_parse_file),
        cmocka_unit_test(test_reject_missing_file),
        cmocka_unit_test(test_reject_directory),
        cmocka_unit_test(test_reject_huge_buffer),
        cmocka_unit_test(test_reject_long_line),
        cmocka_unit_test(test_reject_control_char),
        cmocka_unit_test(test_reject_nul_byte),
        cmocka_unit_test(test_reject_structure),
        cmocka_unit_test(test_reports_every_error),
        cmocka_unit_test(test_error_cap),
        cmocka_unit_test(test_reject_strings),
        cmocka_unit_test(test_reject_ints),
        cmocka_unit_test(test_reject_bool_enum),
        cmocka_unit_test(test_reject_durations),
        cmocka_unit_test(test_reject_sizes),
        cmocka_unit_test(test_reject_cidrs),
        cmocka_unit_test(test_reject_names),
        cmocka_unit_test(test_schema_check),
        cmocka_unit_test(test_cidr_contains),
        cmocka_unit_test(test_cidr_zero_prefix),
    };

    return cmocka_run_group_tests_name("cfgfile", tests, NULL, NULL);
}
