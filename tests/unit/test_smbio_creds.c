/* SPDX-License-Identifier: GPL-3.0-or-later */
/* smbio/creds.c's renewal rule, and the errno classification that decides
 * when smbio/disk.c reconnects. */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "smbio/creds.h"
#include "smbio/disk.h"

static void
test_due_time(void **state)
{
    (void)state;
    /* a 10 h ticket: renewed at half its life */
    assert_int_equal(smbio_creds_due_time(1000, 1000 + 36000), 1000 + 18000);
    /* a 7 min ticket: half would leave under Samba's 5 min, so earlier */
    assert_int_equal(smbio_creds_due_time(1000, 1000 + 420), 1000 + 420 - SMBIO_CREDS_MIN_LEFT_S);
    /* exactly at the crossover both rules agree */
    assert_int_equal(smbio_creds_due_time(0, 2 * SMBIO_CREDS_MIN_LEFT_S), SMBIO_CREDS_MIN_LEFT_S);
    /* a ticket shorter than the margin is due at once (before it started) */
    assert_true(smbio_creds_due_time(1000, 1100) <= 1000);
}

static void
test_session_lost(void **state)
{
    (void)state;
    /* what libsmbclient returned here for a restarted server, an expired
     * session and a cut network */
    assert_true(smbio_errno_is_session_lost(ECONNABORTED));
    assert_true(smbio_errno_is_session_lost(EINVAL));
    assert_true(smbio_errno_is_session_lost(ETIMEDOUT));
    assert_true(smbio_errno_is_session_lost(ECONNRESET));
    assert_true(smbio_errno_is_session_lost(ENETRESET));   /* killed while the link was down */
    /* answers the server gives on a live session: reconnecting cannot help */
    assert_false(smbio_errno_is_session_lost(EACCES));
    assert_false(smbio_errno_is_session_lost(ENOENT));
    assert_false(smbio_errno_is_session_lost(EBUSY));
    assert_false(smbio_errno_is_session_lost(ENOSPC));
    assert_false(smbio_errno_is_session_lost(EROFS));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_due_time),
        cmocka_unit_test(test_session_lost),
    };

    return cmocka_run_group_tests_name("smbio_creds", tests, NULL, NULL);
}
