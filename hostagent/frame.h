/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/frame.h: the outer layer of the agents' wire protocol.
 *
 * Every frame is an 8-byte header and a payload:
 *
 *   0  'V' 'M'        magic
 *   2  u8  version    VSM_PROTO_VERSION
 *   3  u8  type       enum vsm_frame_type
 *   4  u32 length     payload bytes, big-endian, at most the limit for the type
 *   8  payload
 *
 * Before authentication only TOKEN (a GSSAPI context token) and ERROR (a
 * sentence, so that a refused client learns why) are allowed, with small
 * limits; after it, only SEALED (a krb/ wrapped message). docs/protocol.md
 * has the whole protocol. Pure code: unit-tested and fuzzed. */
#ifndef VSM_HOSTAGENT_FRAME_H
#define VSM_HOSTAGENT_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

#define VSM_PROTO_VERSION 2   /* 2: lists as typed records (message.h) */
#define VSM_FRAME_HEADER 8
#define VSM_FRAME_TOKEN_MAX (64 * 1024)     /* a Kerberos AP-REQ with a PAC fits well within */
#define VSM_FRAME_ERROR_MAX 1024
#define VSM_FRAME_SEALED_MAX (1024 * 1024)
#define VSM_FRAME_MAX VSM_FRAME_SEALED_MAX

enum vsm_frame_type {
    VSM_FRAME_TOKEN = 1,
    VSM_FRAME_SEALED = 2,
    VSM_FRAME_ERROR = 3,
};

/* Which frames a connection accepts now. */
enum vsm_frame_phase { VSM_PHASE_HANDSHAKE, VSM_PHASE_SEALED };

struct vsm_frame {
    enum vsm_frame_type type;
    const uint8_t *payload;   /* points into the reader's buffer */
    uint32_t len;
};

/* Decode a header: checks the magic, the version, the type for the phase,
 * and the length against the type's limit; err says which. On success
 * *type and *len are set. */
bool vsm_frame_header_parse(const uint8_t hdr[VSM_FRAME_HEADER], enum vsm_frame_phase phase,
                            enum vsm_frame_type *type, uint32_t *len, struct vs_error *err);

/* Append a whole frame to w. */
bool vsm_frame_write(struct vs_writer *w, enum vsm_frame_type type, const void *payload, size_t len);

/* An incremental reader: feed it bytes as they arrive; it yields frames.
 * The buffer never grows past one header plus the largest payload. */
struct vsm_frame_reader {
    uint8_t *buf;
    size_t used;
    size_t cap;
    size_t ready;   /* the size of the frame handed out by _next, until consumed */
    enum vsm_frame_phase phase;
    bool failed;
};

void vsm_frame_reader_init(struct vsm_frame_reader *fr, enum vsm_frame_phase phase);
void vsm_frame_reader_free(struct vsm_frame_reader *fr);
void vsm_frame_reader_set_phase(struct vsm_frame_reader *fr, enum vsm_frame_phase phase);

/* Where the next bytes go, and how many fit (> 0 unless failed). */
uint8_t *vsm_frame_reader_space(struct vsm_frame_reader *fr, size_t *room);
void vsm_frame_reader_commit(struct vsm_frame_reader *fr, size_t n);

/* 1: a frame is ready in *f (valid until vsm_frame_reader_consume);
 * 0: more bytes needed; -1: a bad header (err says why; the reader is
 * failed and the connection must be dropped). */
int vsm_frame_reader_next(struct vsm_frame_reader *fr, struct vsm_frame *f, struct vs_error *err);
void vsm_frame_reader_consume(struct vsm_frame_reader *fr);

const char *vsm_frame_type_name(enum vsm_frame_type type);

#endif
