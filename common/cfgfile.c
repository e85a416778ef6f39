/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vsmigrate: typed INI-style configuration files. See cfgfile.h for the format. */
#include <config.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfgfile.h"

struct cfg_value {
    bool set;            /* from the file, not a default */
    bool has_value;      /* from the file or a default */
    unsigned line;
    long long num;       /* int, duration, size */
    bool flag;
    char *str;           /* string, enum */
    struct cfg_cidr *cidrs;
    char **names;
    size_t count;
};

struct cfg {
    const struct cfg_key *schema;
    size_t nkeys;
    struct cfg_value *values;
};

/* ---- diagnostics ------------------------------------------------------ */

struct parse_state {
    const char *name;       /* file name, for messages */
    unsigned line;
    struct cfg_diag *diag;
    size_t errors;
    bool too_many;
};

static void
diag_add(struct cfg_diag *diag, const char *text)
{
    char **grown;
    char *copy;

    if (diag == NULL)
        return;
    copy = strdup(text);
    grown = realloc(diag->lines, (diag->n + 1) * sizeof *grown);
    if (copy == NULL || grown == NULL) {
        free(copy);
        if (grown != NULL)
            diag->lines = grown;
        return;
    }
    diag->lines = grown;
    diag->lines[diag->n++] = copy;
}

static void __attribute__((format(printf, 2, 3)))
parse_error(struct parse_state *ps, const char *fmt, ...)
{
    char msg[CFG_LINE_MAX + 256];
    char full[sizeof msg + 256];
    va_list ap;

    ps->errors++;
    if (ps->errors > CFG_ERRORS_MAX) {
        if (!ps->too_many) {
            snprintf(full, sizeof full, "%s: more than %d errors; fix these first", ps->name,
                     CFG_ERRORS_MAX);
            diag_add(ps->diag, full);
            ps->too_many = true;
        }
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (ps->line > 0)
        snprintf(full, sizeof full, "%s:%u: %s", ps->name, ps->line, msg);
    else
        snprintf(full, sizeof full, "%s: %s", ps->name, msg);
    diag_add(ps->diag, full);
}

void
cfg_diag_free(struct cfg_diag *diag)
{
    if (diag == NULL)
        return;
    for (size_t i = 0; i < diag->n; i++)
        free(diag->lines[i]);
    free(diag->lines);
    diag->lines = NULL;
    diag->n = 0;
}

/* ---- small helpers ----------------------------------------------------- */

static const char *
type_name(enum cfg_type t)
{
    switch (t) {
    case CFG_STRING: return "string";
    case CFG_INT: return "integer";
    case CFG_BOOL: return "boolean";
    case CFG_ENUM: return "choice";
    case CFG_DURATION: return "duration";
    case CFG_SIZE: return "size";
    case CFG_CIDRS: return "network list";
    case CFG_PRINCIPALS: return "principal list";
    case CFG_NAMES: return "name list";
    }
    return "?";
}

static char *
trim(char *s)
{
    char *end;

    while (*s == ' ' || *s == '\t')
        s++;
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
        *--end = '\0';
    return s;
}

static bool
is_name_char(int c)
{
    return isalnum(c) || c == '_' || c == '-' || c == '.';
}

static bool
valid_name(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!is_name_char((unsigned char)*s))
            return false;
    return true;
}

static void
value_clear(struct cfg_value *v)
{
    free(v->str);
    free(v->cidrs);
    for (size_t i = 0; v->names != NULL && i < v->count; i++)
        free(v->names[i]);
    free(v->names);
    memset(v, 0, sizeof *v);
}

static long long
list_max(const struct cfg_key *k)
{
    return k->max > 0 ? k->max : CFG_LIST_MAX;
}

/* ---- value parsers: each returns false after one parse_error ---------- */

/* Unquote a value written as "..." in place; the only escapes are \" and \\,
 * so that Windows names like "LAB\VM Admins" need no doubling. */
