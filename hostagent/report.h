/* hostagent/report.h: a compatibility report, one line per check.
 *
 * On the wire each line is an ITEM field "name<TAB>pass: reason" or
 * "name<TAB>fail: reason"; the source host merges the destination's lines
 * into its own report. Pure. */
#ifndef VSM_HOSTAGENT_REPORT_H
#define VSM_HOSTAGENT_REPORT_H

#include <stdbool.h>
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
};

struct report {
    struct report_line lines[REPORT_MAX];
    size_t n;
};

void report_add(struct report *r, const char *name, bool pass, enum vs_errcode code,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
size_t report_failures(const struct report *r);
/* The first failure's code, VS_OK when everything passed. */
enum vs_errcode report_result(const struct report *r);
/* "2 of 9 checks failed: delegation, network lan" or "all 9 checks passed". */
void report_summary(const struct report *r, char *buf, size_t len);

/* As ITEM fields of a message being written. */
bool report_to_message(const struct report *r, struct vs_writer *w);
/* Append a message's ITEM lines; false with err for a line that is not
 * "name<TAB>pass|fail: reason". A failed line's code is VS_ERR_INVALID
 * unless the text names a refusal. */
bool report_from_message(struct report *r, const struct vsm_message *m, struct vs_error *err);

#endif
