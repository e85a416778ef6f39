/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for common/buf.c: bounded readers never overrun, writers never pass max. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"

static void
test_read_integers(void **state)
{
    (void)state;
    const uint8_t data[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                             0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };
    struct vs_reader r;
    uint8_t u8; uint16_t u16; uint32_t u32; uint64_t u64;

    vs_reader_init(&r, data, sizeof data);
    assert_true(vs_read_u8(&r, &u8));
    assert_int_equal(u8, 0x01);
    assert_true(vs_read_u16(&r, &u16));
    assert_int_equal(u16, 0x0203);
    assert_true(vs_read_u32(&r, &u32));
    assert_int_equal(u32, 0x04050607);
    assert_true(vs_read_u64(&r, &u64));
    assert_true(u64 == 0x08090a0b0c0d0e0fULL);
    assert_true(vs_reader_done(&r));
}

static void
test_underrun_sticks(void **state)
{
    (void)state;
    const uint8_t data[] = { 0xaa, 0xbb, 0xcc };
    struct vs_reader r;
    uint32_t u32;
    uint8_t u8;

    vs_reader_init(&r, data, sizeof data);
    assert_false(vs_read_u32(&r, &u32));
    assert_true(r.failed);
    /* once failed, even a read that would fit fails: no partial parses */
    assert_false(vs_read_u8(&r, &u8));
    assert_false(vs_reader_done(&r));
}

static void
test_bytes_and_strings(void **state)
{
    (void)state;
    const uint8_t data[] = { 0x00, 0x03, 'a', 'b', 'c', 0x00, 0x05, 'x' };
    const uint8_t *p;
    struct vs_reader r;
    size_t len;

    vs_reader_init(&r, data, sizeof data);
    assert_true(vs_read_string16(&r, 16, &p, &len));
    assert_int_equal(len, 3);
    assert_memory_equal(p, "abc", 3);
    /* claims 5 bytes, only 1 is there */
    assert_false(vs_read_string16(&r, 16, &p, &len));

    vs_reader_init(&r, data, sizeof data);
    assert_false(vs_read_string16(&r, 2, &p, &len));   /* longer than max */

    vs_reader_init(&r, data, sizeof data);
    assert_false(vs_read_bytes(&r, SIZE_MAX, &p));     /* no wrap-around */
    vs_reader_init(&r, NULL, 100);                     /* NULL data reads as empty */
    assert_int_equal(vs_reader_remaining(&r), 0);
}

static void
test_writer_ceiling(void **state)
{
    (void)state;
    struct vs_writer w;
    uint8_t big[300] = { 0 };

    vs_writer_init(&w, 16);
    assert_true(vs_write_u64(&w, 0x0102030405060708ULL));
    assert_true(vs_write_u32(&w, 0x0a0b0c0d));
    assert_true(vs_write_u16(&w, 0xeeff));
    assert_true(vs_write_u8(&w, 0x11));
    assert_int_equal(w.len, 15);
    assert_false(vs_write_u16(&w, 1));   /* 17 > 16 */
    assert_true(w.failed);
    assert_false(vs_write_u8(&w, 1));    /* failure sticks */
    assert_int_equal(w.data[0], 0x01);
    assert_int_equal(w.data[14], 0x11);
    vs_writer_free(&w);

    vs_writer_init(&w, 1 << 20);
    assert_true(vs_write_string16(&w, big, sizeof big));
    assert_int_equal(w.len, 302);
    assert_int_equal(w.data[0], 0x01);
    assert_int_equal(w.data[1], 0x2c);
    vs_writer_free(&w);

    vs_writer_init(&w, 1 << 20);
    assert_false(vs_write_string16(&w, big, 70000));   /* too long for a u16 length */
    vs_writer_free(&w);
}

static void
test_round_trip(void **state)
{
    (void)state;
    struct vs_writer w;
    struct vs_reader r;
    const uint8_t *s;
    size_t len;
    uint32_t v;

    vs_writer_init(&w, 1024);
    assert_true(vs_write_u32(&w, 42));
    assert_true(vs_write_string16(&w, "hello", 5));
    vs_reader_init(&r, w.data, w.len);
    assert_true(vs_read_u32(&r, &v));
    assert_int_equal(v, 42);
    assert_true(vs_read_string16(&r, 64, &s, &len));
    assert_memory_equal(s, "hello", 5);
    assert_true(vs_reader_done(&r));
    vs_writer_free(&w);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_integers),
        cmocka_unit_test(test_underrun_sticks),
        cmocka_unit_test(test_bytes_and_strings),
        cmocka_unit_test(test_writer_ceiling),
        cmocka_unit_test(test_round_trip),
    };

    return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