static bool
unquote(struct parse_state *ps, char *s, const char *what)
{
    size_t len = strlen(s);
    char *in, *out;

    if (len == 0 || s[0] != '"')
        return true;
    if (len < 2 || s[len - 1] != '"') {
        parse_error(ps, "%s: unterminated quoted string; end it with \"", what);
        return false;
    }
    s[len - 1] = '\0';
    for (in = s + 1, out = s; *in; in++) {
        if (in[0] == '\\' && (in[1] == '"' || in[1] == '\\'))
            in++;
        else if (in[0] == '"') {
            parse_error(ps, "%s: a quote inside a quoted string must be written \\\"", what);
            return false;
        }
        *out++ = *in;
    }
    *out = '\0';
    return true;
}

static bool
parse_string(struct parse_state *ps, const struct cfg_key *k, char *raw, struct cfg_value *v)
{
    long long max = k->max > 0 ? k->max : CFG_STRING_MAX;

    if (!unquote(ps, raw, k->name))
        return false;
    if ((long long)strlen(raw) > max) {
        parse_error(ps, "%s: value is %zu characters long; at most %lld are allowed", k->name,
                    strlen(raw), max);
        return false;
    }
    v->str = strdup(raw);
    if (v->str == NULL) {
        parse_error(ps, "out of memory");
        return false;
    }
    return true;
}

static bool
parse_number(const char *s, long long *out, const char **end)
{
    char *e;
    long long n;

    if (!isdigit((unsigned char)s[0]) && !((s[0] == '-' || s[0] == '+') && isdigit((unsigned char)s[1])))
        return false;
    errno = 0;
    n = strtoll(s, &e, 10);
    if (errno == ERANGE)
        return false;
    *out = n;
    *end = e;
    return true;
}

static bool
check_range(struct parse_state *ps, const struct cfg_key *k, long long n, const char *raw,
            const char *unit)
{
    if (k->min == 0 && k->max == 0)
        return true;
    if (n < k->min || n > k->max) {
        parse_error(ps, "%s: %s is out of range; it must be between %lld%s and %lld%s", k->name,
                    raw, k->min, unit, k->max, unit);
        return false;
    }
    return true;
}

static bool
parse_int(struct parse_state *ps, const struct cfg_key *k, char *raw, struct cfg_value *v)
{
    const char *end;
    long long n;

    if (!parse_number(raw, &n, &end) || *end != '\0') {
        parse_error(ps, "%s: '%s' is not a whole number", k->name, raw);
        return false;
    }
    if (!check_range(ps, k, n, raw, ""))
        return false;
    v->num = n;
    return true;
}

static bool
parse_bool(struct parse_state *ps, const struct cfg_key *k, char *raw, struct cfg_value *v)
{
    static const char *const yes[] = { "yes", "true", "on", "1" };
    static const char *const no[] = { "no", "false", "off", "0" };

    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(raw, yes[i]) == 0) {
            v->flag = true;
            return true;
        }
        if (strcasecmp(raw, no[i]) == 0) {
            v->flag = false;
            return true;
        }
    }
    parse_error(ps, "%s: '%s' is not a boolean; write yes or no", k->name, raw);
    return false;
}

static bool
parse_enum(struct parse_state *ps, const struct cfg_key *k, char *raw, struct cfg_value *v)
{
    const char *c = k->choices;
    size_t len = strlen(raw);

    while (c != NULL && *c) {
        const char *bar = strchr(c, '|');
        size_t clen = bar ? (size_t)(bar - c) : strlen(c);

        if (clen == len && strncmp(c, raw, len) == 0) {
            v->str = strdup(raw);
            if (v->str == NULL) {
                parse_error(ps, "out of memory");
                return false;
            }
            return true;
        }
        c = bar ? bar + 1 : NULL;
    }
    parse_error(ps, "%s: '%s' is not one of: %s", k->name, raw, k->choices ? k->choices : "");
    return false;
}

/* Multiply-add with overflow checks; false on overflow. */
static bool
scaled_add(long long *acc, long long n, long long scale)
{
    long long product;

    if (__builtin_mul_overflow(n, scale, &product))
        return false;
    return !__builtin_add_overflow(*acc, product, acc);
}

enum duration_fault { DURATION_OK, DURATION_EMPTY, DURATION_BAD, DURATION_NO_UNIT, DURATION_OVERFLOW };

