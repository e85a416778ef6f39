/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <config.h>

#include "crashtrace.h"

#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define CRASHTRACE_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CRASHTRACE_OFF 1
#endif
#endif

#ifndef CRASHTRACE_OFF
static const char *crash_program = "program";

static void
say(const char *s)
{
    ssize_t ignored = write(STDERR_FILENO, s, strlen(s));
    (void)ignored;
}

static void
on_fatal_signal(int sig)
{
    void *frames[64];
    int n = backtrace(frames, 64);
    const char *name = sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS" :
                       sig == SIGFPE ? "SIGFPE" : sig == SIGILL ? "SIGILL" : "SIGABRT";

    say(crash_program);
    say(": died of ");
    say(name);
    say(", a bug: the stack follows (addr2line -f -e PROGRAM +OFFSET names each line); "
        "please report it with this log\n");
    backtrace_symbols_fd(frames, n, STDERR_FILENO);
    /* SA_RESETHAND put the default back: the signal ends the process as it
     * would have without us */
    raise(sig);
}

/* Room for the handler (backtrace unwinds from here): glibc's SIGSTKSZ is
 * too tight for the unwinder. */
#define SIGNAL_STACK_SIZE (64 * 1024)

/* The calling thread's own stack for the handler. A stack overflow's
 * SIGSEGV finds no room left on the thread's stack: without one the
 * handler cannot run, and the process dies without a word. NULL if none
 * could be had: the handler then runs on the thread's stack, as before. */
static void *
signal_stack_begin(void)
{
    stack_t ss;
    void *mem = mmap(NULL, SIGNAL_STACK_SIZE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

    if (mem == MAP_FAILED)
        return NULL;
    memset(&ss, 0, sizeof ss);
    ss.ss_sp = mem;
    ss.ss_size = SIGNAL_STACK_SIZE;
    if (sigaltstack(&ss, NULL) != 0) {
        munmap(mem, SIGNAL_STACK_SIZE);
        return NULL;
    }
    return mem;
}

static void
signal_stack_end(void *mem)
{
    stack_t ss;

    if (mem == NULL)
        return;
    memset(&ss, 0, sizeof ss);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    munmap(mem, SIGNAL_STACK_SIZE);
}

struct traced_thread {
    void *(*run)(void *);
    void *arg;
};

static void *
traced_thread_run(void *p)
{
    struct traced_thread t = *(struct traced_thread *)p;

    free(p);
    void *stack = signal_stack_begin();
    void *ret = t.run(t.arg);
    signal_stack_end(stack);
    return ret;
}
#endif

int
crashtrace_thread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*run)(void *),
                         void *arg)
{
#ifndef CRASHTRACE_OFF
    struct traced_thread *t = malloc(sizeof *t);
    int e;

    if (t == NULL)
        return ENOMEM;
    t->run = run;
    t->arg = arg;
    if ((e = pthread_create(thread, attr, traced_thread_run, t)) != 0)
        free(t);
    return e;
#else
    return pthread_create(thread, attr, run, arg);   /* ASan gives each thread its own */
#endif
}

void
crashtrace_install(const char *program)
{
#ifndef CRASHTRACE_OFF
    static const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
    struct sigaction sa;
    void *warm[1];

    crash_program = program;
    /* the first backtrace loads libgcc, which allocates: never in the handler */
    backtrace(warm, 1);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal_signal;
    sa.sa_flags = SA_RESETHAND | SA_NODEFER | SA_ONSTACK;
    signal_stack_begin();   /* the main thread's, for the process's life */
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        sigaction(fatal[i], &sa, NULL);
#else
    (void)program;
#endif
}
