/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/frame.c: headers, limits per type and phase, and the
 * incremental reader fed a byte at a time. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "hostagent/frame.h"

static void
header(uint8_t h[8], uint8_t type, uint32_t len)
{
    h[0] = 'V'; h[1] = 'M'; h[2] = VSM_PROTO_VERSION; h[3] = type;
    h[4] = (uint8_t)(len >> 24); h[5] = (uint8_t)(len >> 16); h[6] = (uint8_t)(len >> 8); h[7] = (uint8_t)len;
}

static void
test_header_checks(void **state)
{
    (void)state;
    uint8_t h[8];
    enum vsm_frame_type t;
    uint32_t n;
    struct vs_error err;

    header(h, VSM_FRAME_TOKEN, 1200);
    assert_true(vsm_frame_header_parse(h, VSM_PHASE_HANDSHAKE, &t, &n, &err));
    assert_int_equal(t, VSM_FRAME_TOKEN);
    assert_int_equal(n, 1200);
    /* a token after authentication, a sealed frame before it */
    assert_false(vsm_frame_header_parse(h, VSM_PHASE_SEALED, &t, &n, &err));
    assert_non_null(strstr(err.message, "not allowed after authentication"));
    header(h, VSM_FRAME_SEALED, 10);
    assert_false(vsm_frame_header_parse(h, VSM_PHASE_HANDSHAKE, &t, &n, &err));
    assert_non_null(strstr(err.message, "before authentication"));
    /* the limits, exactly */
    header(h, VSM_FRAME_SEALED, VSM_FRAME_SEALED_MAX);
    assert_true(vsm_frame_header_parse(h, VSM_PHASE_SEALED, &t, &n, &err));
    header(h, VSM_FRAME_SEALED, VSM_FRAME_SEALED_MAX + 1);
    assert_false(vsm_frame_header_parse(h, VSM_PHASE_SEALED, &t, &n, &err));
    assert_non_null(strstr(err.message, "over the limit"));
    header(h, VSM_FRAME_TOKEN, VSM_FRAME_TOKEN_MAX + 1);
    assert_false(vsm_frame_header_parse(h, VSM_PHASE_HANDSHAKE, &t, &n, &err));
    header(h, VSM_FRAME_ERROR, 0xffffffffu);
    assert_false(vsm_frame_header_parse(h, VSM_PHASE_HANDSHAKE, &t, &n, &err));
    /* a refusal may come in either phase, within its limit */
    header(h, VSM_FRAME_ERROR, VSM_FRAME_ERROR_MAX);
    assert_true(vsm_frame_header_parse(h, VSM_PHASE_HANDSHAKE, &t, &n, &err));
    assert_true(vsm_frame_header_parse(h, VSM_PHASE_SEALED, &t, &n, &err));
    assert_int_equal(t, VSM_FRAME_ERROR);
    header(h, VSM_FRAME_ERROR, VSM_FRAME_ERROR_MAX + 1);
    assert_false(vsm_frame_header_parse(h, VSM_PHASE_SEALED, &t, &n, &err));
    /* magic, version, type */
    header(h, VSM_FRAME_TOKEN, 1);
    memcpy(h, "GE", 2);   /* an HTTP client */
    assert_false(vsm_frame_header_parse(h, VSM_PHASE_HANDSHAKE, &t, &n, &err));
    assert_non_null(strstr(err.message, "not a vsmigrate peer"));
    header(h, VSM_FRAME_TOKEN, 1);
    h[2] = VSM_PROTO_VERSION + 1;   /* a newer peer */
    assert_false(vsm_frame_header_parse(h, VSM_PHASE_HANDSHAKE, &t, &n, &err));
    assert_non_null(strstr(err.message, "same vsmigrate version"));
    header(h, 9, 1);
    assert_false(vsm_frame_header_parse(h, VSM_PHASE_HANDSHAKE, &t, &n, &err));
    assert_non_null(strstr(err.message, "unknown frame type 9"));
}