/* "250ms", "30s", "1h30m", "2d" or "0", in milliseconds. */
static enum duration_fault
duration_ms(const char *p, long long *out)
{
    static const struct { const char *unit; long long ms; } units[] = {
        { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 },
    };
    long long total = 0;

    if (strcmp(p, "0") == 0) {
        *out = 0;
        return DURATION_OK;
    }
    if (*p == '\0')
        return DURATION_EMPTY;
    while (*p) {
        const char *end;
        long long n;
        size_t i;

        if (*p == '-' || *p == '+' || !parse_number(p, &n, &end))
            return DURATION_BAD;
        for (i = 0; i < sizeof units / sizeof units[0]; i++) {
            size_t ulen = strlen(units[i].unit);
            /* "m" must not swallow the "m" of "ms" */
            if (strncmp(end, units[i].unit, ulen) == 0 &&
                !(ulen == 1 && end[0] == 'm' && end[1] == 's'))
                break;
        }
        if (i == sizeof units / sizeof units[0])
            return DURATION_NO_UNIT;
        if (!scaled_add(&total, n, units[i].ms))
            return DURATION_OVERFLOW;
        p = end + strlen(units[i].unit);
    }
    *out = total;
    return DURATION_OK;
}

bool
cfg_parse_duration_ms(const char *text, long long *ms)
{
    return duration_ms(text, ms) == DURATION_OK;
}

static bool
parse_duration(struct parse_state *ps, const struct cfg_key *k, char *raw, struct cfg_value *v)
{
    long long total = 0;

    switch (duration_ms(raw, &total)) {
    case DURATION_OK:
        break;
    case DURATION_EMPTY:
        parse_error(ps, "%s: a duration is needed, e.g. 30s", k->name);
        return false;
    case DURATION_BAD:
        parse_error(ps, "%s: '%s' is not a duration; write e.g. 250ms, 30s, 5m, 1h30m or 2d",
                    k->name, raw);
        return false;
    case DURATION_NO_UNIT:
        parse_error(ps, "%s: '%s' needs a unit after each number: ms, s, m, h or d (e.g. 30s)",
                    k->name, raw);
        return false;
    case DURATION_OVERFLOW:
        parse_error(ps, "%s: '%s' is too long a duration", k->name, raw);
        return false;
    }
    if (!check_range(ps, k, total, raw, "ms"))
        return false;
    v->num = total;
    return true;
}

static bool
parse_size(struct parse_state *ps, const struct cfg_key *k, char *raw, struct cfg_value *v)
{
    static const struct { const char *unit; long long scale; } units[] = {
        { "", 1 }, { "B", 1 },
        { "K", 1LL << 10 }, { "KiB", 1LL << 10 },
        { "M", 1LL << 20 }, { "MiB", 1LL << 20 },
        { "G", 1LL << 30 }, { "GiB", 1LL << 30 },
        { "T", 1LL << 40 }, { "TiB", 1LL << 40 },
    };
    const char *end;
    long long n, total = 0;
    char unit[8];
    size_t i;

    if (raw[0] == '-' || !parse_number(raw, &n, &end)) {
        parse_error(ps, "%s: '%s' is not a size; write e.g. 4096, 64K, 512MiB or 2G", k->name, raw);
        return false;
    }
    while (*end == ' ')
        end++;
    if (strlen(end) >= sizeof unit) {
        parse_error(ps, "%s: '%s' has an unknown unit; use B, K/KiB, M/MiB, G/GiB or T/TiB",
                    k->name, raw);
        return false;
    }
    strcpy(unit, end);
    for (i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcasecmp(unit, units[i].unit) == 0)
            break;
    if (i == sizeof units / sizeof units[0]) {
        if (strcasecmp(unit, "KB") == 0 || strcasecmp(unit, "MB") == 0 ||
            strcasecmp(unit, "GB") == 0 || strcasecmp(unit, "TB") == 0)
            parse_error(ps, "%s: '%s' is ambiguous (1000 or 1024?); sizes are binary: write %.1siB",
                        k->name, raw, unit);
        else
            parse_error(ps, "%s: '%s' has an unknown unit; use B, K/KiB, M/MiB, G/GiB or T/TiB",
                        k->name, raw);
        return false;
    }
    if (!scaled_add(&total, n, units[i].scale)) {
        parse_error(ps, "%s: '%s' is too large", k->name, raw);
        return false;
    }
    if (!check_range(ps, k, total, raw, " bytes"))
        return false;
    v->num = total;
    return true;
}

