/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/message.c: the messages inside SEALED frames. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostagent/message.h"

enum field_type { TEXT, U64 };
/* Where a tag may stand: among the message's own fields, in a record, or both. */
enum scope { MESSAGE = 1, RECORD = 2, BOTH = 3 };

static const struct {
    const char *name;
    enum field_type type;
    uint32_t max;       /* text: bytes */
    enum scope scope;
} tags[VSM__TAG_END] = {
    [VSM_TAG_ACTION] = { "action", TEXT, 32, MESSAGE },
    [VSM_TAG_VM] = { "vm", TEXT, 256, BOTH },
    [VSM_TAG_FROM] = { "from", TEXT, 255, MESSAGE },
    [VSM_TAG_TO] = { "to", TEXT, 255, BOTH },
    [VSM_TAG_JOB] = { "job", TEXT, 64, BOTH },
    [VSM_TAG_RESULT] = { "result", U64, 8, MESSAGE },
    [VSM_TAG_MESSAGE] = { "message", TEXT, 2048, MESSAGE },
    [VSM_TAG_RECORD] = { "record", U64, 8, BOTH },
    [VSM_TAG_PROGRESS] = { "progress", U64, 8, BOTH },
    [VSM_TAG_PHASE] = { "phase", TEXT, 64, BOTH },
    [VSM_TAG_ON_BEHALF_OF] = { "on-behalf-of", TEXT, 512, BOTH },
    [VSM_TAG_DOMAIN_XML] = { "domain-xml", TEXT, 512 * 1024, MESSAGE },
    [VSM_TAG_VIA] = { "via", TEXT, 255, MESSAGE },
    [VSM_TAG_NAME] = { "name", TEXT, 256, RECORD },
    [VSM_TAG_PASS] = { "pass", U64, 8, RECORD },
    [VSM_TAG_CODE] = { "code", U64, 8, RECORD },
    [VSM_TAG_TEXT] = { "text", TEXT, 2048, RECORD },
    [VSM_TAG_STATE] = { "state", TEXT, 32, RECORD },
    [VSM_TAG_MEMORY_MIB] = { "memory_mib", U64, 8, RECORD },
    [VSM_TAG_VCPUS] = { "vcpus", U64, 8, RECORD },
    [VSM_TAG_CHANNEL] = { "channel", TEXT, 16, MESSAGE },
    [VSM_TAG_BYTES] = { "bytes", U64, 8, MESSAGE },
    [VSM_TAG_TOTAL_BYTES] = { "total_bytes", U64, 8, MESSAGE },
    [VSM_TAG_REMAINING] = { "remaining", U64, 8, MESSAGE },
    [VSM_TAG_RATE] = { "rate", U64, 8, MESSAGE },
    [VSM_TAG_ITERATIONS] = { "iterations", U64, 8, MESSAGE },
    [VSM_TAG_ELAPSED_MS] = { "elapsed_ms", U64, 8, MESSAGE },
    [VSM_TAG_DOWNTIME_MS] = { "downtime_ms", U64, 8, MESSAGE },
    [VSM_TAG_LIBVIRT_DOWNTIME_MS] = { "libvirt_downtime_ms", U64, 8, MESSAGE },
    [VSM_TAG_HANDOFF_MS] = { "handoff_ms", U64, 8, MESSAGE },
    [VSM_TAG_RESUMED_AT] = { "resumed_at", U64, 8, MESSAGE },
    [VSM_TAG_PARALLEL] = { "parallel", U64, 8, MESSAGE },
    [VSM_TAG_MIGRATION_MS] = { "migration_ms", U64, 8, MESSAGE },
    [VSM_TAG_DEFINITION_SAVED] = { "definition_saved", U64, 8, MESSAGE },
    [VSM_TAG_DEFINITION_ERROR] = { "definition_error", TEXT, 1024, MESSAGE },
    [VSM_TAG_QUEUE_PLACE] = { "queue_place", U64, 8, BOTH },
    [VSM_TAG_BANDWIDTH] = { "bandwidth", U64, 8, MESSAGE },
    [VSM_TAG_MAX_DOWNTIME_MS] = { "max_downtime_ms", U64, 8, MESSAGE },
    [VSM_TAG_BLACKOUT_POLICY] = { "blackout_policy", TEXT, 16, MESSAGE },
    [VSM_TAG_COMPRESS] = { "compress", U64, 8, MESSAGE },
    [VSM_TAG_QUEUED_MS] = { "queued_ms", U64, 8, MESSAGE },
    [VSM_TAG_VALUE] = { "value", U64, 8, RECORD },
    [VSM_TAG_NETWORK] = { "network", TEXT, 160, BOTH },
    [VSM_TAG_RUNS_HERE] = { "runs_here", U64, 8, MESSAGE },
    [VSM_TAG_QUEUE_STATE] = { "queue_state", U64, 8, BOTH },
};

