/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vsmigrate: bounded buffers. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"

void
vs_reader_init(struct vs_reader *r, const void *data, size_t len)
{
    r->data = data;
    r->len = data != NULL ? len : 0;
    r->off = 0;
    r->failed = false;
}

size_t
vs_reader_remaining(const struct vs_reader *r)
{
    return r->len - r->off;
}

bool
vs_reader_done(const struct vs_reader *r)
{
    return !r->failed && r->off == r->len;
}

/* The only place that decides whether n more bytes exist. */
static const uint8_t *
take(struct vs_reader *r, size_t n)
{
    const uint8_t *p;

    if (r->failed || n > r->len - r->off) {
        r->failed = true;
        return NULL;
    }
    p = r->data + r->off;
    r->off += n;
    return p;
}

bool
vs_read_u8(struct vs_reader *r, uint8_t *out)
{
    const uint8_t *p = take(r, 1);
    if (p == NULL)
        return false;
    *out = p[0];
    return true;
}

bool
vs_read_u16(struct vs_reader *r, uint16_t *out)
{
    const uint8_t *p = take(r, 2);
    if (p == NULL)
        return false;
    *out = (uint16_t)(p[0] << 8 | p[1]);
    return true;
}

bool
vs_read_u32(struct vs_reader *r, uint32_t *out)
{
    const uint8_t *p = take(r, 4);
    if (p == NULL)
        return false;
    *out = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    return true;
}

bool
vs_read_u64(struct vs_reader *r, uint64_t *out)
{
    uint32_t hi, lo;

    if (!vs_read_u32(r, &hi) || !vs_read_u32(r, &lo))
        return false;
    *out = (uint64_t)hi << 32 | lo;
    return true;
}

bool
vs_read_bytes(struct vs_reader *r, size_t n, const uint8_t **out)
{
    const uint8_t *p = take(r, n);
    if (p == NULL)
        return false;
    *out = p;
    return true;
}

bool
vs_read_string16(struct vs_reader *r, size_t max, const uint8_t **out, size_t *len)
{
    uint16_t n;

    if (!vs_read_u16(r, &n))
        return false;
    if (n > max) {
        r->failed = true;
        return false;
    }
    if (!vs_read_bytes(r, n, out))
        return false;
    *len = n;
    return true;
}

void
vs_writer_init(struct vs_writer *w, size_t max)
{
    memset(w, 0, sizeof *w);
    w->max = max;
}

void
vs_writer_free(struct vs_writer *w)
{
    free(w->data);
    memset(w, 0, sizeof *w);
}

bool
vs_write_bytes(struct vs_writer *w, const void *p, size_t n)
{
    if (w->failed || n > w->max - w->len) {
        w->failed = true;
        return false;
    }
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 64;
        uint8_t *grown;

        while (cap < w->len + n)
            cap = cap > w->max / 2 ? w->max : cap * 2;
        grown = realloc(w->data, cap);
        if (grown == NULL) {
            w->failed = true;
            return false;
        }
        w->data = grown;
        w->cap = cap;
    }
    if (n > 0)
        memcpy(w->data + w->len, p, n);
    w->len += n;
    return true;
}

bool
vs_write_u8(struct vs_writer *w, uint8_t v)
{
    return vs_write_bytes(w, &v, 1);
}

bool
vs_write_u16(struct vs_writer *w, uint16_t v)
{
    uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
    return vs_write_bytes(w, b, sizeof b);
}

bool
vs_write_u32(struct vs_writer *w, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
    return vs_write_bytes(w, b, sizeof b);
}

bool
vs_write_u64(struct vs_writer *w, uint64_t v)
{
    return vs_write_u32(w, (uint32_t)(v >> 32)) && vs_write_u32(w, (uint32_t)v);
}

bool
vs_write_string16(struct vs_writer *w, const void *p, size_t n)
{
    if (n > UINT16_MAX) {
        w->failed = true;
        return false;
    }
    return vs_write_u16(w, (uint16_t)n) && vs_write_bytes(w, p, n);
}
