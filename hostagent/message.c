/* hostagent/message.c: the messages inside SEALED frames. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostagent/message.h"

enum field_type { TEXT, U64 };

static const struct {
    const char *name;
    enum field_type type;
    uint32_t max;       /* text: bytes */
    bool repeats;
} tags[VSM__TAG_END] = {
    [VSM_TAG_ACTION] = { "action", TEXT, 32, false },
    [VSM_TAG_VM] = { "vm", TEXT, 256, false },
    [VSM_TAG_FROM] = { "from", TEXT, 255, false },
    [VSM_TAG_TO] = { "to", TEXT, 255, false },
    [VSM_TAG_JOB] = { "job", TEXT, 64, false },
    [VSM_TAG_RESULT] = { "result", U64, 8, false },
    [VSM_TAG_MESSAGE] = { "message", TEXT, 2048, false },
    [VSM_TAG_ITEM] = { "item", TEXT, 2048, true },
    [VSM_TAG_PROGRESS] = { "progress", U64, 8, false },
    [VSM_TAG_PHASE] = { "phase", TEXT, 64, false },
    [VSM_TAG_ON_BEHALF_OF] = { "on-behalf-of", TEXT, 512, false },
    [VSM_TAG_DOMAIN_XML] = { "domain-xml", TEXT, 512 * 1024, false },
    [VSM_TAG_VIA] = { "via", TEXT, 255, false },
};

const char *
vsm_tag_name(enum vsm_tag tag)
{
    return tag > 0 && tag < VSM__TAG_END ? tags[tag].name : "unknown";
}

/* Text is UTF-8 without control characters, except a tab inside ITEM, and
 * tabs and line ends inside a document. */
static bool
text_ok(enum vsm_tag tag, const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (p[i] == 0x7f)
            return false;
        if (p[i] < 0x20) {
            bool allowed = tag == VSM_TAG_DOMAIN_XML
                               ? (p[i] == '\t' || p[i] == '\n' || p[i] == '\r')
                               : (p[i] == '\t' && tag == VSM_TAG_ITEM);
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
    bool seen[VSM__TAG_END] = { false };

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
        if (seen[tag] && !tags[tag].repeats) {
            vs_error_set(err, VS_ERR_PROTOCOL, "the field '%s' appears twice", tags[tag].name);
            return false;
        }
        seen[tag] = true;
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

bool
vsm_message_text(const struct vsm_message *m, enum vsm_tag tag, char *buf, size_t len)
{
    for (size_t i = 0; i < m->n; i++) {
        if (m->fields[i].tag == tag && tags[tag].type == TEXT) {
            snprintf(buf, len, "%.*s", (int)m->fields[i].len, (const char *)m->fields[i].text);
            return true;
        }
    }
    return false;
}

bool
vsm_message_u64(const struct vsm_message *m, enum vsm_tag tag, uint64_t *value)
{
    for (size_t i = 0; i < m->n; i++) {
        if (m->fields[i].tag == tag && tags[tag].type == U64) {
            *value = m->fields[i].number;
            return true;
        }
    }
    return false;
}

char *
vsm_message_strdup(const struct vsm_message *m, enum vsm_tag tag)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->fields[i].tag == tag && tags[tag].type == TEXT)
            return strndup((const char *)m->fields[i].text, m->fields[i].len);
    return NULL;
}

bool
vsm_item_split(const struct vsm_field *f, char *name, size_t namelen, char *value, size_t valuelen)
{
    if (f->tag != VSM_TAG_ITEM)
        return false;
    const char *text = (const char *)f->text, *tab = memchr(text, '\t', f->len);
    int nl = tab ? (int)(tab - text) : (int)f->len;
    snprintf(name, namelen, "%.*s", nl, text);
    snprintf(value, valuelen, "%.*s", tab ? (int)f->len - nl - 1 : 0, tab ? tab + 1 : "");
    return true;
}
