/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for hostagent/leftover_record.c: the leftovers of a failed
 * move still being put right, written down for an agent restarted within
 * their minute. */
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

#include "hostagent/leftover_record.h"
#include "tests/unit/tmpdir.h"

static struct leftover_record
record(enum leftover_kind kind, const char *vm, const char *job, long long deadline, bool stale)
{
    struct leftover_record r = { .kind = kind, .deadline = deadline, .stale = stale };

    snprintf(r.vm, sizeof r.vm, "%s", vm);
    snprintf(r.job, sizeof r.job, "%s", job);
    return r;
}

struct seen {
    struct leftover_record r[8];
    size_t n;
};

static void
collect(const struct leftover_record *r, void *arg)
{
    struct seen *s = arg;

    if (s->n < 8)
        s->r[s->n++] = *r;
}

/* written, found again to the field, private to root */
static void
test_save_and_take_up(void **state)
{
    struct leftover_record r = record(LEFTOVER_RESUME, "web01.lab", "5f0c-a1", 1796000000, false);
    struct leftover_record f = record(LEFTOVER_FORGET, "web01.lab", "77-b", 1796000100, true);
    struct vs_error err;
    struct seen s = { .n = 0 };
    struct stat st;
    char path[256];

    (void)state;
    assert_int_equal(leftover_records_each(dir, collect, &s), 0);   /* no directory yet */
    assert_true(leftover_record_save(dir, &r, &err));
    assert_true(leftover_record_save(dir, &f, &err));
    snprintf(path, sizeof path, "%s/leftovers", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_true(tmpdir_exists("leftovers", "web01.lab.resume"));
    assert_true(tmpdir_exists("leftovers", "web01.lab.forget"));
    assert_int_equal(leftover_records_each(dir, collect, &s), 2);
    for (size_t i = 0; i < 2; i++) {
        const struct leftover_record *want = s.r[i].kind == LEFTOVER_RESUME ? &r : &f;
        assert_string_equal(s.r[i].vm, want->vm);
        assert_string_equal(s.r[i].job, want->job);
        assert_int_equal(s.r[i].deadline, want->deadline);
        assert_int_equal(s.r[i].stale, want->stale);
    }
    assert_int_not_equal(s.r[0].kind, s.r[1].kind);
}

/* dropped only by the job that wrote it: a later move's record stays */
static void
test_drop_only_own_job(void **state)
{
    struct leftover_record first = record(LEFTOVER_RESUME, "db1", "job-1", 100, false);
    struct leftover_record later = record(LEFTOVER_RESUME, "db1", "job-2", 200, false);
    struct vs_error err;

    (void)state;
    assert_true(leftover_record_save(dir, &first, &err));
    assert_true(leftover_record_save(dir, &later, &err));   /* replaces it */
    leftover_record_drop(dir, LEFTOVER_RESUME, "db1", "job-1");
    assert_true(tmpdir_exists("leftovers", "db1.resume"));
    leftover_record_drop(dir, LEFTOVER_FORGET, "db1", "job-2");   /* another kind */
    assert_true(tmpdir_exists("leftovers", "db1.resume"));
    leftover_record_drop(dir, LEFTOVER_RESUME, "db1", "job-2");
    assert_false(tmpdir_exists("leftovers", "db1.resume"));
}

/* what cannot be a file name or a line is never written */
static void
test_save_refuses_bad_fields(void **state)
{
    struct vs_error err;
    struct leftover_record r;

    (void)state;
    r = record(LEFTOVER_RESUME, "../etc", "j1", 1, false);
    assert_false(leftover_record_save(dir, &r, &err));
    assert_int_equal(err.code, VS_ERR_INVALID);
    r = record(LEFTOVER_RESUME, ".hidden", "j1", 1, false);
    assert_false(leftover_record_save(dir, &r, &err));
    r = record(LEFTOVER_RESUME, "", "j1", 1, false);
    assert_false(leftover_record_save(dir, &r, &err));
    r = record(LEFTOVER_FORGET, "vm", "j 1\n", 1, false);
    assert_false(leftover_record_save(dir, &r, &err));
    r = record(LEFTOVER_FORGET, "vm", "", 1, false);
    assert_false(leftover_record_save(dir, &r, &err));
    r = record(LEFTOVER_FORGET, "vm", "j1", -5, false);
    assert_false(leftover_record_save(dir, &r, &err));
    assert_false(tmpdir_exists("leftovers", "vm.forget"));
}

/* a file that is no good record goes, and the good ones are still given */
static void
test_bad_files_removed(void **state)
{
    static const struct { const char *name, *text; } bad[] = {
        { "vm1.resume", "" },
        { "vm2.resume", "job 12 1" },                /* no newline */
        { "vm3.resume", "job 12 2\n" },              /* stale is 0 or 1 */
        { "vm4.resume", "job 12 0\nmore\n" },        /* one line only */
        { "vm5.resume", "job  12 0\n" },
        { "vm6.resume", "jo/b 12 0\n" },
        { "vm7.resume", "job -12 0\n" },
        { "vm8.resume", "job 1234567890123456789 0\n" },   /* 19 digits */
        { "vm9.resume", "job 12x 0\n" },
        { "vm10.resume.new", "job 12 0\n" },         /* a killed agent's half-write */
        { "vm11.undefine", "job 12 0\n" },
        { ".resume", "job 12 0\n" },
        { "vm12.forget", "0123456789012345678901234567890123456789012345678901234567890123 "
                         "12 0\n" },                 /* a 64-character job id */
    };
    struct seen s = { .n = 0 };

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_true(tmpdir_write("leftovers", bad[i].name, bad[i].text));
    assert_true(tmpdir_write("leftovers", "good.forget", "a-1 123456789012345678 1\n"));
    assert_int_equal(leftover_records_each(dir, collect, &s), 1);
    assert_string_equal(s.r[0].vm, "good");
    assert_int_equal(s.r[0].kind, LEFTOVER_FORGET);
    assert_int_equal(s.r[0].deadline, 123456789012345678LL);
    assert_true(s.r[0].stale);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(tmpdir_exists("leftovers", bad[i].name));
    assert_true(tmpdir_exists("leftovers", "good.forget"));
}

/* the parser alone: bounds hold at the edges */
static void
test_parse_edges(void **state)
{
    struct leftover_record r;
    struct vs_error err;
    char long_name[300];

    (void)state;
    assert_true(leftover_record_parse("a.b.c.resume", "j 0 0\n", 6, &r, &err));
    assert_string_equal(r.vm, "a.b.c");
    assert_int_equal(r.deadline, 0);
    /* a length that cuts the line short is a bad line, whatever follows in memory */
    assert_false(leftover_record_parse("v.resume", "j 10 0\n", 6, &r, &err));
    assert_false(leftover_record_parse("v.resume", "j 10 0\n", 0, &r, &err));
    assert_false(leftover_record_parse("v.resume", " 10 0\n", 6, &r, &err));
    memset(long_name, 'x', 255);
    snprintf(long_name + 255, sizeof long_name - 255, ".resume");
    assert_true(leftover_record_parse(long_name, "j 1 0\n", 6, &r, &err));
    assert_int_equal(strlen(r.vm), 255);
    memset(long_name, 'x', 256);
    snprintf(long_name + 256, sizeof long_name - 256, ".resume");
    assert_false(leftover_record_parse(long_name, "j 1 0\n", 6, &r, &err));
    assert_int_equal(err.code, VS_ERR_INVALID);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_save_and_take_up, tmpdir_make, tmpdir_remove),
        cmocka_unit_test_setup_teardown(test_drop_only_own_job, tmpdir_make, tmpdir_remove),
        cmocka_unit_test_setup_teardown(test_save_refuses_bad_fields, tmpdir_make, tmpdir_remove),
        cmocka_unit_test_setup_teardown(test_bad_files_removed, tmpdir_make, tmpdir_remove),
        cmocka_unit_test(test_parse_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
