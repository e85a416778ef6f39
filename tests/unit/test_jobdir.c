/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/move.c: a move's job directory and the note an incoming move
 * leaves in it, so that an agent killed mid-move forgets, at its next start,
 * the definition the failed move left behind. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "hostagent/agentcfg.h"
#include "hostagent/move.h"

static char runtime[] = "/tmp/vsm-test-jobdir-XXXXXX";

static void
test_note_and_read_back(void **state)
{
    struct agent_config c = { .runtime_dir = runtime };
    struct vs_error err;
    char dir[300], vm[256], parent[300];
    struct stat st;

    (void)state;
    assert_true(move_job_dir(&c, "6a29e563-7354-4d12-abb1-3df2affad1f2", dir, sizeof dir, &err));
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);   /* root's alone */
    assert_false(move_job_incoming_vm(dir, vm, sizeof vm));   /* no note yet */
    assert_true(move_job_note_incoming(dir, "web01", &err));
    assert_true(move_job_incoming_vm(dir, vm, sizeof vm));
    assert_string_equal(vm, "web01");
    /* one note per job: a second is refused, the first stays */
    assert_false(move_job_note_incoming(dir, "other", &err));
    assert_int_equal(err.code, VS_ERR_IO);
    assert_true(move_job_incoming_vm(dir, vm, sizeof vm));
    assert_string_equal(vm, "web01");
    move_job_dir_remove(dir);   /* the note goes with the directory */
    assert_int_not_equal(stat(dir, &st), 0);
    snprintf(parent, sizeof parent, "%s/jobs", runtime);
    rmdir(parent);
}

static void
test_empty_note_is_no_vm(void **state)
{
    struct agent_config c = { .runtime_dir = runtime };
    struct vs_error err;
    char dir[300], vm[256], path[400], parent[300];
    FILE *f;

    (void)state;
    assert_true(move_job_dir(&c, "job-empty", dir, sizeof dir, &err));
    snprintf(path, sizeof path, "%s/" MOVE_INCOMING_NOTE, dir);
    assert_non_null(f = fopen(path, "w"));
    fclose(f);
    assert_false(move_job_incoming_vm(dir, vm, sizeof vm));
    move_job_dir_remove(dir);
    snprintf(parent, sizeof parent, "%s/jobs", runtime);
    rmdir(parent);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_note_and_read_back),
        cmocka_unit_test(test_empty_note_is_no_vm),
    };
    int rc;

    if (mkdtemp(runtime) == NULL)
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    rmdir(runtime);
    return rc;
}
