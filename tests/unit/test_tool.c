/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for hostagent/tool.c: a local tool's exit status and output,
 * and a reason in every case where it returns -1. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hostagent/tool.h"

static int
run(const char *script, long long timeout_ms, char *out, size_t outlen, char *why, size_t whylen)
{
    const char *argv[] = { "/bin/sh", "-c", script, NULL };

    strcpy(why, "unset");
    return tool_run((char *const *)argv, NULL, timeout_ms, "some_tool", out, outlen, why, whylen);
}

static void
test_status_and_output(void **state)
{
    char out[64], why[256];

    (void)state;
    assert_int_equal(run("echo '{\"ok\":true}'; exit 3", 10000, out, sizeof out, why, sizeof why), 3);
    assert_string_equal(out, "{\"ok\":true}\n");
    /* output beyond the buffer is cut, not overrun */
    assert_int_equal(run("yes 0123456789 | head -c 1000", 10000, out, sizeof out, why, sizeof why), 0);
    assert_int_equal(strlen(out), sizeof out - 1);
}

static void
test_reasons(void **state)
{
    const char *argv[] = { "/nonexistent/tool", NULL };
    char out[64], why[256];

    (void)state;
    /* a crash: -1, and why says so (it used to be left unset) */
    assert_int_equal(run("kill -KILL $$", 10000, out, sizeof out, why, sizeof why), -1);
    assert_non_null(strstr(why, "died of signal 9"));
    /* too slow */
    assert_int_equal(run("sleep 5", 200, out, sizeof out, why, sizeof why), -1);
    assert_non_null(strstr(why, "did not finish within"));
    /* not there: the setting to fix is named */
    assert_int_equal(tool_run((char *const *)argv, NULL, 1000, "share_tool", out, sizeof out, why,
                              sizeof why), -1);
    assert_non_null(strstr(why, "cannot run /nonexistent/tool"));
    assert_non_null(strstr(why, "set share_tool in [agent]"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_and_output),
        cmocka_unit_test(test_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
