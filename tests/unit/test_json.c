/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for common/json.c: the one-line form over jansson, the --json
 * check elements, and reading a field back. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/json.h"

static void
test_check_elements(void **state)
{
    char *text = NULL, field[64];
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    json_t *checks = json_array();

    (void)state;
    assert_non_null(f);
    json_array_append_new(checks, json_check("dns", "pass", "hosta.lab.test -> 10.0.0.11"));
    json_array_append_new(checks, json_check("share", "fail", "no ACE for \"hostb$\"\n"));
    assert_true(json_print_line(f, json_pack("{s:o}", "checks", checks)));
    fclose(f);
    /* compact, keys in the order set, one line: what the hand-written JSON was */
    assert_string_equal(text, "{\"checks\":[{\"name\":\"dns\",\"result\":\"pass\",\"text\":\"hosta.lab.test -> 10.0.0.11\"},"
                              "{\"name\":\"share\",\"result\":\"fail\",\"text\":\"no ACE for \\\"hostb$\\\"\\n\"}]}\n");
    free(text);
    assert_non_null(json_field("{\"result\":\"pass\",\"n\":12,\"b\":true}", "result", field, sizeof field));
    assert_string_equal(field, "pass");
    assert_non_null(json_field("{\"result\":\"pass\",\"n\":12,\"b\":true}", "n", field, sizeof field));
    assert_string_equal(field, "12");
    assert_non_null(json_field("{\"result\":\"pass\",\"n\":12,\"b\":true}", "b", field, sizeof field));
    assert_string_equal(field, "true");
}

/* Escapes read back as the text itself; what is not a JSON object, or
 * repeats a key, gives nothing (a key inside a string is not a key). */
static void
test_field(void **state)
{
    char out[64], line[128];

    (void)state;
    assert_true(json_format_line(json_pack("{s:s}", "error", "a\"b\\c\n\x01"), line, sizeof line));
    assert_string_equal(line, "{\"error\":\"a\\\"b\\\\c\\n\\u0001\"}");
    assert_non_null(json_field(line, "error", out, sizeof out));
    assert_string_equal(out, "a\"b\\c\n\x01");
    assert_null(json_field("{\"error\":\"x\"", "error", out, sizeof out));
    assert_null(json_field("[1,2]", "error", out, sizeof out));
    assert_null(json_field("{\"a\":\"\\\"error\\\":1\"}", "error", out, sizeof out));
    assert_null(json_field("{\"error\":1,\"error\":2}", "error", out, sizeof out));
    /* truncated to the buffer, still NUL-terminated */
    assert_non_null(json_field("{\"k\":\"abcdefgh\"}", "k", out, 4));
    assert_string_equal(out, "abc");
    /* too small a buffer for the line: false, and an empty string */
    assert_false(json_format_line(json_pack("{s:s}", "k", "abcdefgh"), line, 8));
    assert_string_equal(line, "");
    /* text that is not UTF-8: jansson refuses it, and nothing is written */
    assert_false(json_print_line(stdout, json_pack("{s:s}", "k", "\xff")));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_elements),
        cmocka_unit_test(test_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