const char *
vsm_queue_state_name(uint64_t state)
{
    static const char *const names[] = {
        [VSM_QUEUE_RUNNING] = "running",
        [VSM_QUEUE_CROSSED] = "crossed",
        [VSM_QUEUE_WAITING] = "waiting",
        [VSM_QUEUE_MENDING] = "mending",
    };
    return state < VSM__QUEUE_END ? names[state] : "unknown";
}

bool
vsm_tag_is_number(enum vsm_tag tag)
{
    return tag > 0 && tag < VSM__TAG_END && tags[tag].type == U64;
}

const char *
vsm_tag_name(enum vsm_tag tag)
{
    return tag > 0 && tag < VSM__TAG_END ? tags[tag].name : "unknown";
}

/* Text is UTF-8 without control characters, except tabs and line ends
 * inside a document. */
static bool
text_ok(enum vsm_tag tag, const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (p[i] == 0x7f)
            return false;
        if (p[i] < 0x20) {
            bool allowed = tag == VSM_TAG_DOMAIN_XML
                               ? (p[i] == '\t' || p[i] == '\n' || p[i] == '\r')
                               : false;
            if (!allowed)
                return false;
        }
        if (p[i] >= 0x80) {   /* a well-formed UTF-8 sequence, no overlongs */
            unsigned more;
            if (p[i] >= 0xc2 && p[i] <= 0xdf)
                more = 1;
            else if (p[i] >= 0xe0 && p[i] <= 0xef)
                more = 2;
            else if (p[i] >= 0xf0 && p[i] <= 0xf4)
                more = 3;
            else
                return false;   /* a continuation byte, 0xc0/0xc1, or beyond U+10FFFF */
            if (more > n - 1 - i)   /* i < n: no underflow */
                return false;
            for (unsigned k = 1; k <= more; k++)
                if ((p[i + k] & 0xc0) != 0x80)
                    return false;
            if ((p[i] == 0xe0 && p[i + 1] < 0xa0) || (p[i] == 0xf0 && p[i + 1] < 0x90) ||
                (p[i] == 0xf4 && p[i + 1] >= 0x90) || (p[i] == 0xed && p[i + 1] >= 0xa0))
                return false;
            i += more;
        }
    }
    return true;
}

