/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer: the frame reader, fed the input in pieces whose sizes come from
 * the input itself, in both phases; every frame it yields is then parsed as
 * a message. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hostagent/frame.h"
#include "hostagent/message.h"

static struct vsm_message m;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vsm_frame_reader fr;
    struct vsm_frame f;
    struct vs_error err;
    size_t off = 1;

    if (size < 1)
        return 0;
    vsm_frame_reader_init(&fr, data[0] & 1 ? VSM_PHASE_SEALED : VSM_PHASE_HANDSHAKE);
    while (off < size) {
        size_t room, chunk = 1 + data[off] % 64;
        uint8_t *p = vsm_frame_reader_space(&fr, &room);
        if (p == NULL)
            break;
        off++;
        if (chunk > room)
            chunk = room;
        if (chunk > size - off)
            chunk = size - off;
        memcpy(p, data + off, chunk);
        vsm_frame_reader_commit(&fr, chunk);
        off += chunk;
        int rc;
        while ((rc = vsm_frame_reader_next(&fr, &f, &err)) == 1) {
            if (f.len > (f.type == VSM_FRAME_TOKEN ? VSM_FRAME_TOKEN_MAX : VSM_FRAME_MAX))
                __builtin_trap();
            if (f.type == VSM_FRAME_SEALED)
                vsm_message_parse(f.payload, f.len, &m, &err);
            vsm_frame_reader_consume(&fr);
        }
        if (rc < 0)
            break;
    }
    vsm_frame_reader_free(&fr);
    return 0;
}
