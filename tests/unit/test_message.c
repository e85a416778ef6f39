/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/message.c: round trips, and every way a message is refused. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "hostagent/message.h"

static struct vsm_message m;   /* large: off the stack */

static void
test_round_trip(void **state)
{
    (void)state;
    struct vs_writer w;
    struct vs_error err;
    char text[64];
    uint64_t v;

    vs_writer_init(&w, 4096);
    vsm_message_begin(&w, VSM_MSG_REQUEST, 42);
    vsm_message_add_text(&w, VSM_TAG_ACTION, "check");
    vsm_message_add_text(&w, VSM_TAG_VM, "web01");
    vsm_message_add_text(&w, VSM_TAG_MESSAGE, "café ✓");
    vsm_message_add_u64(&w, VSM_TAG_PROGRESS, 0x0102030405060708ull);
    vsm_message_record(&w, VSM_RECORD_VM);
    vsm_message_add_text(&w, VSM_TAG_NAME, "db01");
    vsm_message_add_u64(&w, VSM_TAG_MEMORY_MIB, 256);
    assert_true(vsm_message_end(&w, &err));
    assert_true(vsm_message_parse(w.data, w.len, &m, &err));
    assert_int_equal(m.kind, VSM_MSG_REQUEST);
    assert_int_equal(m.id, 42);
    assert_int_equal(m.n, 7);
    assert_true(vsm_message_text(&m, VSM_TAG_VM, text, sizeof text));
    assert_string_equal(text, "web01");
    assert_true(vsm_message_text(&m, VSM_TAG_MESSAGE, text, sizeof text));
    assert_string_equal(text, "café ✓");
    assert_true(vsm_message_u64(&m, VSM_TAG_PROGRESS, &v));
    assert_true(v == 0x0102030405060708ull);
    assert_false(vsm_message_text(&m, VSM_TAG_JOB, text, sizeof text));
    assert_false(vsm_message_u64(&m, VSM_TAG_VM, &v));   /* a text tag is not a number */
    /* the record's fields are its own, not the message's */
    assert_false(vsm_message_text(&m, VSM_TAG_NAME, text, sizeof text));
    struct vsm_record rec;
    size_t pos = 0;
    assert_true(vsm_record_next(&m, &pos, &rec));
    assert_int_equal(rec.kind, VSM_RECORD_VM);
    assert_true(vsm_record_text(&rec, VSM_TAG_NAME, text, sizeof text));
    assert_string_equal(text, "db01");
    assert_true(vsm_record_u64(&rec, VSM_TAG_MEMORY_MIB, &v));
    assert_int_equal(v, 256);
    assert_false(vsm_record_text(&rec, VSM_TAG_VM, text, sizeof text));
    assert_false(vsm_record_next(&m, &pos, &rec));
    /* truncated anywhere: refused, never read past the end */
    for (size_t cut = 0; cut < w.len; cut++)
        assert_false(vsm_message_parse(w.data, cut, &m, &err));
    vs_writer_free(&w);
}

/* build a message by hand: header, then raw field bytes */
static size_t
raw(uint8_t *out, uint8_t kind, uint16_t count, uint32_t id, const void *fields, size_t n)
{
    out[0] = kind; out[1] = 0;
    out[2] = (uint8_t)(count >> 8); out[3] = (uint8_t)count;
    out[4] = (uint8_t)(id >> 24); out[5] = (uint8_t)(id >> 16); out[6] = (uint8_t)(id >> 8); out[7] = (uint8_t)id;
    memcpy(out + 8, fields, n);
    return 8 + n;
}

static void
refused(const uint8_t *buf, size_t len, const char *why)
{
    struct vs_error err;

    assert_false(vsm_message_parse(buf, len, &m, &err));
    if (strstr(err.message, why) == NULL)
        fail_msg("expected '%s' in: %s", why, err.message);
}

