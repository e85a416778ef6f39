/* Unit tests for common/json.c: the --json check elements, and reading a
 * field back from them. */
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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_elements),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
