/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for hostagent/tool.c: a local tool's exit status and output,
 * and a reason in every case where it returns -1. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
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

/* A tool killed at its time limit leaves the private ccache directory it
 * made (named for its pid, holding a host TGT): tool_run removes it (issue
 * 16, finding 8). */
static void
test_killed_tool_leaves_no_ccache(void **state)
{
    char parent[] = "/tmp/vsm-test-tool-XXXXXX", env0[128], out[64], why[256], cmd[200];
    char *env[] = { env0, NULL };
    const char *argv[] = { "/bin/sh", "-c",
        "d=$RUNTIME_DIRECTORY/smbio-$$-abcdef; mkdir -m 0700 $d && echo ticket >$d/ccache && "
        "echo made && exec sleep 30", NULL };
    struct stat st;

    (void)state;
    assert_non_null(mkdtemp(parent));
    snprintf(env0, sizeof env0, "RUNTIME_DIRECTORY=%s", parent);
    assert_int_equal(tool_run((char *const *)argv, env, 1500, "disk_tool", out, sizeof out, why,
                              sizeof why), -1);
    assert_non_null(strstr(why, "did not finish within"));
    /* the directory was made (the tool said so) and is gone */
    assert_non_null(strstr(out, "made"));
    snprintf(cmd, sizeof cmd, "ls -A %s | grep -q .", parent);
    assert_int_not_equal(system(cmd), 0);
    assert_int_equal(stat(parent, &st), 0);
    rmdir(parent);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_and_output),
        cmocka_unit_test(test_reasons),
        cmocka_unit_test(test_killed_tool_leaves_no_ccache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
