/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer: a sealed message's plaintext; what parses must re-encode to the
 * same bytes. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hostagent/message.h"
#include "hostagent/report.h"

static struct vsm_message m;
static struct report rep;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vs_error err;
    struct vs_writer w;

    if (!vsm_message_parse(data, size, &m, &err))
        return 0;
    /* a reply's report lines, as a source host reads them from its peer */
    rep.n = 0;
    if (report_from_message(&rep, &m, &err) && rep.n > REPORT_MAX)
        __builtin_trap();
    vs_writer_init(&w, size + 64);
    vsm_message_begin(&w, m.kind, m.id);
    for (size_t i = 0; i < m.n; i++) {
        const struct vsm_field *f = &m.fields[i];
        if (vsm_tag_is_number(f->tag)) {
            vsm_message_add_u64(&w, f->tag, f->number);
        } else {
            /* text has no NUL (refused as a control character) */
            char *text = strndup((const char *)f->text, f->len);
            if (text == NULL)
                return 0;
            vsm_message_add_text(&w, f->tag, text);
            free(text);
        }
    }
    if (!vsm_message_end(&w, &err) || w.len != size || memcmp(w.data, data, size) != 0)
        __builtin_trap();
    vs_writer_free(&w);
    return 0;
}
