/* Unit tests for common/json.c: the --json check elements, quoting into a
 * buffer, and reading a field back from them. */
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

    (void)state;
    assert_non_null(f);
    fputc('[', f);
    json_write_check(f, true, "dns", "pass", "hosta.lab.test -> 10.0.0.11");
    json_write_check(f, false, "share", "fail", "no ACE for \"hostb$\"\n");
    fputc(']', f);
    fclose(f);
    assert_string_equal(text, "[{\"name\":\"dns\",\"result\":\"pass\",\"text\":\"hosta.lab.test -> 10.0.0.11\"},"
                              "{\"name\":\"share\",\"result\":\"fail\",\"text\":\"no ACE for \\\"hostb$\\\"\\n\"}]");
    assert_non_null(json_field(text, "result", field, sizeof field));
    assert_string_equal(field, "pass");   /* the first element's */
    free(text);
}

/* json_quote escapes as json_write_string does, and a string too long for
 * the buffer is cut between escapes and UTF-8 sequences, and still closed. */
static void
test_quote(void **state)
{
    char out[64], field[64], line[128];

    (void)state;
    size_t n = json_quote(out, sizeof out, "a\"b\\c\n\x01");
    assert_int_equal(n, strlen(out));
    assert_string_equal(out, "\"a\\\"b\\\\c\\n\\u0001\"");
    /* read back whole, the \u escape included */
    snprintf(line, sizeof line, "{\"error\":%s}", out);
    assert_non_null(json_field(line, "error", field, sizeof field));
    assert_string_equal(field, "a\"b\\c\n\x01");
    /* cut short: room for the quotes and "abc" only, the escape of \n does
     * not half fit; "é" is two bytes and never cut in the middle */
    static const struct { size_t len; const char *in, *want; } cut[] = {
        { 7, "abc\n", "\"abc\"" },
        { 8, "abc\n", "\"abc\\n\"" },
        { 6, "ab\xc3\xa9", "\"ab\"" },
        { 7, "ab\xc3\xa9", "\"ab\xc3\xa9\"" },
        { 5, "\xc3\xa9x", "\"\xc3\xa9\"" },   /* a whole one stays */
        { 3, "abc", "\"\"" },
        { 2, "abc", "" },
    };
    for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
        n = json_quote(out, cut[i].len, cut[i].in);
        assert_string_equal(out, cut[i].want);
        assert_int_equal(n, strlen(cut[i].want));
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_elements),
        cmocka_unit_test(test_quote),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