static void
test_refusals(void **state)
{
    (void)state;
    uint8_t b[256];

    refused(b, raw(b, 1, 0, 0, "", 0), "request id 0");
    refused(b, raw(b, 4, 0, 1, "", 0), "unknown message kind");
    b[0] = 1; refused(b, 3, "shorter than its header");
    refused(b, raw(b, 1, 600, 1, "", 0), "600 fields");
    refused(b, raw(b, 1, 1, 1, "\x00\x63\x00\x00\x00\x00", 6), "unknown tag 99");
    refused(b, raw(b, 1, 1, 1, "\x00\x00\x00\x00\x00\x00", 6), "unknown tag 0");
    refused(b, raw(b, 1, 2, 1, "\x00\x02\x00\x00\x00\x01" "a" "\x00\x02\x00\x00\x00\x01" "b", 14), "'vm' appears twice");
    refused(b, raw(b, 1, 1, 1, "\x00\x06\x00\x00\x00\x04" "abcd", 10), "'result' has a bad length 4");
    refused(b, raw(b, 1, 1, 1, "\x00\x01\x00\x00\x00\x21", 6), "'action' has a bad length 33");
    refused(b, raw(b, 1, 1, 1, "\x00\x02\x00\x00\x00\x05" "ab", 8), "'vm' is cut off");
    refused(b, raw(b, 1, 1, 1, "\x00\x02\x00\x00\x00\x02" "a\n", 8), "not clean UTF-8");
    refused(b, raw(b, 1, 1, 1, "\x00\x02\x00\x00\x00\x02" "\xc0\xaf", 8), "not clean UTF-8");   /* overlong '/' */
    refused(b, raw(b, 1, 1, 1, "\x00\x02\x00\x00\x00\x02" "a\xe2", 8), "not clean UTF-8");     /* cut sequence */
    refused(b, raw(b, 1, 1, 1, "\x00\x02\x00\x00\x00\x03" "\xed\xa0\x80", 9), "not clean UTF-8"); /* a surrogate */
    refused(b, raw(b, 1, 1, 1, "\x00\x02\x00\x00\x00\x04" "\xf8\x88\x80\x80", 10), "not clean UTF-8"); /* 5-byte form */
    refused(b, raw(b, 1, 1, 1, "\x00\x02\x00\x00\x00\x01" "\x80", 7), "not clean UTF-8");     /* lone continuation */
    refused(b, raw(b, 1, 1, 1, "\x00\x02\x00\x00\x00\x04" "\xf4\x90\x80\x80", 10), "not clean UTF-8"); /* > U+10FFFF */
    assert_true(vsm_message_parse(b, raw(b, 1, 1, 1, "\x00\x02\x00\x00\x00\x04" "\xf0\x9f\x98\x80", 10), &m, NULL));
    refused(b, raw(b, 1, 1, 1, "\x00\x02\x00\x00\x00\x01" "a" "zz", 9), "2 bytes follow");
    refused(b, raw(b, 1, 2, 1, "\x00\x02\x00\x00\x00\x01" "a", 7), "field 2 of 2 is cut off");
    /* a tab is fine in a document, nowhere else */
    assert_true(vsm_message_parse(b, raw(b, 2, 1, 1, "\x00\x0c\x00\x00\x00\x03" "a\tb", 9), &m, NULL));
    refused(b, raw(b, 2, 1, 1, "\x00\x07\x00\x00\x00\x03" "a\tb", 9), "not clean UTF-8");
    /* records: a field outside its scope, twice in one record, an unknown kind, pass > 1 */
    refused(b, raw(b, 2, 1, 1, "\x00\x0e\x00\x00\x00\x01" "a", 7), "'name' may not stand outside a record");
    /* a message-only field after a record is the message's (a reply's result) */
    assert_true(vsm_message_parse(b, raw(b, 2, 2, 1, "\x00\x08\x00\x00\x00\x08" "\0\0\0\0\0\0\0\x01" "\x00\x07\x00\x00\x00\x01" "m", 21), &m, NULL));
    char msg[8];
    assert_true(vsm_message_text(&m, VSM_TAG_MESSAGE, msg, sizeof msg));
    assert_string_equal(msg, "m");
    refused(b, raw(b, 2, 3, 1, "\x00\x07\x00\x00\x00\x01" "m" "\x00\x08\x00\x00\x00\x08" "\0\0\0\0\0\0\0\x01" "\x00\x07\x00\x00\x00\x01" "n", 28),
            "'message' appears twice");
    /* a field of either scope in a record is the record's, not the message's */
    assert_true(vsm_message_parse(b, raw(b, 2, 2, 1, "\x00\x08\x00\x00\x00\x08" "\0\0\0\0\0\0\0\x04" "\x00\x02\x00\x00\x00\x01" "v", 21), &m, NULL));
    assert_false(vsm_message_text(&m, VSM_TAG_VM, msg, sizeof msg));
    refused(b, raw(b, 2, 3, 1, "\x00\x08\x00\x00\x00\x08" "\0\0\0\0\0\0\0\x01" "\x00\x0e\x00\x00\x00\x01" "a"
                               "\x00\x0e\x00\x00\x00\x01" "b", 28), "'name' appears twice in one record");
    assert_true(vsm_message_parse(b, raw(b, 2, 4, 1, "\x00\x08\x00\x00\x00\x08" "\0\0\0\0\0\0\0\x01" "\x00\x0e\x00\x00\x00\x01" "a"
                               "\x00\x08\x00\x00\x00\x08" "\0\0\0\0\0\0\0\x01" "\x00\x0e\x00\x00\x00\x01" "b", 42), &m, NULL));
    assert_int_equal(vsm_record_count(&m, VSM_RECORD_CHECK), 2);
    refused(b, raw(b, 2, 1, 1, "\x00\x08\x00\x00\x00\x08" "\0\0\0\0\0\0\0\x09", 14), "a record of unknown kind 9");
    refused(b, raw(b, 2, 2, 1, "\x00\x08\x00\x00\x00\x08" "\0\0\0\0\0\0\0\x01" "\x00\x0f\x00\x00\x00\x08" "\0\0\0\0\0\0\0\x02", 28),
            "'pass' is 2");
    /* a job record's queue_state: one of four, and only in a record */
    _Static_assert(VSM_TAG_QUEUE_STATE == 0x2d, "the wire's tag numbers never change");
    struct vsm_record rec;
    size_t pos = 0;
    uint64_t queue = 9;
    assert_true(vsm_message_parse(b, raw(b, 2, 2, 1, "\x00\x08\x00\x00\x00\x08" "\0\0\0\0\0\0\0\x04" "\x00\x2d\x00\x00\x00\x08" "\0\0\0\0\0\0\0\x03", 28), &m, NULL));
    assert_true(vsm_record_next(&m, &pos, &rec));
    assert_true(vsm_record_u64(&rec, VSM_TAG_QUEUE_STATE, &queue));
    assert_int_equal(queue, VSM_QUEUE_MENDING);
    assert_string_equal(vsm_queue_state_name(queue), "mending");
    refused(b, raw(b, 2, 2, 1, "\x00\x08\x00\x00\x00\x08" "\0\0\0\0\0\0\0\x04" "\x00\x2d\x00\x00\x00\x08" "\0\0\0\0\0\0\0\x04", 28),
            "a queue state of unknown kind 4");
    /* and in a waiting move's EVENT, outside any record */
    assert_true(vsm_message_parse(b, raw(b, 3, 1, 1, "\x00\x2d\x00\x00\x00\x08" "\0\0\0\0\0\0\0\x02", 14), &m, NULL));
    assert_true(vsm_message_u64(&m, VSM_TAG_QUEUE_STATE, &queue));
    assert_int_equal(queue, VSM_QUEUE_WAITING);
    assert_string_equal(vsm_queue_state_name(VSM_QUEUE_RUNNING), "running");
    assert_string_equal(vsm_queue_state_name(VSM_QUEUE_CROSSED), "crossed");
    assert_string_equal(vsm_queue_state_name(VSM_QUEUE_WAITING), "waiting");
    assert_string_equal(vsm_queue_state_name(99), "unknown");
}