bool
vsm_message_parse(const uint8_t *data, size_t len, struct vsm_message *m, struct vs_error *err)
{
    struct vs_reader r;
    uint8_t kind, reserved;
    uint16_t count;
    bool seen[VSM__TAG_END] = { false }, seen_in_record[VSM__TAG_END] = { false };
    bool in_record = false;

    vs_reader_init(&r, data, len);
    vs_read_u8(&r, &kind);
    vs_read_u8(&r, &reserved);
    vs_read_u16(&r, &count);
    vs_read_u32(&r, &m->id);
    if (r.failed) {
        vs_error_set(err, VS_ERR_PROTOCOL, "a message of %zu bytes is shorter than its header", len);
        return false;
    }
    if (kind < VSM_MSG_REQUEST || kind > VSM_MSG_EVENT || reserved != 0) {
        vs_error_set(err, VS_ERR_PROTOCOL, "unknown message kind %u (reserved byte %u)", kind, reserved);
        return false;
    }
    if (m->id == 0) {
        vs_error_set(err, VS_ERR_PROTOCOL, "a message with request id 0");
        return false;
    }
    if (count > VSM_MSG_FIELDS_MAX) {
        vs_error_set(err, VS_ERR_PROTOCOL, "a message with %u fields (at most %d)", count, VSM_MSG_FIELDS_MAX);
        return false;
    }
    m->kind = (enum vsm_msg_kind)kind;
    m->n = 0;
    for (unsigned i = 0; i < count; i++) {
        uint16_t tag;
        uint32_t n;
        const uint8_t *value;
        struct vsm_field *f = &m->fields[m->n];

        if (!vs_read_u16(&r, &tag) || !vs_read_u32(&r, &n)) {
            vs_error_set(err, VS_ERR_PROTOCOL, "field %u of %u is cut off", i + 1, count);
            return false;
        }
        if (tag == 0 || tag >= VSM__TAG_END) {
            vs_error_set(err, VS_ERR_PROTOCOL, "field %u has the unknown tag %u", i + 1, tag);
            return false;
        }
        if (tag == VSM_TAG_RECORD) {   /* a new record: its fields start afresh */
            memset(seen_in_record, 0, sizeof seen_in_record);
            in_record = true;
        } else if (tags[tag].scope == MESSAGE) {
            /* the message's own, wherever it stands (a reply's result follows its records) */
            if (seen[tag]) {
                vs_error_set(err, VS_ERR_PROTOCOL, "the field '%s' appears twice", tags[tag].name);
                return false;
            }
            seen[tag] = true;
        } else if (!(tags[tag].scope & (in_record ? RECORD : MESSAGE))) {
            vs_error_set(err, VS_ERR_PROTOCOL, "the field '%s' may not stand %s", tags[tag].name,
                         in_record ? "in a record" : "outside a record");
            return false;
        } else if ((in_record ? seen_in_record : seen)[tag]) {
            vs_error_set(err, VS_ERR_PROTOCOL, "the field '%s' appears twice%s", tags[tag].name,
                         in_record ? " in one record" : "");
            return false;
        } else {
            (in_record ? seen_in_record : seen)[tag] = true;
        }
        if (tags[tag].type == U64 ? n != 8 : n > tags[tag].max) {
            vs_error_set(err, VS_ERR_PROTOCOL, "the field '%s' has a bad length %u", tags[tag].name, n);
            return false;
        }
        if (!vs_read_bytes(&r, n, &value)) {
            vs_error_set(err, VS_ERR_PROTOCOL, "the field '%s' is cut off (%u bytes announced)",
                         tags[tag].name, n);
            return false;
        }
        f->tag = (enum vsm_tag)tag;
        f->text = value;
        f->len = n;
        f->number = 0;
        if (tags[tag].type == U64) {
            for (int k = 0; k < 8; k++)
                f->number = f->number << 8 | value[k];
            if (tag == VSM_TAG_RECORD && (f->number == 0 || f->number >= VSM__RECORD_END)) {
                vs_error_set(err, VS_ERR_PROTOCOL, "a record of unknown kind %llu",
                             (unsigned long long)f->number);
                return false;
            }
            if (tag == VSM_TAG_QUEUE_STATE && f->number >= VSM__QUEUE_END) {
                vs_error_set(err, VS_ERR_PROTOCOL, "a queue state of unknown kind %llu",
                             (unsigned long long)f->number);
                return false;
            }
            if (tag == VSM_TAG_PASS && f->number > 1) {
                vs_error_set(err, VS_ERR_PROTOCOL, "the field 'pass' is %llu, not 0 or 1",
                             (unsigned long long)f->number);
                return false;
            }
        } else if (!text_ok(f->tag, value, n)) {
            vs_error_set(err, VS_ERR_PROTOCOL, "the field '%s' is not clean UTF-8 text", tags[tag].name);
            return false;
        }
        m->n++;
    }
    if (!vs_reader_done(&r)) {
        vs_error_set(err, VS_ERR_PROTOCOL, "%zu bytes follow the last field", vs_reader_remaining(&r));
        return false;
    }
    return true;
}

void
vsm_message_begin(struct vs_writer *w, enum vsm_msg_kind kind, uint32_t id)
{
    vs_write_u8(w, (uint8_t)kind);
    vs_write_u8(w, 0);
    vs_write_u16(w, 0);   /* the count, filled in by _end */
    vs_write_u32(w, id);
}

static bool
add(struct vs_writer *w, enum vsm_tag tag, const void *p, size_t n)
{
    if (tag <= 0 || tag >= VSM__TAG_END || n > UINT32_MAX || w->len < VSM_MSG_HEADER) {
        w->failed = true;
        return false;
    }
    uint16_t count = (uint16_t)(w->data[2] << 8 | w->data[3]);
    vs_write_u16(w, (uint16_t)tag);
    vs_write_u32(w, (uint32_t)n);
    if (!vs_write_bytes(w, p, n))
        return false;
    count++;
    w->data[2] = (uint8_t)(count >> 8);
    w->data[3] = (uint8_t)count;
    return true;
}

bool
vsm_message_add_text(struct vs_writer *w, enum vsm_tag tag, const char *text)
{
    return add(w, tag, text, strlen(text));
}

