/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for common/error.c and common/log.c. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/error.h"
#include "common/log.h"

static void
test_set_prefix_clear(void **state)
{
    (void)state;
    struct vs_error err;

    vs_error_set(&err, VS_ERR_DENIED, "%s may not migrate %s", "mallory@LAB.TEST", "web01");
    assert_int_equal(err.code, VS_ERR_DENIED);
    assert_string_equal(err.message, "mallory@LAB.TEST may not migrate web01");
    vs_error_prefix(&err, "hop %d", 1);
    assert_string_equal(err.message, "hop 1: mallory@LAB.TEST may not migrate web01");
    assert_int_equal(err.code, VS_ERR_DENIED);
    vs_error_clear(&err);
    assert_int_equal(err.code, VS_OK);
    assert_string_equal(err.message, "");
    /* NULL is allowed everywhere so callers may ignore details */
    vs_error_set(NULL, VS_ERR_IO, "x");
    vs_error_prefix(NULL, "x");
    vs_error_clear(NULL);
}

static void
test_truncates_long_messages(void **state)
{
    (void)state;
    struct vs_error err;
    char big[4 * VS_ERROR_MESSAGE_MAX];

    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    vs_error_set(&err, VS_ERR_IO, "%s", big);
    assert_int_equal(strlen(err.message), VS_ERROR_MESSAGE_MAX - 1);
    vs_error_prefix(&err, "p");
    assert_int_equal(strlen(err.message), VS_ERROR_MESSAGE_MAX - 1);
    assert_memory_equal(err.message, "p: x", 4);
}

static void
test_code_names(void **state)
{
    (void)state;
    assert_string_equal(vs_errcode_name(VS_OK), "ok");
    assert_string_equal(vs_errcode_name(VS_ERR_DENIED), "denied");
    assert_string_equal(vs_errcode_name(VS_ERR_INTERNAL), "internal");
    assert_string_equal(vs_errcode_name(VS_ERR_FAILED), "failed");
    assert_int_equal(vs_exit_for(VS_ERR_FAILED), VS_EXIT_FAILED);
    assert_string_equal(vs_errcode_name(VS_ERR__COUNT), "unknown");
    assert_string_equal(vs_errcode_name((enum vs_errcode)-1), "unknown");
    for (int c = 0; c < VS_ERR__COUNT; c++)
        assert_string_not_equal(vs_errcode_name((enum vs_errcode)c), "unknown");
}

static void
test_log_levels(void **state)
{
    (void)state;
    enum vs_log_level l;

    assert_true(vs_log_level_parse("DEBUG", &l));
    assert_int_equal(l, VS_LOG_DEBUG);
    assert_true(vs_log_level_parse("warning", &l));
    assert_int_equal(l, VS_LOG_WARNING);
    assert_false(vs_log_level_parse("verbose", &l));
    assert_string_equal(vs_log_level_name(VS_LOG_INFO), "info");
    assert_string_equal(vs_log_level_name((enum vs_log_level)9), "unknown");
    vs_log_set_level(VS_LOG_ERROR);
    assert_int_equal(vs_log_get_level(), VS_LOG_ERROR);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_prefix_clear),
        cmocka_unit_test(test_truncates_long_messages),
        cmocka_unit_test(test_code_names),
        cmocka_unit_test(test_log_levels),
    };

    return cmocka_run_group_tests_name("error", tests, NULL, NULL);
}
