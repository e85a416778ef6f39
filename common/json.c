/* vsmigrate: writing JSON text. */
#include <config.h>

#include <string.h>

#include "json.h"

void
json_write_string(FILE *f, const char *s)
{
    if (s == NULL) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\t': fputs("\\t", f); break;
        case '\r': fputs("\\r", f); break;
        default:
            if (c < 0x20 || c == 0x7f)
                fprintf(f, "\\u%04x", c);
            else
                fputc(c, f);
        }
    }
    fputc('"', f);
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
                p++;
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
