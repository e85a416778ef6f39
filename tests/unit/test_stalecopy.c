/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for hostagent/stalecopy.c's arrival notes: which host a VM
 * last came from (only that host is told whether the VM runs here). */
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

#include "hostagent/stalecopy.h"
#include "tests/unit/tmpdir.h"

/* noted, read back, replaced by a later arrival, gone once forgotten */
static void
test_note_read_forget(void **state)
{
    struct vs_error err;
    char from[256];
    struct stat st;
    char path[128];

    (void)state;
    assert_false(stalecopy_arrived_from(dir, "web01", from, sizeof from));
    assert_true(stalecopy_note_arrival(dir, "web01", "hosta.lab.test", &err));
    assert_true(stalecopy_arrived_from(dir, "web01", from, sizeof from));
    assert_string_equal(from, "hosta.lab.test");
    /* root's alone: the directory 0700, the note 0600 */
    snprintf(path, sizeof path, "%s/arrivals", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    snprintf(path, sizeof path, "%s/arrivals/web01", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_true(stalecopy_note_arrival(dir, "web01", "hostc.lab.test", &err));
    assert_true(stalecopy_arrived_from(dir, "web01", from, sizeof from));
    assert_string_equal(from, "hostc.lab.test");
    /* another VM's note is its own */
    assert_false(stalecopy_arrived_from(dir, "web02", from, sizeof from));
    stalecopy_forget_arrival(dir, "web01");
    assert_false(stalecopy_arrived_from(dir, "web01", from, sizeof from));
    stalecopy_forget_arrival(dir, "web01");   /* twice: harmless */
}

/* a name that would leave the directory, or hide in it, is refused */
static void
test_names_that_are_no_file(void **state)
{
    struct vs_error err;
    char from[256];

    (void)state;
    assert_false(stalecopy_note_arrival(dir, "../web01", "hosta", &err));
    assert_int_equal(err.code, VS_ERR_INVALID);
    assert_false(stalecopy_note_arrival(dir, "a/b", "hosta", &err));
    assert_false(stalecopy_note_arrival(dir, ".hidden", "hosta", &err));
    assert_false(stalecopy_note_arrival(dir, "", "hosta", &err));
    assert_false(stalecopy_arrived_from(dir, "../web01", from, sizeof from));
    stalecopy_forget_arrival(dir, "../../etc/passwd");   /* nothing happens */
}

/* a reader with less room gets no name: a cut one could name another
 * host ("hosta" of "hosta.lab.test"); one that just fits is read whole */
static void
test_short_buffer(void **state)
{
    struct vs_error err;
    char from[6];

    (void)state;
    assert_true(stalecopy_note_arrival(dir, "web01", "hosta.lab.test", &err));
    assert_false(stalecopy_arrived_from(dir, "web01", from, sizeof from));
    assert_true(stalecopy_note_arrival(dir, "web01", "hostb", &err));
    assert_true(stalecopy_arrived_from(dir, "web01", from, sizeof from));
    assert_string_equal(from, "hostb");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_note_read_forget, tmpdir_make, tmpdir_remove),
        cmocka_unit_test_setup_teardown(test_names_that_are_no_file, tmpdir_make, tmpdir_remove),
        cmocka_unit_test_setup_teardown(test_short_buffer, tmpdir_make, tmpdir_remove),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
