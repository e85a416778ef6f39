/* SPDX-License-Identifier: GPL-3.0-or-later */
/* common/testhook.c: the fault tests' hooks. In a build with
 * --enable-test-hooks a file arms a failure and a pause holds the caller
 * until the file goes; in a normal build the same calls do nothing, whatever
 * files exist. */
#include <config.h>

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/testhook.h"

static char dir[] = "/tmp/vsm-test-hook-XXXXXX";

static void
touch(const char *name)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof path, "%s/test-hooks/%s", dir, name);
    assert_non_null(f = fopen(path, "w"));
    fclose(f);
}

static bool
exists(const char *name)
{
    char path[512];

    snprintf(path, sizeof path, "%s/test-hooks/%s", dir, name);
    return access(path, F_OK) == 0;
}

static void
rm(const char *name)
{
    char path[512];

    snprintf(path, sizeof path, "%s/test-hooks/%s", dir, name);
    unlink(path);
}

static long long
now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

#ifdef VSM_TEST_HOOKS
static void *
remove_later(void *arg)
{
    struct timespec wait = { 0, 300 * 1000 * 1000 };

    nanosleep(&wait, NULL);
    rm(arg);
    return NULL;
}

static void
test_armed_by_its_file(void **state)
{
    (void)state;
    assert_false(test_hook_armed(dir, "takeover"));
    touch("fail-takeover");
    assert_true(test_hook_armed(dir, "takeover"));
    assert_false(test_hook_armed(dir, "other"));
    rm("fail-takeover");
    assert_false(test_hook_armed(dir, "takeover"));
}

static void
test_holding_marks_reached(void **state)
{
    char path[512], line[32] = "";
    FILE *f;

    (void)state;
    assert_false(test_hook_holding(dir, "hand-off"));
    assert_false(exists("reached-hand-off"));   /* not armed: nothing marked */
    touch("pause-hand-off");
    assert_true(test_hook_holding(dir, "hand-off"));
    snprintf(path, sizeof path, "%s/test-hooks/reached-hand-off", dir);
    assert_non_null(f = fopen(path, "r"));
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_int_equal(atol(line), (long)getpid());   /* who reached it */
    rm("pause-hand-off");
    rm("reached-hand-off");
}

static void
test_waiting_marks_nothing(void **state)
{
    (void)state;
    assert_false(test_hook_waiting(dir, "memory-copy"));
    touch("pause-memory-copy");
    assert_true(test_hook_waiting(dir, "memory-copy"));
    assert_false(exists("reached-memory-copy"));   /* the phase is not reached yet */
    assert_false(test_hook_waiting(dir, "hand-off"));
    rm("pause-memory-copy");
    assert_false(test_hook_waiting(dir, "memory-copy"));
}

static void
test_pause_waits_for_the_file(void **state)
{
    pthread_t th;
    long long t0;

    (void)state;
    t0 = now_ms();
    test_hook_pause(dir, "finish");   /* not armed: returns at once */
    assert_true(now_ms() - t0 < 200);
    touch("pause-finish");
    t0 = now_ms();
    assert_int_equal(pthread_create(&th, NULL, remove_later, "pause-finish"), 0);
    test_hook_pause(dir, "finish");
    assert_true(now_ms() - t0 >= 250);   /* held until the file went */
    assert_true(exists("reached-finish"));
    pthread_join(th, NULL);
    rm("reached-finish");
}
#else
static void
test_normal_build_has_no_hooks(void **state)
{
    long long t0 = now_ms();

    (void)state;
    touch("fail-takeover");
    touch("pause-finish");
    assert_false(test_hook_armed(dir, "takeover"));
    assert_false(test_hook_holding(dir, "finish"));
    assert_false(test_hook_waiting(dir, "finish"));
    test_hook_pause(dir, "finish");
    assert_true(now_ms() - t0 < 200);
    assert_false(exists("reached-finish"));
    rm("fail-takeover");
    rm("pause-finish");
}
#endif

int
main(void)
{
    char hooks[64];
    const struct CMUnitTest tests[] = {
#ifdef VSM_TEST_HOOKS
        cmocka_unit_test(test_armed_by_its_file),
        cmocka_unit_test(test_holding_marks_reached),
        cmocka_unit_test(test_waiting_marks_nothing),
        cmocka_unit_test(test_pause_waits_for_the_file),
#else
        cmocka_unit_test(test_normal_build_has_no_hooks),
#endif
    };
    int rc;

    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(hooks, sizeof hooks, "%s/test-hooks", dir);
    if (mkdir(hooks, 0700) != 0)
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    rmdir(hooks);
    rmdir(dir);
    return rc;
}
