/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vsmigrate: bounded buffers for reading and writing network data.
 *
 * Every read states how much it takes and fails, rather than overrunning, when
 * fewer bytes remain. A failed read leaves the reader failed, so a parser can
 * make several reads and check once at the end (the OpenSSH sshbuf idea). */
#ifndef VSM_COMMON_BUF_H
#define VSM_COMMON_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vs_reader {
    const uint8_t *data;
    size_t len;
    size_t off;
    bool failed;
};

void vs_reader_init(struct vs_reader *r, const void *data, size_t len);
size_t vs_reader_remaining(const struct vs_reader *r);
/* True when no read failed and every byte was consumed. */
bool vs_reader_done(const struct vs_reader *r);

bool vs_read_u8(struct vs_reader *r, uint8_t *out);
bool vs_read_u16(struct vs_reader *r, uint16_t *out);   /* big-endian */
bool vs_read_u32(struct vs_reader *r, uint32_t *out);   /* big-endian */
bool vs_read_u64(struct vs_reader *r, uint64_t *out);   /* big-endian */
/* A view of the next n bytes, valid as long as the underlying data. */
bool vs_read_bytes(struct vs_reader *r, size_t n, const uint8_t **out);
/* A u16 length, then that many bytes; max bounds the length. */
bool vs_read_string16(struct vs_reader *r, size_t max, const uint8_t **out, size_t *len);

/* A growing buffer with a hard ceiling: appends past max fail and stick. */
struct vs_writer {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t max;
    bool failed;
};

void vs_writer_init(struct vs_writer *w, size_t max);
void vs_writer_free(struct vs_writer *w);
bool vs_write_u8(struct vs_writer *w, uint8_t v);
bool vs_write_u16(struct vs_writer *w, uint16_t v);
bool vs_write_u32(struct vs_writer *w, uint32_t v);
bool vs_write_u64(struct vs_writer *w, uint64_t v);
bool vs_write_bytes(struct vs_writer *w, const void *p, size_t n);
bool vs_write_string16(struct vs_writer *w, const void *p, size_t n);

#endif