static void
test_writer_checks_itself(void **state)
{
    (void)state;
    struct vs_writer w;
    struct vs_error err;

    vs_writer_init(&w, 4096);
    vsm_message_begin(&w, VSM_MSG_REPLY, 7);
    vsm_message_add_text(&w, VSM_TAG_VM, "a");
    vsm_message_add_text(&w, VSM_TAG_VM, "b");   /* we must not send what we would refuse */
    assert_false(vsm_message_end(&w, &err));
    assert_non_null(strstr(err.message, "appears twice"));
    vs_writer_free(&w);
    vs_writer_init(&w, 20);
    vsm_message_begin(&w, VSM_MSG_REPLY, 7);
    vsm_message_add_text(&w, VSM_TAG_MESSAGE, "longer than the writer's ceiling");
    assert_false(vsm_message_end(&w, &err));
    vs_writer_free(&w);
}

/* The writer knows the id it began with (agent_call matches replies by it). */
static void
test_writer_id(void **state)
{
    (void)state;
    struct vs_writer w;

    vs_writer_init(&w, 64);
    assert_int_equal(vsm_message_writer_id(&w), 0);
    vsm_message_begin(&w, VSM_MSG_REQUEST, 0x01020304);
    assert_int_equal(vsm_message_writer_id(&w), 0x01020304);
    vs_writer_free(&w);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_writer_checks_itself),
        cmocka_unit_test(test_writer_id),
    };

    return cmocka_run_group_tests_name("message", tests, NULL, NULL);
}
