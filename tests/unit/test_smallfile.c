/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for common/smallfile.c: small state files replaced whole and
 * read back whole or not at all. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/smallfile.h"
#include "tests/unit/tmpdir.h"

static void
path_of(const char *name, char *path, size_t len)
{
    snprintf(path, len, "%s/d/%s", dir, name);
}

/* replaced whole, 0600, no .new left; read back to the byte */
static void
test_replace_and_read(void **state)
{
    char path[256], buf[16];
    struct vs_error err;
    struct stat st;
    size_t n;

    (void)state;
    assert_true(tmpdir_write("d", "keep", ""));
    path_of("note", path, sizeof path);
    assert_true(vs_smallfile_replace(path, "first line\n", 11, &err));
    assert_true(vs_smallfile_replace(path, "2nd", 3, &err));
    assert_true(vs_smallfile_read(path, buf, sizeof buf, &n, &err));
    assert_int_equal(n, 3);
    assert_string_equal(buf, "2nd");
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_false(tmpdir_exists("d", "note.new"));
}

/* whole or not at all: a file that does not fit is refused, not cut */
static void
test_read_bounds(void **state)
{
    char path[256], buf[6];
    struct vs_error err;
    size_t n = 99;

    (void)state;
    assert_true(tmpdir_write("d", "five", "12345"));
    assert_true(tmpdir_write("d", "six", "123456"));
    path_of("five", path, sizeof path);
    assert_true(vs_smallfile_read(path, buf, sizeof buf, &n, &err));
    assert_int_equal(n, 5);
    assert_string_equal(buf, "12345");
    path_of("six", path, sizeof path);
    assert_false(vs_smallfile_read(path, buf, sizeof buf, &n, &err));
    assert_int_equal(err.code, VS_ERR_INVALID);
    assert_int_equal(n, 0);
    assert_string_equal(buf, "");
    path_of("absent", path, sizeof path);
    assert_false(vs_smallfile_read(path, buf, sizeof buf, &n, &err));
    assert_int_equal(err.code, VS_ERR_NOTFOUND);
    assert_false(vs_smallfile_read(path, buf, 0, &n, &err));
}

/* a symlink planted at the file or at its .new is never followed */
static void
test_symlinks_refused(void **state)
{
    char path[256], tmp[300], target[256], buf[32];
    struct vs_error err;
    size_t n;

    (void)state;
    assert_true(tmpdir_write("d", "target", "untouched"));
    path_of("target", target, sizeof target);
    path_of("link", path, sizeof path);
    assert_int_equal(symlink(target, path), 0);
    assert_false(vs_smallfile_read(path, buf, sizeof buf, &n, &err));
    path_of("note", path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.new", path);
    assert_int_equal(symlink(target, tmp), 0);
    assert_false(vs_smallfile_replace(path, "evil", 4, &err));
    assert_int_equal(err.code, VS_ERR_IO);
    assert_true(vs_smallfile_read(target, buf, sizeof buf, &n, &err));
    assert_string_equal(buf, "untouched");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_replace_and_read, tmpdir_make, tmpdir_remove),
        cmocka_unit_test_setup_teardown(test_read_bounds, tmpdir_make, tmpdir_remove),
        cmocka_unit_test_setup_teardown(test_symlinks_refused, tmpdir_make, tmpdir_remove),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
