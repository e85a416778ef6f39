/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for smbio/libsmb.c: NTSTATUS to errno, the SMBCFILE layout
 * check, and when Samba's asynchronous calls are used. */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "smbio/disk.h"
#include "smbio/libsmb.h"

static void
test_lost_sessions_reconnect(void **state)
{
    /* every way Samba says "the session or its connection is gone" must
     * lead the disk to reconnect, or a restarted server would fail I/O */
    static const uint32_t lost[] = {
        0xc000035c, /* NETWORK_SESSION_EXPIRED */ 0xc0000203, /* USER_SESSION_DELETED */
        0xc000020c, /* CONNECTION_DISCONNECTED */ 0xc0000241, /* CONNECTION_ABORTED */
        0xc00000c9, /* NETWORK_NAME_DELETED */ 0xc000020d, /* CONNECTION_RESET */
        0xc0000236, /* CONNECTION_REFUSED */ 0xc00000b5, /* IO_TIMEOUT */
        0xc000023c, /* NETWORK_UNREACHABLE */ 0xc000023d, /* HOST_UNREACHABLE */
        0xc00000c3, /* INVALID_NETWORK_RESPONSE */ 0xc0000008, /* INVALID_HANDLE */
        0xc0000128, /* FILE_CLOSED */
    };

    (void)state;
    for (size_t i = 0; i < sizeof lost / sizeof lost[0]; i++) {
        int e = smbio_errno_from_ntstatus(lost[i]);
        if (!smbio_errno_is_session_lost(e))
            fail_msg("NTSTATUS 0x%08x maps to %s, which does not reconnect", lost[i], strerror(e));
    }
}

static void
test_server_answers_are_final(void **state)
{
    (void)state;
    /* a refusal must not be retried as if the session were lost: a
     * reconnect cannot change the server's mind, and it would hide the cause */
    assert_int_equal(smbio_errno_from_ntstatus(0xc0000022), EACCES);   /* ACCESS_DENIED */
    assert_int_equal(smbio_errno_from_ntstatus(0xc0000043), EBUSY);    /* SHARING_VIOLATION */
    assert_int_equal(smbio_errno_from_ntstatus(0xc000007f), ENOSPC);   /* DISK_FULL */
    assert_int_equal(smbio_errno_from_ntstatus(0xc0000044), EDQUOT);   /* QUOTA_EXCEEDED */
    assert_int_equal(smbio_errno_from_ntstatus(0xc0000034), ENOENT);   /* OBJECT_NAME_NOT_FOUND */
    assert_int_equal(smbio_errno_from_ntstatus(0xc000009a), EAGAIN);   /* no credits now */
    assert_false(smbio_errno_is_session_lost(EACCES));
    assert_false(smbio_errno_is_session_lost(EBUSY));
    assert_false(smbio_errno_is_session_lost(ENOSPC));
    assert_false(smbio_errno_is_session_lost(EAGAIN));
    assert_false(smbio_errno_is_session_lost(EROFS));   /* standby: refused, not lost */
}

static void
test_success_and_unknown(void **state)
{
    (void)state;
    assert_int_equal(smbio_errno_from_ntstatus(0), 0);
    assert_int_equal(smbio_errno_from_ntstatus(0x00000103), 0);      /* STATUS_PENDING */
    assert_int_equal(smbio_errno_from_ntstatus(0x40000000), 0);      /* informational */
    assert_int_equal(smbio_errno_from_ntstatus(0xc0ffee00), EIO);    /* unknown error */
    assert_int_equal(smbio_errno_from_ntstatus(0x80000005), EIO);    /* a warning, unexpected here */
}

/* the head of libsmbclient's private struct _SMBCFILE */
struct fake_file {
    int cli_fd;
    void *targetcli;
    char *fname;
};

static void
test_handle_layout_check(void **state)
{
    char url[] = "smb://fs.lab.test/vms/web01/disk0.raw";
    int conn;
    struct fake_file f = { 7, &conn, url };
    void *cli = NULL;
    uint16_t fnum = 0;

    (void)state;
    assert_true(smbio_libsmb_handle((SMBCFILE *)&f, "smb://fs.lab.test/vms/web01/disk0.raw", &cli, &fnum));
    assert_ptr_equal(cli, &conn);
    assert_int_equal(fnum, 7);
    /* anything that does not look like the file we opened is refused */
    assert_false(smbio_libsmb_handle(NULL, url, &cli, &fnum));
    assert_false(smbio_libsmb_handle((SMBCFILE *)&f, "smb://fs.lab.test/vms/web02/disk0.raw", &cli, &fnum));
    f.cli_fd = 70000;
    assert_false(smbio_libsmb_handle((SMBCFILE *)&f, url, &cli, &fnum));
    f.cli_fd = -1;
    assert_false(smbio_libsmb_handle((SMBCFILE *)&f, url, &cli, &fnum));
    f.cli_fd = 7;
    f.targetcli = NULL;
    assert_false(smbio_libsmb_handle((SMBCFILE *)&f, url, &cli, &fnum));
    f.targetcli = &conn;
    f.fname = NULL;
    assert_false(smbio_libsmb_handle((SMBCFILE *)&f, url, &cli, &fnum));
}

static void
test_async_only_on_checked_samba(void **state)
{
    const char *why = "unset";
    bool ok = smbio_libsmb_async_available(&why);
    const char *version = smbc_version();

    (void)state;
    /* Debian 12's Samba is the release the private calls were checked on */
    assert_int_equal(ok, strncmp(version, "4.17.", 5) == 0);
    if (ok)
        assert_null(why);
    else
        assert_non_null(strstr(why, version));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lost_sessions_reconnect),
        cmocka_unit_test(test_server_answers_are_final),
        cmocka_unit_test(test_success_and_unknown),
        cmocka_unit_test(test_handle_layout_check),
        cmocka_unit_test(test_async_only_on_checked_samba),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
