/* SPDX-License-Identifier: GPL-3.0-or-later */
/* common/hostname.c: one host-name comparison for every part. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "common/hostname.h"

static void
test_same_host(void **state)
{
    (void)state;
    assert_true(vs_host_same("hosta.lab.test", "hosta.lab.test"));
    assert_true(vs_host_same("HostA.Lab.Test", "hosta.lab.test"));
    assert_true(vs_host_same("hosta", "hosta.lab.test"));   /* a short name on one side */
    assert_true(vs_host_same("hosta.lab.test", "hosta"));
    assert_true(vs_host_same("hosta", "HOSTA"));
}

/* What the old prefix match took for hosta. */
static void
test_not_the_same_host(void **state)
{
    (void)state;
    assert_false(vs_host_same("hostab", "hosta.lab.test"));
    assert_false(vs_host_same("hosta.evil.example", "hosta.lab.test"));
    assert_false(vs_host_same("host", "hosta.lab.test"));
    assert_false(vs_host_same("hosta.lab", "hosta.lab.test"));
    assert_false(vs_host_same("", "hosta.lab.test"));
    assert_false(vs_host_same("hosta", ""));
    assert_false(vs_host_same("hostb", "hosta"));
}

static void
test_label(void **state)
{
    (void)state;
    assert_true(vs_host_label_is("hosta.lab.test", "HOSTA$@LAB.TEST", 5));
    assert_false(vs_host_label_is("hosta.lab.test", "HOST", 4));
    assert_false(vs_host_label_is("hostab.lab.test", "hosta", 5));
    assert_false(vs_host_label_is("hosta.lab.test", "", 0));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_host),
        cmocka_unit_test(test_not_the_same_host),
        cmocka_unit_test(test_label),
    };
    return cmocka_run_group_tests_name("hostname", tests, NULL, NULL);
}