/* Split a list value on commas outside quotes (and, for CIDRs, whitespace).
 * Calls item() for each trimmed, unquoted, non-empty item. */
static bool
split_list(struct parse_state *ps, const struct cfg_key *k, char *raw, bool space_splits,
           bool (*item)(struct parse_state *, const struct cfg_key *, char *, struct cfg_value *),
           struct cfg_value *v)
{
    char *p = raw;

    while (*p) {
        bool quoted = false;
        char *start = p, *it;

        while (*p) {
            if (*p == '"' && (p == start || p[-1] != '\\'))
                quoted = !quoted;
            else if (!quoted && (*p == ',' || (space_splits && (*p == ' ' || *p == '\t'))))
                break;
            p++;
        }
        if (*p)
            *p++ = '\0';
        it = trim(start);
        if (*it == '\0') {
            if (*p == '\0' && space_splits)
                break;
            if (!space_splits) {
                parse_error(ps, "%s: empty item in the list (two commas in a row?)", k->name);
                return false;
            }
            continue;
        }
        if (!unquote(ps, it, k->name))
            return false;
        if ((long long)v->count >= list_max(k)) {
            parse_error(ps, "%s: more than %lld items", k->name, list_max(k));
            return false;
        }
        if (!item(ps, k, it, v))
            return false;
    }
    return true;
}

static bool
cidr_item(struct parse_state *ps, const struct cfg_key *k, char *s, struct cfg_value *v)
{
    struct cfg_cidr c = { 0 };
    char *slash = strchr(s, '/');
    unsigned bits;
    struct cfg_cidr *grown;

    if (slash != NULL)
        *slash = '\0';
    if (inet_pton(AF_INET, s, c.addr) == 1) {
        c.family = AF_INET;
        bits = 32;
    } else if (inet_pton(AF_INET6, s, c.addr) == 1) {
        c.family = AF_INET6;
        bits = 128;
    } else {
        parse_error(ps, "%s: '%s' is not an IPv4 or IPv6 address", k->name, s);
        return false;
    }
    c.prefix = bits;
    if (slash != NULL) {
        const char *end;
        long long n;

        if (!parse_number(slash + 1, &n, &end) || *end != '\0' || slash[1] == '-' ||
            slash[1] == '+' || n < 0 || n > bits) {
            parse_error(ps, "%s: '%s/%s' has a bad prefix length; use 0 to %u", k->name, s,
                        slash + 1, bits);
            return false;
        }
        c.prefix = (unsigned)n;
    }
    for (unsigned b = c.prefix; b < bits; b++) {
        if (c.addr[b / 8] & (0x80 >> (b % 8))) {
            char net[INET6_ADDRSTRLEN];
            struct cfg_cidr fixed = c;

            for (unsigned z = c.prefix; z < bits; z++)
                fixed.addr[z / 8] &= (uint8_t)~(0x80 >> (z % 8));
            inet_ntop(c.family, fixed.addr, net, sizeof net);
            parse_error(ps, "%s: '%s/%u' has host bits set; did you mean %s/%u?", k->name, s,
                        c.prefix, net, c.prefix);
            return false;
        }
    }
    grown = realloc(v->cidrs, (v->count + 1) * sizeof *grown);
    if (grown == NULL) {
        parse_error(ps, "out of memory");
        return false;
    }
    v->cidrs = grown;
    v->cidrs[v->count++] = c;
    return true;
}

static bool
append_name(struct parse_state *ps, struct cfg_value *v, const char *s)
{
    char **grown = realloc(v->names, (v->count + 1) * sizeof *grown);
    char *copy;

    if (grown == NULL) {
        parse_error(ps, "out of memory");
        return false;
    }
    v->names = grown;
    copy = strdup(s);
    if (copy == NULL) {
        parse_error(ps, "out of memory");
        return false;
    }
    v->names[v->count++] = copy;
    return true;
}

static bool
name_item(struct parse_state *ps, const struct cfg_key *k, char *s, struct cfg_value *v)
{
    if (strlen(s) > 256) {
        parse_error(ps, "%s: a name is longer than 256 characters", k->name);
        return false;
    }
    return append_name(ps, v, s);
}

