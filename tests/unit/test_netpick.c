/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for hostagent/netpick.c: migration networks. */
#include <config.h>

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hostagent/netpick.h"

static struct cfg_cidr
cidr4(const char *addr, unsigned prefix)
{
    struct cfg_cidr c = { .family = AF_INET, .prefix = prefix };
    assert_int_equal(inet_pton(AF_INET, addr, c.addr), 1);
    return c;
}

static void
test_cidr_text(void **state)
{
    struct cfg_cidr c = cidr4("10.78.3.0", 24);
    char buf[NETPICK_TEXT_MAX];

    (void)state;
    netpick_cidr_text(&c, buf, sizeof buf);
    assert_string_equal(buf, "10.78.3.0/24");
}

/* loopback is on every machine: 127.0.0.0/8 finds 127.0.0.1; a network
 * this host has no address in is left out, and the order is the list's */
static void
test_local_addresses(void **state)
{
    struct cfg_cidr nets[] = { cidr4("0.0.0.0", 32), cidr4("127.0.0.0", 8) };
    struct netpick_address out[NETPICK_MAX];

    (void)state;
    assert_int_equal(netpick_local(nets, 2, out, NETPICK_MAX), 1);
    assert_string_equal(out[0].address, "127.0.0.1");
    assert_string_equal(out[0].network, "127.0.0.0/8");
    assert_int_equal(netpick_local(nets, 0, out, NETPICK_MAX), 0);
}

static void
test_source_allowed(void **state)
{
    struct cfg_cidr nets[] = { cidr4("10.78.3.0", 24), cidr4("10.99.0.0", 16) };
    struct sockaddr_in in = { .sin_family = AF_INET }, out = { .sin_family = AF_INET };
    struct vs_error err;

    (void)state;
    inet_pton(AF_INET, "10.78.3.11", &in.sin_addr);
    inet_pton(AF_INET, "10.77.3.11", &out.sin_addr);
    assert_true(netpick_source_allowed(nets, 2, (struct sockaddr *)&in, "10.78.3.11", "hostb", &err));
    /* none set: anywhere */
    assert_true(netpick_source_allowed(nets, 0, (struct sockaddr *)&out, "10.77.3.11", "hostb", &err));
    assert_false(netpick_source_allowed(nets, 2, (struct sockaddr *)&out, "10.77.3.11", "hostb", &err));
    assert_int_equal(err.code, VS_ERR_DENIED);
    assert_non_null(strstr(err.message, "hostb accepts moves only from its allowed_sources "
                                        "(10.78.3.0/24, 10.99.0.0/16), and this one came from 10.77.3.11"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cidr_text),
        cmocka_unit_test(test_local_addresses),
        cmocka_unit_test(test_source_allowed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
