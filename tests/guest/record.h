/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The test guest's disk record: one 512-byte sector per record, record n in
 * sector n. Shared by the guest's workload and the host-side verifier. */
#ifndef VSM_GUEST_RECORD_H
#define VSM_GUEST_RECORD_H

#include <stdint.h>
#include <string.h>

#define REC_SIZE 512
#define REC_MAGIC "VSMREC01"

/* little-endian fields */
struct rec_fields {
    uint64_t seq;          /* = sector number */
    uint64_t nonce;        /* random per boot: a second boot shows as a new nonce */
    uint64_t mem_errors;   /* memory words that did not hold what was written */
    uint64_t mem_passes;   /* full passes of the memory dirtier */
    uint64_t guest_ns;     /* guest CLOCK_MONOTONIC (stops while the VM is paused) */
};

static inline void
put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t
get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* FNV-1a over the first 48 bytes: a torn or stale sector fails it. */
static inline uint64_t
rec_sum(const uint8_t *p)
{
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < 48; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static inline void
rec_encode(uint8_t *sector, const struct rec_fields *f)
{
    memset(sector, 0, REC_SIZE);
    memcpy(sector, REC_MAGIC, 8);
    put64(sector + 8, f->seq);
    put64(sector + 16, f->nonce);
    put64(sector + 24, f->mem_errors);
    put64(sector + 32, f->mem_passes);
    put64(sector + 40, f->guest_ns);
    put64(sector + 48, rec_sum(sector));
}

/* 1: a valid record; 0: an empty (all-zero) sector; -1: anything else. */
static inline int
rec_decode(const uint8_t *sector, struct rec_fields *f)
{
    if (memcmp(sector, REC_MAGIC, 8) != 0) {
        for (int i = 0; i < REC_SIZE; i++)
            if (sector[i])
                return -1;
        return 0;
    }
    if (get64(sector + 48) != rec_sum(sector))
        return -1;
    f->seq = get64(sector + 8);
    f->nonce = get64(sector + 16);
    f->mem_errors = get64(sector + 24);
    f->mem_passes = get64(sector + 32);
    f->guest_ns = get64(sector + 40);
    return 1;
}

#endif