/* name@REALM, where name may hold '/' components (service principals). */
static bool
principal_item(struct parse_state *ps, const struct cfg_key *k, char *s, struct cfg_value *v)
{
    const char *at = strrchr(s, '@');

    if (at == NULL || at == s || at[1] == '\0') {
        parse_error(ps, "%s: '%s' is not a Kerberos principal; write name@REALM, e.g. admin@LAB.TEST",
                    k->name, s);
        return false;
    }
    for (const char *p = s; *p; p++) {
        if (*p == ' ' || *p == '\t' || (p > at && *p == '/')) {
            parse_error(ps, "%s: '%s' is not a Kerberos principal; write name@REALM, e.g. admin@LAB.TEST",
                        k->name, s);
            return false;
        }
    }
    if (strlen(s) > 256) {
        parse_error(ps, "%s: a principal is longer than 256 characters", k->name);
        return false;
    }
    return append_name(ps, v, s);
}

static bool
parse_value(struct parse_state *ps, const struct cfg_key *k, char *raw, struct cfg_value *v)
{
    switch (k->type) {
    case CFG_STRING:
        return parse_string(ps, k, raw, v);
    case CFG_CIDRS:
        return split_list(ps, k, raw, true, cidr_item, v);
    case CFG_PRINCIPALS:
        return split_list(ps, k, raw, false, principal_item, v);
    case CFG_NAMES:
        return split_list(ps, k, raw, false, name_item, v);
    default:
        break;
    }
    /* scalars: optional quotes, then a non-empty value */
    if (!unquote(ps, raw, k->name))
        return false;
    if (*raw == '\0') {
        parse_error(ps, "%s: a value is needed (%s)", k->name, type_name(k->type));
        return false;
    }
    switch (k->type) {
    case CFG_INT: return parse_int(ps, k, raw, v);
    case CFG_BOOL: return parse_bool(ps, k, raw, v);
    case CFG_ENUM: return parse_enum(ps, k, raw, v);
    case CFG_DURATION: return parse_duration(ps, k, raw, v);
    case CFG_SIZE: return parse_size(ps, k, raw, v);
    default: break;
    }
    parse_error(ps, "%s: internal error: unknown type", k->name);
    return false;
}

/* ---- lines -------------------------------------------------------------- */

static const struct cfg_key *
find_key(const struct cfg_key *schema, size_t nkeys, const char *section, const char *name,
         size_t *index)
{
    for (size_t i = 0; i < nkeys; i++) {
        if (strcmp(schema[i].section, section) == 0 && strcmp(schema[i].name, name) == 0) {
            if (index)
                *index = i;
            return &schema[i];
        }
    }
    return NULL;
}

static bool
section_known(const struct cfg_key *schema, size_t nkeys, const char *section)
{
    for (size_t i = 0; i < nkeys; i++)
        if (strcmp(schema[i].section, section) == 0)
            return true;
    return false;
}

/* Cut an inline comment: '#' or ';' outside quotes, at the start or after
 * whitespace (so that "a#b" stays a value). */
static void
strip_comment(char *s)
{
    bool quoted = false;

    for (char *p = s; *p; p++) {
        if (*p == '\\' && quoted && (p[1] == '"' || p[1] == '\\')) {
            p++;
            continue;
        }
        if (*p == '"')
            quoted = !quoted;
        else if (!quoted && (*p == '#' || *p == ';') && (p == s || p[-1] == ' ' || p[-1] == '\t')) {
            *p = '\0';
            return;
        }
    }
}

struct section_state {
    char name[CFG_LINE_MAX];
    bool active;       /* a section header was seen */
    bool skip;         /* unknown or optional section: its keys are not checked */
};

