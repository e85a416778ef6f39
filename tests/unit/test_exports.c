/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/exports.c: an export's pid file is trusted only while the pid
 * it names is that export (an nbdkit serving the export's socket); a pid
 * the kernel gave to another process since is never signalled. */
#include <config.h>

#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/proc.h"
#include "hostagent/exports.h"

static char self_exe[PATH_MAX];

struct fixture {
    char dir[64];
    struct export e;
    pid_t child;   /* killed and reaped by teardown if a failed check left it */
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);

    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/vsm-test-exports-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->e.sock, sizeof f->e.sock, "%s/web01-vda.sock", f->dir);
    snprintf(f->e.ctl, sizeof f->e.ctl, "%s/web01-vda.ctl", f->dir);
    snprintf(f->e.pid, sizeof f->e.pid, "%s/web01-vda.pid", f->dir);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    int status;

    if (f->child > 0 && kill(f->child, SIGKILL) == 0)
        waitpid(f->child, &status, 0);
    unlink(f->e.pid);
    unlink(f->e.sock);
    unlink(f->e.ctl);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void
write_pid_file(const struct export *e, pid_t pid)
{
    FILE *p = fopen(e->pid, "w");

    assert_non_null(p);
    fprintf(p, "%ld\n", (long)pid);
    assert_int_equal(fclose(p), 0);
}

/* A child that runs this program again with argv "--hold [ARG...]" and waits
 * to be killed; returns once its new argv shows (exec has happened). */
static pid_t
spawn_holding(struct fixture *f, const char *arg)
{
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        /* not the test's stdout: the TAP driver waits for that to close */
        int null = open("/dev/null", O_WRONLY);
        dup2(null, STDOUT_FILENO);
        execl(self_exe, self_exe, "--hold", "--unix", arg, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 500 && !vs_process_has_arg(pid, "--hold"); i++) {
        struct timespec ts = { 0, 10000000 };
        nanosleep(&ts, NULL);
    }
    f->child = pid;
    assert_true(vs_process_has_arg(pid, "--hold"));
    return pid;
}

static void
reap_killed(pid_t pid, int sig)
{
    int status;

    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), sig);
}

static void
reap_killed_child(struct fixture *f, int sig)
{
    pid_t pid = f->child;

    f->child = 0;
    reap_killed(pid, sig);
}

static void
test_no_pid_file_is_not_alive(void **state)
{
    struct fixture *f = *state;
    pid_t pid = 1234;

    assert_false(export_alive(&f->e, &pid));
}

static void
test_garbage_pid_file_is_not_alive(void **state)
{
    struct fixture *f = *state;
    pid_t pid;
    FILE *p = fopen(f->e.pid, "w");

    assert_non_null(p);
    fputs("nbdkit\n", p);
    fclose(p);
    assert_false(export_alive(&f->e, &pid));
}

/* The bug this guards against: the export died (kill -9, a crash), its pid
 * file stayed, and the kernel gave the pid to someone else; stopping the
 * export must not send that process SIGTERM. */
static void
test_stranger_with_the_pid_is_left_alone(void **state)
{
    struct fixture *f = *state;
    pid_t stranger = spawn_holding(f, "/somewhere/else.sock"), pid;

    write_pid_file(&f->e, stranger);
    assert_true(vs_process_running(stranger));
    assert_false(export_alive(&f->e, &pid));
    export_stop(&f->e);
    assert_true(vs_process_running(stranger));
    struct stat st;
    assert_int_not_equal(stat(f->e.pid, &st), 0);   /* the stale pid file is gone */
    kill(stranger, SIGKILL);
    reap_killed_child(f, SIGKILL);
}

/* The export itself (its socket's path in its argv) is alive, and stopped
 * with SIGTERM. */
static void
test_the_export_itself_is_stopped(void **state)
{
    struct fixture *f = *state;
    pid_t export = spawn_holding(f, f->e.sock), pid = 0;

    write_pid_file(&f->e, export);
    assert_true(export_alive(&f->e, &pid));
    assert_int_equal(pid, export);
    export_stop(&f->e);
    reap_killed_child(f, SIGTERM);
    assert_false(export_alive(&f->e, &pid));
}

int
main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--hold") == 0) {
        for (;;)
            pause();
    }
    ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    if (n <= 0) {
        perror("readlink /proc/self/exe");
        return 1;
    }
    self_exe[n] = '\0';
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_pid_file_is_not_alive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_pid_file_is_not_alive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stranger_with_the_pid_is_left_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_export_itself_is_stopped, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