static void
test_reader_byte_by_byte(void **state)
{
    (void)state;
    struct vs_writer w;
    struct vsm_frame_reader fr;
    struct vsm_frame f;
    struct vs_error err;
    size_t fed = 0, frames = 0;

    vs_writer_init(&w, 4096);
    assert_true(vsm_frame_write(&w, VSM_FRAME_TOKEN, "first", 5));
    assert_true(vsm_frame_write(&w, VSM_FRAME_TOKEN, "", 0));
    assert_true(vsm_frame_write(&w, VSM_FRAME_ERROR, "third one", 9));
    vsm_frame_reader_init(&fr, VSM_PHASE_HANDSHAKE);
    while (fed < w.len) {
        size_t room;
        uint8_t *p = vsm_frame_reader_space(&fr, &room);
        assert_non_null(p);
        assert_true(room > 0);
        *p = w.data[fed++];   /* one byte at a time, as a slow peer sends */
        vsm_frame_reader_commit(&fr, 1);
        int rc = vsm_frame_reader_next(&fr, &f, &err);
        assert_int_not_equal(rc, -1);
        if (rc == 1) {
            frames++;
            if (frames == 1)
                assert_memory_equal(f.payload, "first", 5);
            if (frames == 2)
                assert_int_equal(f.len, 0);
            if (frames == 3) {
                assert_int_equal(f.type, VSM_FRAME_ERROR);
                assert_memory_equal(f.payload, "third one", 9);
            }
            vsm_frame_reader_consume(&fr);
        }
    }
    assert_int_equal(frames, 3);
    /* the buffer never held more than one frame */
    assert_true(fr.cap <= VSM_FRAME_HEADER + 9);
    vsm_frame_reader_free(&fr);
    vs_writer_free(&w);
}

static void
test_reader_announced_size_costs_nothing(void **state)
{
    (void)state;
    struct vsm_frame_reader fr;
    struct vsm_frame f;
    struct vs_error err;
    size_t room;
    uint8_t *p;

    /* a sealed frame announcing 1 MiB: room for it is made only as it
     * arrives in full, and the phase change between next and consume holds */
    vsm_frame_reader_init(&fr, VSM_PHASE_SEALED);
    p = vsm_frame_reader_space(&fr, &room);
    assert_int_equal(room, VSM_FRAME_HEADER);
    header(p, VSM_FRAME_SEALED, 3);
    vsm_frame_reader_commit(&fr, VSM_FRAME_HEADER);
    assert_int_equal(vsm_frame_reader_next(&fr, &f, &err), 0);
    p = vsm_frame_reader_space(&fr, &room);
    assert_int_equal(room, 3);
    memcpy(p, "abc", 3);
    vsm_frame_reader_commit(&fr, 3);
    assert_int_equal(vsm_frame_reader_next(&fr, &f, &err), 1);
    vsm_frame_reader_set_phase(&fr, VSM_PHASE_HANDSHAKE);
    vsm_frame_reader_consume(&fr);
    assert_false(fr.failed);
    assert_int_equal(fr.used, 0);
    /* garbage: the reader fails and stays failed */
    p = vsm_frame_reader_space(&fr, &room);
    memcpy(p, "GET / HT", 8);
    vsm_frame_reader_commit(&fr, 8);
    assert_int_equal(vsm_frame_reader_next(&fr, &f, &err), -1);
    assert_null(vsm_frame_reader_space(&fr, &room));
    assert_int_equal(vsm_frame_reader_next(&fr, &f, &err), -1);
    vsm_frame_reader_free(&fr);
}

static void
test_write_limit(void **state)
{
    (void)state;
    struct vs_writer w;
    static uint8_t big[VSM_FRAME_TOKEN_MAX + 1];

    vs_writer_init(&w, 2 * VSM_FRAME_MAX);
    assert_false(vsm_frame_write(&w, VSM_FRAME_TOKEN, big, sizeof big));
    assert_true(w.failed);
    vs_writer_free(&w);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_checks),
        cmocka_unit_test(test_reader_byte_by_byte),
        cmocka_unit_test(test_reader_announced_size_costs_nothing),
        cmocka_unit_test(test_write_limit),
    };

    return cmocka_run_group_tests_name("frame", tests, NULL, NULL);
}