static void
parse_line(struct parse_state *ps, struct cfg *cfg, struct section_state *sec, char *line)
{
    char *s = trim(line);
    char *eq, *key, *value;
    bool optional = false;
    const struct cfg_key *k;
    size_t idx;
    struct cfg_value fresh = { 0 };

    if (*s == '\0' || *s == '#' || *s == ';')
        return;

    if (*s == '[') {
        char *close = strchr(s, ']');
        char *name, *rest;

        if (close == NULL) {
            parse_error(ps, "section header without ']'");
            sec->active = true;
            sec->skip = true;
            return;
        }
        *close = '\0';
        rest = close + 1;
        strip_comment(rest);
        name = trim(s + 1);
        sec->active = true;
        sec->skip = false;
        if (*trim(rest) != '\0') {
            parse_error(ps, "unexpected text after [%s]", name);
            sec->skip = true;
            return;
        }
        if (*name == '?') {
            optional = true;
            name = trim(name + 1);
        }
        if (!valid_name(name)) {
            parse_error(ps, "'[%s]' is not a valid section name (letters, digits, '_', '-', '.')", name);
            sec->skip = true;
            return;
        }
        snprintf(sec->name, sizeof sec->name, "%s", name);
        if (!section_known(cfg->schema, cfg->nkeys, name)) {
            if (!optional)
                parse_error(ps, "unknown section [%s] (mark it [?%s] if it is meant for a newer version)",
                            name, name);
            sec->skip = true;
        }
        return;
    }

    eq = strchr(s, '=');
    if (eq == NULL) {
        parse_error(ps, "expected 'key = value', '[section]' or a comment, found '%.60s'", s);
        return;
    }
    *eq = '\0';
    key = trim(s);
    value = eq + 1;
    strip_comment(value);
    value = trim(value);
    if (*key == '?') {
        optional = true;
        key = trim(key + 1);
    }
    if (!valid_name(key)) {
        parse_error(ps, "'%.60s' is not a valid key name (letters, digits, '_', '-', '.')", key);
        return;
    }
    if (!sec->active) {
        parse_error(ps, "'%s' comes before any [section]; put it under the section it belongs to", key);
        return;
    }
    if (sec->skip)
        return;
    k = find_key(cfg->schema, cfg->nkeys, sec->name, key, &idx);
    if (k == NULL) {
        if (!optional)
            parse_error(ps, "unknown key '%s' in [%s] (mark it '?%s' if it is meant for a newer version)",
                        key, sec->name, key);
        return;
    }
    if (cfg->values[idx].set) {
        parse_error(ps, "'%s' in [%s] is set twice; it was already set on line %u", key, sec->name,
                    cfg->values[idx].line);
        return;
    }
    if (!parse_value(ps, k, value, &fresh)) {
        value_clear(&fresh);
        /* Remember the line anyway so a second setting is reported too. */
        cfg->values[idx].set = true;
        cfg->values[idx].line = ps->line;
        return;
    }
    value_clear(&cfg->values[idx]);
    cfg->values[idx] = fresh;
    cfg->values[idx].set = true;
    cfg->values[idx].has_value = true;
    cfg->values[idx].line = ps->line;
}

/* ---- entry points ------------------------------------------------------- */

void
cfg_free(struct cfg *cfg)
{
    if (cfg == NULL)
        return;
    for (size_t i = 0; i < cfg->nkeys; i++)
        value_clear(&cfg->values[i]);
    free(cfg->values);
    free(cfg);
}

static bool
apply_defaults(struct parse_state *ps, struct cfg *cfg)
{
    bool ok = true;

    ps->line = 0;
    for (size_t i = 0; i < cfg->nkeys; i++) {
        const struct cfg_key *k = &cfg->schema[i];
        struct cfg_value *v = &cfg->values[i];

        if (v->set)
            continue;
        if (k->flags & CFG_REQUIRED) {
            parse_error(ps, "'%s' in [%s] is required but not set", k->name, k->section);
            ok = false;
            continue;
        }
        if (k->def != NULL) {
            char *copy = strdup(k->def);
            struct cfg_value fresh = { 0 };

            if (copy == NULL || !parse_value(ps, k, copy, &fresh)) {
                if (copy == NULL)
                    parse_error(ps, "out of memory");
                value_clear(&fresh);
                ok = false;
            } else {
                *v = fresh;
                v->has_value = true;
            }
            free(copy);
        }
    }
    return ok;
}

