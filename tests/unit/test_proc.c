/* SPDX-License-Identifier: GPL-3.0-or-later */
/* common/proc.c: a live process runs; a zombie, or none, does not. */
#include <config.h>

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/proc.h"

static void
test_self_runs(void **state)
{
    (void)state;
    assert_true(vs_process_running(getpid()));
}

static void
test_no_pid(void **state)
{
    (void)state;
    assert_false(vs_process_running(0));
    assert_false(vs_process_running(-1));
}

/* A child that ended and is not reaped yet: kill(pid, 0) still succeeds on
 * it, but it does not run; once reaped, nothing is there at all. */
static void
test_zombie_does_not_run(void **state)
{
    int status;
    pid_t pid = fork();

    (void)state;
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(0);
    /* until the child has ended: waitid with WNOWAIT leaves it a zombie */
    siginfo_t si;
    assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
    assert_int_equal(kill(pid, 0), 0);   /* what the check used to trust */
    assert_false(vs_process_running(pid));
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_false(vs_process_running(pid));
}

static void
test_live_child_runs(void **state)
{
    int status;
    pid_t pid = fork();

    (void)state;
    assert_true(pid >= 0);
    if (pid == 0) {
        pause();
        _exit(0);
    }
    assert_true(vs_process_running(pid));
    kill(pid, SIGKILL);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
}

/* An argument matches whole, never a prefix or a part of one; a process
 * that is gone has none. */
static void
test_has_arg_whole_arguments_only(void **state)
{
    int status;
    pid_t pid = fork();

    (void)state;
    assert_true(pid >= 0);
    if (pid == 0) {
        execl("/bin/sleep", "sleep", "3600", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 500 && !vs_process_has_arg(pid, "3600"); i++) {
        struct timespec ts = { 0, 10000000 };
        nanosleep(&ts, NULL);
    }
    assert_true(vs_process_has_arg(pid, "3600"));
    assert_true(vs_process_has_arg(pid, "sleep"));
    assert_false(vs_process_has_arg(pid, "360"));
    assert_false(vs_process_has_arg(pid, "36000"));
    assert_false(vs_process_has_arg(pid, ""));
    kill(pid, SIGKILL);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_false(vs_process_has_arg(pid, "3600"));
    assert_false(vs_process_has_arg(0, "3600"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_self_runs),
        cmocka_unit_test(test_no_pid),
        cmocka_unit_test(test_zombie_does_not_run),
        cmocka_unit_test(test_live_child_runs),
        cmocka_unit_test(test_has_arg_whole_arguments_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
