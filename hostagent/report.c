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

bool
report_to_message(const struct report *r, struct vs_writer *w)
{
    char line[REPORT_NAME_MAX + REPORT_TEXT_MAX + 16];

    for (size_t i = 0; i < r->n; i++) {
        snprintf(line, sizeof line, "%s\t%s: %s", r->lines[i].name,
                 r->lines[i].pass ? "pass" : "fail", r->lines[i].text);
        if (!vsm_message_add_text(w, VSM_TAG_ITEM, line))
            return false;
    }
    return true;
}

bool
report_from_message(struct report *r, const struct vsm_message *m, struct vs_error *err)
{
    for (size_t i = 0; i < m->n; i++) {
        const struct vsm_field *f = &m->fields[i];
        char line[REPORT_NAME_MAX + REPORT_TEXT_MAX + 16];
        char *tab, *verdict;
        bool pass;

        if (f->tag != VSM_TAG_ITEM)
            continue;
        snprintf(line, sizeof line, "%.*s", (int)f->len, (const char *)f->text);
        tab = strchr(line, '\t');
        if (tab == NULL || tab == line) {
            vs_error_set(err, VS_ERR_PROTOCOL, "a report line without a name: '%s'", line);
            return false;
        }
        *tab = '\0';
        verdict = tab + 1;
        if (strncmp(verdict, "pass: ", 6) == 0)
            pass = true;
        else if (strncmp(verdict, "fail: ", 6) == 0)
            pass = false;
        else {
            vs_error_set(err, VS_ERR_PROTOCOL, "the report line '%s' is neither pass nor fail", line);
            return false;
        }
        report_add(r, line, pass,
                   strstr(verdict, "refused") || strstr(verdict, "may not") ? VS_ERR_DENIED
                                                                           : VS_ERR_INVALID,
                   "%s", verdict + 6);
    }
    return true;
}
