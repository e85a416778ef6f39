/* SPDX-License-Identifier: GPL-3.0-or-later */
/* common/crashtrace.c: a fatal signal leaves its name and the stack on
 * stderr, and still ends the process by that signal. */
#include <config.h>

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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
/* A frame of 4 KiB a call, used after the call returns (no tail call to
 * turn into a loop); the bound is never reached: the stack ends first. */
static volatile unsigned long recursion_bound = ~0UL;

static unsigned long __attribute__((noinline))
recurse(unsigned long depth)
{
    volatile char frame[4096];

    frame[0] = (char)depth;
    if (depth >= recursion_bound)
        return frame[0];
    return recurse(depth + 1) + frame[0];
}

static void *
overflow_thread(void *arg)
{
    (void)arg;
    recurse(0);
    return NULL;
}

/* What a child does to die, after it installed the trace. */
static void
crash_by_signal(int sig)
{
    if (sig == SIGABRT)
        abort();
    raise(sig);
}

static void
overflow_main_thread(int unused)
{
    /* an unlimited stack would grow into all of memory first */
    struct rlimit lim = { 1024 * 1024, 1024 * 1024 };

    (void)unused;
    if (setrlimit(RLIMIT_STACK, &lim) != 0)
        _exit(3);
    recurse(0);
}

/* in a thread started through the trace, with a small stack as the agent's
 * sessions have */
static void
overflow_a_thread(int unused)
{
    pthread_attr_t attr;
    pthread_t th;

    (void)unused;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    if (crashtrace_thread_create(&th, &attr, overflow_thread, NULL) != 0)
        _exit(2);
    pthread_join(th, NULL);
}

/* die_in_child CRASH ARG: what a child that installed the trace and then
 * ran CRASH(ARG) wrote to stderr (in out), and how it ended */
static int
die_in_child(void (*crash)(int), int arg, char *out, size_t outlen)
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
        crash(arg);
        _exit(0);   /* not reached: the crash ends the child */
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
check_died_of(void (*crash)(int), int sig, const char *name)
{
    char out[16384], want[64];
    int status = die_in_child(crash, sig, out, sizeof out);

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
    check_died_of(crash_by_signal, SIGSEGV, "SIGSEGV");
}

static void
test_abort_names_itself_and_its_stack(void **state)
{
    (void)state;
    check_died_of(crash_by_signal, SIGABRT, "SIGABRT");
}

/* an overflow leaves no room on the thread's stack: the handler runs on
 * the signal stack the trace gave the thread */
static void
test_stack_overflow_in_main_thread_is_traced(void **state)
{
    (void)state;
    check_died_of(overflow_main_thread, SIGSEGV, "SIGSEGV");
}

static void
test_stack_overflow_in_a_thread_is_traced(void **state)
{
    (void)state;
    check_died_of(overflow_a_thread, SIGSEGV, "SIGSEGV");
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

static void *
answer(void *arg)
{
    return (char *)arg + 1;
}

/* a thread started through the trace runs its function with its argument,
 * and pthread_join gets what it returned */
static void
test_thread_create_runs_the_thread(void **state)
{
    static char text[] = "xy";
    pthread_t th;
    void *ret = NULL;

    (void)state;
    assert_int_equal(crashtrace_thread_create(&th, NULL, answer, text), 0);
    assert_int_equal(pthread_join(th, &ret), 0);
    assert_ptr_equal(ret, text + 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#ifndef ASAN_BUILD
        cmocka_unit_test(test_segv_names_itself_and_its_stack),
        cmocka_unit_test(test_abort_names_itself_and_its_stack),
        cmocka_unit_test(test_stack_overflow_in_main_thread_is_traced),
        cmocka_unit_test(test_stack_overflow_in_a_thread_is_traced),
#else
        cmocka_unit_test(test_asan_keeps_its_own_handler),
#endif
        cmocka_unit_test(test_thread_create_runs_the_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
