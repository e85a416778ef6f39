/* vsmigrate: writing JSON text. */
#include <config.h>

#include <string.h>

#include "json.h"

/* The escape for one byte of a JSON string, or NULL when it passes as it
 * is. tmp holds a \u escape. */
static const char *
escape_byte(unsigned char c, char tmp[7])
{
    switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\n': return "\\n";
    case '\t': return "\\t";
    case '\r': return "\\r";
    }
    if (c < 0x20 || c == 0x7f) {
        snprintf(tmp, 7, "\\u%04x", c);
        return tmp;
    }
    return NULL;
}

void
json_write_string(FILE *f, const char *s)
{
    char tmp[7];

    if (s == NULL) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        const char *e = escape_byte((unsigned char)*s, tmp);
        if (e)
            fputs(e, f);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

size_t
json_quote(char *out, size_t len, const char *s)
{
    size_t used = 0;
    char tmp[7];

    if (len < 3) {
        if (len)
            out[0] = '\0';
        return 0;
    }
    out[used++] = '"';
    for (; *s; s++) {
        const char *e = escape_byte((unsigned char)*s, tmp);
        size_t n = e ? strlen(e) : 1;

        if (used + n + 2 > len) {   /* the closing quote and the NUL must fit */
            /* cut before a UTF-8 sequence that would be left unfinished */
            size_t lead = used;
            while (lead > 1 && ((unsigned char)out[lead - 1] & 0xc0) == 0x80)
                lead--;
            if (lead > 1 && (unsigned char)out[lead - 1] >= 0xc0) {
                unsigned char b = (unsigned char)out[lead - 1];
                size_t whole = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
                if (used - (lead - 1) < whole)
                    used = lead - 1;
            }
            break;
        }
        if (e)
            memcpy(out + used, e, n);
        else
            out[used] = *s;
        used += n;
    }
    out[used++] = '"';
    out[used] = '\0';
    return used;
}

void
json_write_check(FILE *f, bool first, const char *name, const char *result, const char *text)
{
    fputs(first ? "{\"name\":" : ",{\"name\":", f);
    json_write_string(f, name);
    fputs(",\"result\":", f);
    json_write_string(f, result);
    fputs(",\"text\":", f);
    json_write_string(f, text);
    fputc('}', f);
}

const char *
json_field(const char *json, const char *key, char *out, size_t len)
{
    char pat[64];
    const char *p;
    size_t n = 0;

    if (len == 0)
        return NULL;
    snprintf(pat, sizeof pat, "\"%s\":", key);
    p = strstr(json, pat);
    if (p == NULL)
        return NULL;
    p += strlen(pat);
    if (*p == '"') {
        for (p++; *p && *p != '"' && n + 1 < len; p++) {
            if (*p == '\\' && p[1]) {
                unsigned v;
                p++;
                /* \u00XX: what json_write_string writes for other control bytes */
                if (*p == 'u' && sscanf(p + 1, "%4x", &v) == 1 && v < 0x80 &&
                    strspn(p + 1, "0123456789abcdefABCDEF") >= 4) {
                    out[n++] = (char)v;
                    p += 4;
                    continue;
                }
                out[n++] = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p == 'r' ? '\r' : *p;
                continue;
            }
            out[n++] = *p;
        }
    } else {
        while (*p && *p != ',' && *p != '}' && n + 1 < len)
            out[n++] = *p++;
    }
    out[n] = '\0';
    return out;
}
