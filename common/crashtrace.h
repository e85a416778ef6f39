/* SPDX-License-Identifier: GPL-3.0-or-later */
/* crashtrace: a program that dies of a fatal signal (a crash, an abort)
 * writes which signal and its stack to stderr first, so that its log says
 * where it died instead of simply stopping.
 *
 * Contract: call crashtrace_install once, early, from the main thread.
 * The handler writes only with async-signal-safe calls, then lets the signal
 * end the process as it would have (a core where cores are on). Builds with
 * AddressSanitizer keep ASan's own, better report: there it does nothing.
 *
 * A stack overflow leaves no room on the thread's stack for the handler,
 * so it runs on a signal stack of the thread's own: crashtrace_install
 * gives the main thread one, and a thread started with
 * crashtrace_thread_create (pthread_create's arguments and result) gets
 * one before it runs, freed when it returns. A thread started otherwise
 * still gets the trace of any crash but a stack overflow. */
#ifndef VSM_CRASHTRACE_H
#define VSM_CRASHTRACE_H

#include <pthread.h>

void crashtrace_install(const char *program);
int crashtrace_thread_create(pthread_t *thread, const pthread_attr_t *attr,
                             void *(*run)(void *), void *arg);

#endif
