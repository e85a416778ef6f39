/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vsmigrate: JSON through jansson (see json.h). */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "json.h"

#define JSON_LINE (JSON_COMPACT | JSON_PRESERVE_ORDER)

bool
json_print_line(FILE *f, json_t *j)
{
    bool ok = j != NULL && json_dumpf(j, f, JSON_LINE) == 0;

    if (ok) {
        fputc('\n', f);
        fflush(f);
    }
    json_decref(j);
    return ok;
}

bool
json_format_line(json_t *j, char *out, size_t len)
{
    size_t n = j ? json_dumpb(j, out, len, JSON_LINE) : 0;
    bool ok = n > 0 && n < len;

    json_decref(j);
    if (len > 0)
        out[ok ? n : 0] = '\0';
    return ok;
}

json_t *
json_check(const char *name, const char *result, const char *text)
{
    return json_pack("{s:s,s:s,s:s}", "name", name, "result", result, "text", text);
}

const char *
json_field(const char *json, const char *key, char *out, size_t len)
{
    json_t *root, *v;
    const char *found = NULL;

    if (len == 0)
        return NULL;
    root = json_loads(json, JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK, NULL);
    v = json_is_object(root) ? json_object_get(root, key) : NULL;
    if (json_is_string(v)) {
        snprintf(out, len, "%s", json_string_value(v));
        found = out;
    } else if (v != NULL) {
        char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        if (text) {
            snprintf(out, len, "%s", text);
            found = out;
            free(text);
        }
    }
    json_decref(root);
    return found;
}
