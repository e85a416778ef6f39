/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for smbio/url.c: what an smb:// disk URL may and may not be. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "smbio/url.h"

static void
expect_bad(const char *url, const char *words)
{
    struct smbio_url u;
    struct vs_error err;

    if (smbio_url_parse(url, &u, &err))
        fail_msg("'%s' was accepted", url ? url : "(null)");
    assert_int_equal(err.code, VS_ERR_INVALID);
    if (strstr(err.message, words) == NULL)
        fail_msg("'%s': message lacks '%s': %s", url ? url : "(null)", words, err.message);
}

static void
test_good_urls(void **state)
{
    (void)state;
    struct smbio_url u;
    struct vs_error err;

    assert_true(smbio_url_parse("smb://fs.lab.test/vms/web01/web01.raw", &u, &err));
    assert_string_equal(u.server, "fs.lab.test");
    assert_int_equal(u.port, 0);
    assert_string_equal(u.share, "vms");
    assert_string_equal(u.path, "web01/web01.raw");
    assert_true(smbio_url_parse("smb://10.0.0.3:4450/vms/a.qcow2", &u, &err));
    assert_string_equal(u.server, "10.0.0.3");
    assert_int_equal(u.port, 4450);
    assert_string_equal(u.path, "a.qcow2");
    assert_true(smbio_url_parse("smb://fs/vms/with space/disk 0.raw", &u, &err));
    assert_string_equal(u.path, "with space/disk 0.raw");
}

static void
test_bad_urls(void **state)
{
    (void)state;
    char longurl[2048];

    expect_bad(NULL, "is not an SMB URL");
    expect_bad("", "is not an SMB URL");
    expect_bad("nfs://fs/vms/a.raw", "is not an SMB URL");
    expect_bad("smb:/fs/vms/a.raw", "is not an SMB URL");
    expect_bad("smb://fs", "names no share");
    expect_bad("smb://fs/vms", "names no share and file");
    expect_bad("smb://fs/vms/", "names a folder");
    expect_bad("smb://fs/vms/dir/", "names a folder");
    expect_bad("smb:///vms/a.raw", "names no server");
    expect_bad("smb://fs//a.raw", "names no share");
    expect_bad("smb://admin@fs/vms/a.raw", "carries credentials");
    expect_bad("smb://admin:secret@fs/vms/a.raw", "carries credentials");
    expect_bad("smb://fs:0/vms/a.raw", "bad port");
    expect_bad("smb://fs:70000/vms/a.raw", "bad port");
    expect_bad("smb://fs:/vms/a.raw", "bad port");
    expect_bad("smb://fs:44x/vms/a.raw", "bad port");
    expect_bad("smb://fs/vms/../etc/passwd", "'..' path component");
    expect_bad("smb://fs/vms/./a.raw", "'.' or '..'");
    expect_bad("smb://fs/vms/a//b.raw", "empty");
    expect_bad("smb://fs/vms/a\\b.raw", "backslash");
    expect_bad("smb://fs/vms/a\nb.raw", "control character");
    memset(longurl, 'a', sizeof longurl - 1);
    longurl[sizeof longurl - 1] = '\0';
    memcpy(longurl, "smb://fs/vms/", 13);
    expect_bad(longurl, "longer than");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_urls),
        cmocka_unit_test(test_bad_urls),
    };

    return cmocka_run_group_tests_name("smbio_url", tests, NULL, NULL);
}
