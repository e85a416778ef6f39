/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/report.c: compatibility reports. */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hostagent/report.h"

void
report_add(struct report *r, const char *name, bool pass, enum vs_errcode code, const char *fmt, ...)
{
    va_list ap;

    if (r->n >= REPORT_MAX)
        return;
    struct report_line *l = &r->lines[r->n++];
    snprintf(l->name, sizeof l->name, "%s", name);
    /* names may not hold the separator */
    for (char *c = l->name; *c; c++)
        if (*c == '\t' || (unsigned char)*c < 0x20)
            *c = ' ';
    l->pass = pass;
    l->code = pass ? VS_OK : (code == VS_OK ? VS_ERR_INVALID : code);
    va_start(ap, fmt);
    vsnprintf(l->text, sizeof l->text, fmt, ap);
    va_end(ap);
    for (char *c = l->text; *c; c++)
        if ((unsigned char)*c < 0x20)
            *c = ' ';
}

size_t
report_failures(const struct report *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += !r->lines[i].pass;
    return n;
}

enum vs_errcode
report_result(const struct report *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (!r->lines[i].pass)
            return r->lines[i].code;
    return VS_OK;
}

void
report_summary(const struct report *r, char *buf, size_t len)
{
    size_t failed = report_failures(r), used;
    int n;

    if (failed == 0) {
        snprintf(buf, len, "all %zu checks passed", r->n);
        return;
    }
    n = snprintf(buf, len, "%zu of %zu checks failed:", failed, r->n);
    used = n > 0 ? (size_t)n : 0;
    for (size_t i = 0, k = 0; i < r->n && used < len; i++) {
        if (r->lines[i].pass)
            continue;
        n = snprintf(buf + used, len - used, "%s %s", k++ ? "," : "", r->lines[i].name);
        if (n > 0)
            used += (size_t)n;
    }
}

void
report_set_value(struct report *r, uint64_t value)
{
    if (r->n > 0) {
        r->lines[r->n - 1].has_value = true;
        r->lines[r->n - 1].value = value;
    }
}

bool
report_to_message(const struct report *r, struct vs_writer *w)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct report_line *l = &r->lines[i];
        vsm_message_record(w, VSM_RECORD_CHECK);
        vsm_message_add_text(w, VSM_TAG_NAME, l->name);
        vsm_message_add_u64(w, VSM_TAG_PASS, l->pass);
        vsm_message_add_u64(w, VSM_TAG_CODE, (uint64_t)l->code);
        if (l->has_value)
            vsm_message_add_u64(w, VSM_TAG_VALUE, l->value);
        if (!vsm_message_add_text(w, VSM_TAG_TEXT, l->text))
            return false;
    }
    return true;
}

bool
report_from_message(struct report *r, const struct vsm_message *m, struct vs_error *err)
{
    struct vsm_record rec;
    size_t pos = 0;

    while (vsm_record_next(m, &pos, &rec)) {
        char name[REPORT_NAME_MAX], text[REPORT_TEXT_MAX] = "";
        uint64_t pass, code = VS_OK, value;

        if (rec.kind != VSM_RECORD_CHECK)
            continue;
        if (!vsm_record_text(&rec, VSM_TAG_NAME, name, sizeof name) || name[0] == '\0' ||
            !vsm_record_u64(&rec, VSM_TAG_PASS, &pass)) {
            vs_error_set(err, VS_ERR_PROTOCOL, "a check in the report has no name or no verdict");
            return false;
        }
        vsm_record_text(&rec, VSM_TAG_TEXT, text, sizeof text);
        if (!pass && (!vsm_record_u64(&rec, VSM_TAG_CODE, &code) || code == VS_OK ||
                      code >= VS_ERR__COUNT)) {
            vs_error_set(err, VS_ERR_PROTOCOL, "the failed check '%s' carries no error code", name);
            return false;
        }
        report_add(r, name, pass != 0, (enum vs_errcode)code, "%s", text);
        if (vsm_record_u64(&rec, VSM_TAG_VALUE, &value))
            report_set_value(r, value);
    }
    return true;
}
