/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <config.h>

#include "crashtrace.h"

#include <execinfo.h>
#include <signal.h>
#include <string.h>
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
#endif

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
    sa.sa_flags = SA_RESETHAND | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        sigaction(fatal[i], &sa, NULL);
#else
    (void)program;
#endif
}
