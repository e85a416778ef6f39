/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/agentcfg.c: vsmigrated.conf's schema, defaults (deny by
 * default, migrations off), listen addresses and the checks across keys. */
#include <config.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "hostagent/agentcfg.h"

static bool
diag_has(const struct cfg_diag *d, const char *text)
{
    for (size_t i = 0; i < d->n; i++)
        if (strstr(d->lines[i], text))
            return true;
    return false;
}

static void
test_schema_is_consistent(void **state)
{
    (void)state;
    struct cfg_diag d = { 0 };
    assert_true(cfg_schema_check(agent_config_schema, agent_config_schema_len, &d));
    assert_int_equal(d.n, 0);
}

static void
test_defaults(void **state)
{
    (void)state;
    struct cfg_diag d = { 0 };
    struct agent_config *c = agent_config_load_buffer("empty", "", &d);

    assert_non_null(c);
    assert_false(c->incoming);
    assert_false(c->outgoing);
    assert_int_equal(c->nallowed_users, 0);
    assert_int_equal(c->nallowed_groups, 0);
    assert_int_equal(c->npeers, 0);
    assert_int_equal(c->auth, AGENT_AUTH_KERBEROS);
    assert_int_equal(c->max_simultaneous, 2);
    assert_int_equal(c->nlisten, 1);
    assert_int_equal(ntohs(((struct sockaddr_in *)&c->listen[0].addr)->sin_port), 6600);
    assert_string_equal(c->socket_path, "/run/vsmigrate/vsmigrated.sock");
    assert_int_equal(c->handshake_timeout_ms, 10000);
    assert_true(c->confidentiality);
    assert_null(c->spn);
    agent_config_free(c);
    cfg_diag_free(&d);
}

static void
test_full_file(void **state)
{
    (void)state;
    struct cfg_diag d = { 0 };
    struct agent_config *c = agent_config_load_buffer("full",
        "[agent]\nlisten = 10.0.0.5:6601, [2001:db8::1]:6600, 192.0.2.1\n"
        "[auth]\nallowed_groups = \"LAB\\VM Migration Admins\", S-1-5-32-544\n"
        "peers = hostb.lab.test, hostc\nallowed_users = ops@LAB.TEST\n"
        "[migration]\nincoming = yes\nmax_simultaneous = 4\nallowed_subnets = 10.0.0.0/8\n"
        "[limits]\nidle_timeout = 90s\n", &d);

    assert_non_null(c);
    assert_int_equal(c->nlisten, 3);
    assert_int_equal(c->listen[1].addr.ss_family, AF_INET6);
    assert_int_equal(ntohs(((struct sockaddr_in *)&c->listen[2].addr)->sin_port), 6600);
    assert_int_equal(c->nallowed_groups, 2);
    assert_string_equal(c->allowed_groups[0], "LAB\\VM Migration Admins");
    assert_true(c->incoming);
    assert_int_equal(c->max_simultaneous, 4);
    assert_int_equal(c->idle_timeout_ms, 90000);
    assert_true(agent_config_is_peer(c, "HOSTB.lab.test"));
    assert_true(agent_config_is_peer(c, "hostb"));
    assert_true(agent_config_is_peer(c, "hostc.lab.test"));
    assert_false(agent_config_is_peer(c, "hostd.lab.test"));
    assert_false(agent_config_is_peer(c, "hostb.evil.test"));
    agent_config_free(c);
    cfg_diag_free(&d);
}

static void
test_cross_key_problems(void **state)
{
    (void)state;
    struct cfg_diag d = { 0 };
    struct agent_config *c = agent_config_load_buffer("bad",
        "[agent]\nlisten = myhost:6600\nsocket = relative.sock\n"
        "[auth]\nmode = local\npeers = host_b, -x\n"
        "[limits]\nmax_unauthenticated = 4\nmax_unauthenticated_per_address = 8\n", &d);

    assert_null(c);
    assert_true(diag_has(&d, "bad:2: listen: 'myhost:6600': 'myhost' is not an IP address"));
    assert_true(diag_has(&d, "socket: 'relative.sock' must be an absolute path"));
    assert_true(diag_has(&d, "with mode = local the daemon serves only its unix socket"));
    assert_true(diag_has(&d, "peers: 'host_b' is not a host name"));
    assert_true(diag_has(&d, "peers: '-x' is not a host name"));
    assert_true(diag_has(&d, "max_unauthenticated_per_address (8) is larger"));
    cfg_diag_free(&d);
}

static void
test_listen_forms(void **state)
{
    (void)state;
    struct agent_listen l;
    char why[256];

    assert_true(agent_parse_listen("*:7000", &l, why, sizeof why));
    assert_int_equal(ntohs(((struct sockaddr_in *)&l.addr)->sin_port), 7000);
    assert_true(agent_parse_listen("[::]", &l, why, sizeof why));
    assert_int_equal(l.addr.ss_family, AF_INET6);
    assert_false(agent_parse_listen("::1:6600", &l, why, sizeof why));
    assert_non_null(strstr(why, "brackets"));
    assert_false(agent_parse_listen("[::1", &l, why, sizeof why));
    assert_false(agent_parse_listen("10.0.0.1:0", &l, why, sizeof why));
    assert_false(agent_parse_listen("10.0.0.1:66000", &l, why, sizeof why));
    assert_false(agent_parse_listen("10.0.0.1:", &l, why, sizeof why));
    assert_false(agent_parse_listen("[::1]x", &l, why, sizeof why));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_is_consistent),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_full_file),
        cmocka_unit_test(test_cross_key_problems),
        cmocka_unit_test(test_listen_forms),
    };

    return cmocka_run_group_tests_name("agentcfg", tests, NULL, NULL);
}