struct cfg *
cfg_parse_buffer(const char *name, const char *data, size_t len, const struct cfg_key *schema,
                 size_t nkeys, struct cfg_diag *diag)
{
    struct parse_state ps = { .name = name, .diag = diag };
    struct section_state *sec;
    struct cfg *cfg;
    char *line;
    size_t pos = 0;

    if (len > CFG_FILE_MAX) {
        parse_error(&ps, "file is larger than %d bytes; is it really a config file?", CFG_FILE_MAX);
        return NULL;
    }
    cfg = calloc(1, sizeof *cfg);
    sec = calloc(1, sizeof *sec);
    line = malloc(CFG_LINE_MAX + 1);
    if (cfg == NULL || sec == NULL || line == NULL ||
        (cfg->values = calloc(nkeys ? nkeys : 1, sizeof *cfg->values)) == NULL) {
        parse_error(&ps, "out of memory");
        free(line);
        free(sec);
        cfg_free(cfg);
        return NULL;
    }
    cfg->schema = schema;
    cfg->nkeys = nkeys;

    while (pos < len) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) : len;
        size_t n = end - pos;
        bool bad = false;

        ps.line++;
        if (n > 0 && data[pos + n - 1] == '\r')
            n--;
        if (n > CFG_LINE_MAX) {
            parse_error(&ps, "line is longer than %d characters", CFG_LINE_MAX);
            bad = true;
        } else {
            for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)data[pos + i];
                if ((c < 0x20 && c != '\t') || c == 0x7f) {
                    parse_error(&ps, "control character 0x%02x at column %zu; config files are text",
                                c, i + 1);
                    bad = true;
                    break;
                }
            }
        }
        if (!bad) {
            memcpy(line, data + pos, n);
            line[n] = '\0';
            parse_line(&ps, cfg, sec, line);
        }
        pos = end + 1;
    }
    free(line);
    free(sec);

    if (ps.errors == 0)
        apply_defaults(&ps, cfg);
    if (ps.errors > 0) {
        cfg_free(cfg);
        return NULL;
    }
    return cfg;
}

struct cfg *
cfg_parse_file(const char *path, const struct cfg_key *schema, size_t nkeys, struct cfg_diag *diag)
{
    struct parse_state ps = { .name = path, .diag = diag };
    struct stat st;
    struct cfg *cfg;
    char *data;
    ssize_t got;
    size_t total = 0;
    int fd;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        parse_error(&ps, "cannot open: %s%s", strerror(errno),
                    errno == ENOENT ? " (create it, or give another file with --config)" :
                    errno == EACCES ? " (run as root, or make it readable)" : "");
        return NULL;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        parse_error(&ps, "not a regular file");
        close(fd);
        return NULL;
    }
    if (st.st_size > CFG_FILE_MAX) {
        parse_error(&ps, "file is larger than %d bytes; is it really a config file?", CFG_FILE_MAX);
        close(fd);
        return NULL;
    }
    data = malloc((size_t)st.st_size + 1);
    if (data == NULL) {
        parse_error(&ps, "out of memory");
        close(fd);
        return NULL;
    }
    while (total < (size_t)st.st_size &&
           (got = read(fd, data + total, (size_t)st.st_size - total)) != 0) {
        if (got < 0) {
            if (errno == EINTR)
                continue;
            parse_error(&ps, "read failed: %s", strerror(errno));
            free(data);
            close(fd);
            return NULL;
        }
        total += (size_t)got;
    }
    close(fd);
    cfg = cfg_parse_buffer(path, data, total, schema, nkeys, diag);
    free(data);
    return cfg;
}

bool
cfg_schema_check(const struct cfg_key *schema, size_t nkeys, struct cfg_diag *diag)
{
    struct parse_state ps = { .name = "schema", .diag = diag };

    for (size_t i = 0; i < nkeys; i++) {
        const struct cfg_key *k = &schema[i];
        size_t first;

        if (!valid_name(k->section) || !valid_name(k->name))
            parse_error(&ps, "[%s] %s: invalid section or key name", k->section, k->name);
        if (find_key(schema, nkeys, k->section, k->name, &first) && first != i)
            parse_error(&ps, "[%s] %s: listed twice", k->section, k->name);
        if (k->min > k->max)
            parse_error(&ps, "[%s] %s: min %lld is above max %lld", k->section, k->name, k->min, k->max);
        if (k->type == CFG_ENUM && (k->choices == NULL || *k->choices == '\0'))
            parse_error(&ps, "[%s] %s: a choice key needs choices", k->section, k->name);
        if ((k->flags & CFG_REQUIRED) && k->def != NULL)
            parse_error(&ps, "[%s] %s: a required key cannot have a default", k->section, k->name);
        if (k->def != NULL) {
            struct cfg_value v = { 0 };
            char *copy = strdup(k->def);

            if (copy == NULL || !parse_value(&ps, k, copy, &v))
                parse_error(&ps, "[%s] %s: the default '%s' does not parse", k->section, k->name, k->def);
            value_clear(&v);
            free(copy);
        }
    }
    return ps.errors == 0;
}

