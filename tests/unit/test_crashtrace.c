/* SPDX-License-Identifier: GPL-3.0-or-later */
/* common/crashtrace.c: a fatal signal leaves its name and the stack on
 * stderr, and still ends the process by that signal. */
#include <config.h>

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/crashtrace.h"

#if defined(__SANITIZE_ADDRESS__)
#define ASAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN_BUILD 1
#endif
#endif

#ifndef ASAN_BUILD
/* die_in_child SIG: what a child that installed the trace and died of SIG
 * wrote to stderr (in out), and how it ended */
static int
die_in_child(int sig, char *out, size_t outlen)
{
    int p[2], status = 0;
    size_t got = 0;
    ssize_t n;

    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(p[1], STDERR_FILENO);
        close(p[0]);
        crashtrace_install("test_crashtrace");
        if (sig == SIGABRT)
            abort();
        raise(sig);
        _exit(0);   /* not reached: the signal ends the child */
    }
    close(p[1]);
    while (got + 1 < outlen && (n = read(p[0], out + got, outlen - 1 - got)) > 0)
        got += (size_t)n;
    out[got] = '\0';
    close(p[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

static void
check_died_of(int sig, const char *name)
{
    char out[16384], want[64];
    int status = die_in_child(sig, out, sizeof out);

    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), sig);   /* as it would have without the trace */
    snprintf(want, sizeof want, "test_crashtrace: died of %s", name);
    assert_non_null(strstr(out, want));
    /* the head line, then at least two frames (the handler's and the caller's) */
    const char *frames = strchr(out, '\n');
    assert_non_null(frames);
    int lines = 0;
    for (const char *c = frames + 1; *c; c++)
        lines += *c == '\n';
    assert_true(lines >= 2);
}

static void
test_segv_names_itself_and_its_stack(void **state)
{
    (void)state;
    check_died_of(SIGSEGV, "SIGSEGV");
}

static void
test_abort_names_itself_and_its_stack(void **state)
{
    (void)state;
    check_died_of(SIGABRT, "SIGABRT");
}
#else
/* under AddressSanitizer the trace stays out of the way of ASan's report */
static void
test_asan_keeps_its_own_handler(void **state)
{
    struct sigaction before, after;

    (void)state;
    sigaction(SIGSEGV, NULL, &before);
    crashtrace_install("test_crashtrace");
    sigaction(SIGSEGV, NULL, &after);
    assert_true(before.sa_handler == after.sa_handler);
}
#endif

int
main(void)
{
    const struct CMUnitTest tests[] = {
#ifndef ASAN_BUILD
        cmocka_unit_test(test_segv_names_itself_and_its_stack),
        cmocka_unit_test(test_abort_names_itself_and_its_stack),
#else
        cmocka_unit_test(test_asan_keeps_its_own_handler),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