bool
vsm_message_add_u64(struct vs_writer *w, enum vsm_tag tag, uint64_t value)
{
    uint8_t b[8];

    for (int k = 7; k >= 0; k--, value >>= 8)
        b[k] = (uint8_t)value;
    return add(w, tag, b, sizeof b);
}

bool
vsm_message_end(struct vs_writer *w, struct vs_error *err)
{
    struct vsm_message check;

    /* what we send must be what we would accept */
    if (w->failed) {
        vs_error_set(err, VS_ERR_INTERNAL, "the message grew past %zu bytes", w->max);
        return false;
    }
    return vsm_message_parse(w->data, w->len, &check, err);
}

uint32_t
vsm_message_writer_id(const struct vs_writer *w)
{
    if (w->len < VSM_MSG_HEADER)
        return 0;
    return (uint32_t)w->data[4] << 24 | (uint32_t)w->data[5] << 16 | (uint32_t)w->data[6] << 8 |
           w->data[7];
}

/* A message's own field: a message-only tag anywhere, any other before the
 * first record. */
static const struct vsm_field *
find_in_message(const struct vsm_message *m, enum vsm_tag tag)
{
    bool in_record = false;

    for (size_t i = 0; i < m->n; i++) {
        in_record |= m->fields[i].tag == VSM_TAG_RECORD;
        if (m->fields[i].tag == tag && (!in_record || tags[tag].scope == MESSAGE))
            return &m->fields[i];
    }
    return NULL;
}

/* A record's field: among its fields, not the message-only ones between them. */
static const struct vsm_field *
find_in_record(const struct vsm_record *r, enum vsm_tag tag)
{
    if (tags[tag].scope == MESSAGE)
        return NULL;
    for (size_t i = 0; i < r->n; i++)
        if (r->fields[i].tag == tag)
            return &r->fields[i];
    return NULL;
}

static bool
copy_text(const struct vsm_field *f, enum vsm_tag tag, char *buf, size_t len)
{
    if (f == NULL || tags[tag].type != TEXT)
        return false;
    snprintf(buf, len, "%.*s", (int)f->len, (const char *)f->text);
    return true;
}

static bool
copy_u64(const struct vsm_field *f, enum vsm_tag tag, uint64_t *value)
{
    if (f == NULL || tags[tag].type != U64)
        return false;
    *value = f->number;
    return true;
}

bool
vsm_message_text(const struct vsm_message *m, enum vsm_tag tag, char *buf, size_t len)
{
    return copy_text(find_in_message(m, tag), tag, buf, len);
}

bool
vsm_message_u64(const struct vsm_message *m, enum vsm_tag tag, uint64_t *value)
{
    return copy_u64(find_in_message(m, tag), tag, value);
}

char *
vsm_message_strdup(const struct vsm_message *m, enum vsm_tag tag)
{
    const struct vsm_field *f = find_in_message(m, tag);

    return f && tags[tag].type == TEXT ? strndup((const char *)f->text, f->len) : NULL;
}

bool
vsm_message_record(struct vs_writer *w, enum vsm_record_kind kind)
{
    return vsm_message_add_u64(w, VSM_TAG_RECORD, (uint64_t)kind);
}

bool
vsm_record_next(const struct vsm_message *m, size_t *pos, struct vsm_record *r)
{
    size_t i = *pos;

    while (i < m->n && m->fields[i].tag != VSM_TAG_RECORD)
        i++;
    if (i >= m->n)
        return false;
    r->kind = (enum vsm_record_kind)m->fields[i].number;
    r->fields = &m->fields[i + 1];
    r->n = 0;
    while (i + 1 + r->n < m->n && m->fields[i + 1 + r->n].tag != VSM_TAG_RECORD)
        r->n++;
    *pos = i + 1 + r->n;
    return true;
}

size_t
vsm_record_count(const struct vsm_message *m, enum vsm_record_kind kind)
{
    size_t n = 0;

    for (size_t i = 0; i < m->n; i++)
        n += m->fields[i].tag == VSM_TAG_RECORD && (kind == 0 || m->fields[i].number == kind);
    return n;
}

bool
vsm_record_text(const struct vsm_record *r, enum vsm_tag tag, char *buf, size_t len)
{
    return copy_text(find_in_record(r, tag), tag, buf, len);
}

bool
vsm_record_u64(const struct vsm_record *r, enum vsm_tag tag, uint64_t *value)
{
    return copy_u64(find_in_record(r, tag), tag, value);
}
