/* SPDX-License-Identifier: GPL-3.0-or-later */
/* crashtrace: a program that dies of a fatal signal (a crash, an abort)
 * writes which signal and its stack to stderr first, so that its log says
 * where it died instead of simply stopping.
 *
 * Contract: call crashtrace_install once, early, from the main thread.
 * The handler writes only with async-signal-safe calls, then lets the signal
 * end the process as it would have (a core where cores are on). Builds with
 * AddressSanitizer keep ASan's own, better report: there it does nothing. */
#ifndef VSM_CRASHTRACE_H
#define VSM_CRASHTRACE_H

void crashtrace_install(const char *program);

#endif
