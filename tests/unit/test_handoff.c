/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for hostagent/handoff_line.c: the lock plugin's hand-off line. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hostagent/handoff.h"

static bool
parse(const char *line, char *vm)
{
    struct vs_error err;
    return handoff_line_parse(line, strlen(line), vm, 256, &err);
}

static void
test_accepts(void **state)
{
    char vm[256];

    (void)state;
    assert_true(parse("handoff web01\n", vm));
    assert_string_equal(vm, "web01");
    assert_true(parse("handoff web01", vm));
    assert_string_equal(vm, "web01");
    assert_true(parse("handoff caf\xc3\xa9", vm));   /* libvirt names may be UTF-8 */
    char longest[8 + 255 + 1];
    memcpy(longest, "handoff ", 8);
    memset(longest + 8, 'a', 255);
    longest[263] = '\0';
    assert_true(parse(longest, vm));
    assert_int_equal(strlen(vm), 255);
}

static void
test_refuses(void **state)
{
    char vm[256];
    struct vs_error err;

    (void)state;
    assert_false(parse("", vm));
    assert_false(parse("handoff", vm));
    assert_false(parse("handoff \n", vm));
    assert_false(parse("promote web01\n", vm));
    assert_false(parse("handoff web01 extra\n", vm));
    assert_false(parse("handoff web\x01" "01\n", vm));
    assert_false(parse("handoff web01\n\n", vm));
    assert_false(parse("HANDOFF web01\n", vm));
    char toolong[8 + 256 + 1];
    memcpy(toolong, "handoff ", 8);
    memset(toolong + 8, 'a', 256);
    toolong[264] = '\0';
    assert_false(parse(toolong, vm));
    /* a NUL inside the length given is a control character, not an end */
    assert_false(handoff_line_parse("handoff a\0b", 11, vm, sizeof vm, &err));
    assert_int_equal(err.code, VS_ERR_PROTOCOL);
    /* a buffer too small for the name refuses rather than cuts */
    assert_false(handoff_line_parse("handoff web01", 13, vm, 4, &err));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts),
        cmocka_unit_test(test_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