/* ---- getters ------------------------------------------------------------ */

static const struct cfg_value *
lookup(const struct cfg *cfg, const char *section, const char *name, enum cfg_type t1,
       enum cfg_type t2)
{
    size_t idx;
    const struct cfg_key *k = find_key(cfg->schema, cfg->nkeys, section, name, &idx);

    if (k == NULL || (k->type != t1 && k->type != t2)) {
        fprintf(stderr, "internal error: config key [%s] %s is not in the schema as a %s\n",
                section, name, type_name(t1));
        abort();
    }
    return &cfg->values[idx];
}

bool
cfg_is_set(const struct cfg *cfg, const char *section, const char *name)
{
    size_t idx;

    if (!find_key(cfg->schema, cfg->nkeys, section, name, &idx))
        abort();
    return cfg->values[idx].set;
}

unsigned
cfg_line_of(const struct cfg *cfg, const char *section, const char *name)
{
    size_t idx;

    if (!find_key(cfg->schema, cfg->nkeys, section, name, &idx))
        abort();
    return cfg->values[idx].line;
}

const char *
cfg_string(const struct cfg *cfg, const char *section, const char *name)
{
    return lookup(cfg, section, name, CFG_STRING, CFG_STRING)->str;
}

long long
cfg_int(const struct cfg *cfg, const char *section, const char *name)
{
    return lookup(cfg, section, name, CFG_INT, CFG_INT)->num;
}

bool
cfg_bool(const struct cfg *cfg, const char *section, const char *name)
{
    return lookup(cfg, section, name, CFG_BOOL, CFG_BOOL)->flag;
}

const char *
cfg_enum(const struct cfg *cfg, const char *section, const char *name)
{
    return lookup(cfg, section, name, CFG_ENUM, CFG_ENUM)->str;
}

long long
cfg_duration_ms(const struct cfg *cfg, const char *section, const char *name)
{
    return lookup(cfg, section, name, CFG_DURATION, CFG_DURATION)->num;
}

uint64_t
cfg_size(const struct cfg *cfg, const char *section, const char *name)
{
    return (uint64_t)lookup(cfg, section, name, CFG_SIZE, CFG_SIZE)->num;
}

const struct cfg_cidr *
cfg_cidrs(const struct cfg *cfg, const char *section, const char *name, size_t *n)
{
    const struct cfg_value *v = lookup(cfg, section, name, CFG_CIDRS, CFG_CIDRS);

    *n = v->count;
    return v->cidrs;
}

char *const *
cfg_names(const struct cfg *cfg, const char *section, const char *name, size_t *n)
{
    const struct cfg_value *v = lookup(cfg, section, name, CFG_PRINCIPALS, CFG_NAMES);

    *n = v->count;
    return v->names;
}

static bool
prefix_matches(const uint8_t *net, const uint8_t *addr, unsigned prefix)
{
    unsigned full = prefix / 8, rest = prefix % 8;

    if (memcmp(net, addr, full) != 0)
        return false;
    if (rest == 0)
        return true;
    return ((net[full] ^ addr[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

bool
cfg_cidr_contains(const struct cfg_cidr *nets, size_t n, const struct sockaddr *addr)
{
    static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    const uint8_t *bytes;
    int family;

    if (addr->sa_family == AF_INET) {
        family = AF_INET;
        bytes = (const uint8_t *)&((const struct sockaddr_in *)(const void *)addr)->sin_addr;
    } else if (addr->sa_family == AF_INET6) {
        bytes = ((const struct sockaddr_in6 *)(const void *)addr)->sin6_addr.s6_addr;
        family = AF_INET6;
        if (memcmp(bytes, v4mapped, sizeof v4mapped) == 0) {
            family = AF_INET;
            bytes += 12;
        }
    } else {
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if (nets[i].family == family && prefix_matches(nets[i].addr, bytes, nets[i].prefix))
            return true;
    return false;
}
