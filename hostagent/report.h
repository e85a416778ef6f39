/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/report.h: a compatibility report, one line per check.
 *
 * On the wire each line is a CHECK record (message.h): its name, pass, the
 * failure's code and the reason, each a field of its own; the source host
 * merges the destination's lines into its own report. Pure. */
#ifndef VSM_HOSTAGENT_REPORT_H
#define VSM_HOSTAGENT_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/error.h"
#include "hostagent/message.h"

#define REPORT_MAX 128
#define REPORT_NAME_MAX 64
#define REPORT_TEXT_MAX 1024

struct report_line {
    char name[REPORT_NAME_MAX];
    bool pass;
    enum vs_errcode code;          /* what kind of failure (for the reply's result) */
    char text[REPORT_TEXT_MAX];
    bool has_value;
    uint64_t value;                /* the check's figure, typed (memory: free MiB there) */
};

struct report {
    struct report_line lines[REPORT_MAX];
    size_t n;
};

void report_add(struct report *r, const char *name, bool pass, enum vs_errcode code,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Give the last line added its figure (the memory check: free MiB). */
void report_set_value(struct report *r, uint64_t value);
size_t report_failures(const struct report *r);
/* The first failure's code, VS_OK when everything passed. */
enum vs_errcode report_result(const struct report *r);
/* "2 of 9 checks failed: delegation, network lan" or "all 9 checks passed". */
void report_summary(const struct report *r, char *buf, size_t len);

/* As CHECK records of a message being written. */
bool report_to_message(const struct report *r, struct vs_writer *w);
/* Append a message's CHECK records; false with err for a record without a
 * name or a verdict, or whose failure has no code. */
bool report_from_message(struct report *r, const struct vsm_message *m, struct vs_error *err);

#endif
