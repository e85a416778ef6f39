/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/frame.c: frame headers and the incremental frame reader. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "hostagent/frame.h"

const char *
vsm_frame_type_name(enum vsm_frame_type type)
{
    switch (type) {
    case VSM_FRAME_TOKEN: return "token";
    case VSM_FRAME_SEALED: return "sealed";
    case VSM_FRAME_ERROR: return "error";
    }
    return "unknown";
}

static uint32_t
limit_of(enum vsm_frame_type type)
{
    switch (type) {
    case VSM_FRAME_TOKEN: return VSM_FRAME_TOKEN_MAX;
    case VSM_FRAME_SEALED: return VSM_FRAME_SEALED_MAX;
    case VSM_FRAME_ERROR: return VSM_FRAME_ERROR_MAX;
    }
    return 0;
}

bool
vsm_frame_header_parse(const uint8_t hdr[VSM_FRAME_HEADER], enum vsm_frame_phase phase,
                       enum vsm_frame_type *type, uint32_t *len, struct vs_error *err)
{
    uint32_t n = (uint32_t)hdr[4] << 24 | (uint32_t)hdr[5] << 16 | (uint32_t)hdr[6] << 8 | hdr[7];
    enum vsm_frame_type t = (enum vsm_frame_type)hdr[3];

    if (hdr[0] != 'V' || hdr[1] != 'M') {
        vs_error_set(err, VS_ERR_PROTOCOL, "not a vsmigrate peer (bad magic 0x%02x%02x): is "
                     "something else listening on this port?", hdr[0], hdr[1]);
        return false;
    }
    if (hdr[2] != VSM_PROTO_VERSION) {
        vs_error_set(err, VS_ERR_PROTOCOL, "the peer speaks protocol version %u, this host %u: "
                     "run the same vsmigrate version on both hosts", hdr[2], VSM_PROTO_VERSION);
        return false;
    }
    if (limit_of(t) == 0) {
        vs_error_set(err, VS_ERR_PROTOCOL, "unknown frame type %u: the peer is not a vsmigrate "
                     "agent of this version (run the same vsmigrate version on both hosts)", hdr[3]);
        return false;
    }
    /* ERROR is allowed in both phases: a server may refuse after the
     * handshake too (authorisation, a limit), and the client should hear why. */
    if (phase == VSM_PHASE_HANDSHAKE ? t == VSM_FRAME_SEALED : t == VSM_FRAME_TOKEN) {
        vs_error_set(err, VS_ERR_PROTOCOL, "a %s frame is not allowed %s: the peer broke the "
                     "protocol (docs/protocol.md); the connection is dropped", vsm_frame_type_name(t),
                     phase == VSM_PHASE_HANDSHAKE ? "before authentication" : "after authentication");
        return false;
    }
    if (n > limit_of(t)) {
        vs_error_set(err, VS_ERR_PROTOCOL, "a %s frame of %u bytes is over the limit of %u",
                     vsm_frame_type_name(t), n, limit_of(t));
        return false;
    }
    *type = t;
    *len = n;
    return true;
}

bool
vsm_frame_write(struct vs_writer *w, enum vsm_frame_type type, const void *payload, size_t len)
{
    if (len > limit_of(type)) {
        w->failed = true;
        return false;
    }
    vs_write_u8(w, 'V');
    vs_write_u8(w, 'M');
    vs_write_u8(w, VSM_PROTO_VERSION);
    vs_write_u8(w, (uint8_t)type);
    vs_write_u32(w, (uint32_t)len);
    return vs_write_bytes(w, payload, len);
}

void
vsm_frame_reader_init(struct vsm_frame_reader *fr, enum vsm_frame_phase phase)
{
    memset(fr, 0, sizeof *fr);
    fr->phase = phase;
}

void
vsm_frame_reader_free(struct vsm_frame_reader *fr)
{
    free(fr->buf);
    memset(fr, 0, sizeof *fr);
}

void
vsm_frame_reader_set_phase(struct vsm_frame_reader *fr, enum vsm_frame_phase phase)
{
    fr->phase = phase;
}

/* The bytes the frame at the front needs in all, once its header is in;
 * 0 while the header is incomplete or bad. */
static size_t
wanted(const struct vsm_frame_reader *fr)
{
    uint32_t n = 0;
    enum vsm_frame_type t;

    if (fr->used < VSM_FRAME_HEADER || !vsm_frame_header_parse(fr->buf, fr->phase, &t, &n, NULL))
        return 0;
    return VSM_FRAME_HEADER + (size_t)n;
}

uint8_t *
vsm_frame_reader_space(struct vsm_frame_reader *fr, size_t *room)
{
    /* grow only as far as the frame in hand needs: a peer that announces a
     * large frame and sends nothing costs the header's room, no more */
    size_t need = wanted(fr);

    if (need == 0)
        need = VSM_FRAME_HEADER;
    if (fr->failed) {
        *room = 0;
        return NULL;
    }
    if (fr->cap < need) {
        uint8_t *p = realloc(fr->buf, need);
        if (p == NULL) {
            fr->failed = true;
            *room = 0;
            return NULL;
        }
        fr->buf = p;
        fr->cap = need;
    }
    *room = need - fr->used;
    return fr->buf + fr->used;
}

void
vsm_frame_reader_commit(struct vsm_frame_reader *fr, size_t n)
{
    fr->used += n;
}

int
vsm_frame_reader_next(struct vsm_frame_reader *fr, struct vsm_frame *f, struct vs_error *err)
{
    enum vsm_frame_type t;
    uint32_t n;

    if (fr->failed) {
        vs_error_set(err, VS_ERR_PROTOCOL, "the connection already sent a bad frame");
        return -1;
    }
    if (fr->used < VSM_FRAME_HEADER)
        return 0;
    if (!vsm_frame_header_parse(fr->buf, fr->phase, &t, &n, err)) {
        fr->failed = true;
        return -1;
    }
    if (fr->used < VSM_FRAME_HEADER + (size_t)n)
        return 0;
    f->type = t;
    f->len = n;
    f->payload = fr->buf + VSM_FRAME_HEADER;
    fr->ready = VSM_FRAME_HEADER + (size_t)n;
    return 1;
}

void
vsm_frame_reader_consume(struct vsm_frame_reader *fr)
{
    size_t total = fr->ready;   /* the phase may have changed since _next */

    if (total == 0 || total > fr->used) {
        fr->failed = true;
        return;
    }
    fr->ready = 0;
    memmove(fr->buf, fr->buf + total, fr->used - total);
    fr->used -= total;
}
