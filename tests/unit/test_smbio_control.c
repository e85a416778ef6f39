/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for smbio/control.c: the disk export's control protocol. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/json.h"
#include "smbio/control.h"

static void
test_parse(void **state)
{
    (void)state;
    enum smbio_command c;
    char longline[200];

    assert_true(smbio_control_parse("status", &c));
    assert_int_equal(c, SMBIO_CMD_STATUS);
    assert_true(smbio_control_parse("release\n", &c));
    assert_int_equal(c, SMBIO_CMD_RELEASE);
    assert_true(smbio_control_parse("promote\r\n", &c));
    assert_int_equal(c, SMBIO_CMD_PROMOTE);
    assert_false(smbio_control_parse("", &c));
    assert_false(smbio_control_parse("\n", &c));
    assert_false(smbio_control_parse("Release", &c));
    assert_false(smbio_control_parse("releasex", &c));
    assert_false(smbio_control_parse("relea", &c));
    assert_false(smbio_control_parse(" status", &c));
    assert_false(smbio_control_parse("status\nrelease", &c));
    memset(longline, 'a', sizeof longline - 1);
    longline[sizeof longline - 1] = '\0';
    assert_false(smbio_control_parse(longline, &c));
    assert_string_equal(smbio_command_name(SMBIO_CMD_PROMOTE), "promote");
    assert_string_equal(smbio_command_name((enum smbio_command)7), "unknown");
}

static void
test_replies(void **state)
{
    (void)state;
    struct smbio_stats st = { 1, 2, 3, 4096, 8192, 0, 4, 5, 0, 2, 1790000000, true, 9, 6 };
    struct vs_error err;
    char buf[1024];

    smbio_control_reply(buf, sizeof buf, true, NULL, SMBIO_ACTIVE, &st);
    assert_string_equal(buf, "{\"ok\":true,\"mode\":\"active\",\"reads\":1,\"writes\":2,\"flushes\":3,"
                             "\"bytes_read\":4096,\"bytes_written\":8192,\"errors\":0,\"connections\":4,"
                             "\"io\":\"pipelined\",\"max_in_flight\":9,\"readahead_hits\":6,"
                             "\"reconnects\":5,\"writer_lost\":0,\"ticket_renewals\":2,"
                             "\"ticket_expires\":1790000000}\n");
    vs_error_set(&err, VS_ERR_BUSY, "held by \"hosta\"\\ now\n");
    smbio_control_reply(buf, sizeof buf, false, &err, SMBIO_STANDBY, &st);
    assert_non_null(strstr(buf, "{\"ok\":false,\"code\":\"busy\",\"error\":\"held by \\\"hosta\\\"\\\\ now\\n\","));
    /* what the agent and vsmigrate-disk read back is the message itself */
    char back[256];
    assert_non_null(json_field(buf, "error", back, sizeof back));
    assert_string_equal(back, "held by \"hosta\"\\ now\n");
    assert_non_null(strstr(buf, "\"mode\":\"standby\""));
    /* one line, always */
    assert_ptr_equal(strchr(buf, '\n'), buf + strlen(buf) - 1);
    smbio_control_reply(buf, 40, true, NULL, SMBIO_ACTIVE, &st);   /* too small: an error reply */
    assert_non_null(strstr(buf, "\"ok\":false"));
    smbio_control_reply_error(buf, sizeof buf, "bad \"x\"");
    assert_string_equal(buf, "{\"ok\":false,\"code\":\"invalid\",\"error\":\"bad \\\"x\\\"\"}\n");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_replies),
    };

    return cmocka_run_group_tests_name("smbio_control", tests, NULL, NULL);
}
