/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/placement.c: every disk of a VM in its own folder on a listed
 * share (issue 16, findings 2 and 3). */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "hostagent/placement.h"

static char *shares[] = { "//fs.lab.test/vms" };

static struct domxml_info vm;

static void
web01(const char *url0, const char *url1)
{
    memset(&vm, 0, sizeof vm);
    snprintf(vm.name, sizeof vm.name, "web01");
    snprintf(vm.disks[0].target, sizeof vm.disks[0].target, "vda");
    snprintf(vm.disks[0].url, sizeof vm.disks[0].url, "%s", url0);
    vm.ndisks = 1;
    if (url1) {
        snprintf(vm.disks[1].target, sizeof vm.disks[1].target, "vdb");
        snprintf(vm.disks[1].url, sizeof vm.disks[1].url, "%s", url1);
        vm.ndisks = 2;
    }
}

static void
refused(const char *url1, enum vs_errcode code, const char *words)
{
    char folder[1300];
    struct vs_error err;

    web01("smb://fs.lab.test/vms/web01/web01.raw", url1);
    assert_false(placement_check(&vm, "web01", shares, 1, folder, sizeof folder, &err));
    assert_int_equal(err.code, code);
    if (strstr(err.message, words) == NULL)
        fail_msg("expected '%s' in: %s", words, err.message);
    assert_non_null(strstr(err.message, "vdb"));   /* names the disk */
}

static void
test_inside_the_folder(void **state)
{
    char folder[1300];
    struct vs_error err;

    (void)state;
    web01("smb://fs.lab.test/vms/web01/web01.raw", "smb://FS.lab.test/VMS/web01/data/b.qcow2");
    assert_true(placement_check(&vm, "web01", shares, 1, folder, sizeof folder, &err));
    assert_string_equal(folder, "smb://fs.lab.test/vms/web01");
    web01("smb://fs/vms/web01/web01.raw", NULL);   /* the server's short name */
    assert_true(placement_check(&vm, NULL, shares, 1, folder, sizeof folder, &err));
}

static void
test_outside_the_folder(void **state)
{
    (void)state;
    /* the finding: an admin of web01 names db01's disk */
    refused("smb://fs.lab.test/vms/db01/db01.raw", VS_ERR_DENIED, "outside the VM's own folder");
    refused("smb://fs.lab.test/vms/web01x/a.raw", VS_ERR_DENIED, "outside the VM's own folder");
    refused("smb://fs.lab.test/vms/web01.raw", VS_ERR_DENIED, "outside the VM's own folder");
    refused("smb://fs.lab.test/vms/web01/", VS_ERR_INVALID, "vdb");
    refused("smb://fs.lab.test/vms/web01/../db01/db01.raw", VS_ERR_INVALID, "vdb");
    /* the DC's sysvol, another server, a port the attacker picked */
    refused("smb://dc.lab.test/sysvol/lab.test/web01/x", VS_ERR_DENIED, "not a share this host keeps");
    refused("smb://fs.lab.test/sysvol/web01/x", VS_ERR_DENIED, "not a share this host keeps");
    refused("smb://ws.lab.test:4445/vms/web01/x.raw", VS_ERR_DENIED, "port 4445");
    refused("", VS_ERR_INVALID, "no smb:// place");
}

static void
test_name_and_shares(void **state)
{
    char folder[1300];
    struct vs_error err;

    (void)state;
    web01("smb://fs.lab.test/vms/web01/web01.raw", NULL);
    /* a definition checked under another VM's name */
    assert_false(placement_check(&vm, "db01", shares, 1, folder, sizeof folder, &err));
    assert_non_null(strstr(err.message, "names the VM 'web01'"));
    /* no share configured: deny by default */
    assert_false(placement_check(&vm, "web01", shares, 0, folder, sizeof folder, &err));
    assert_non_null(strstr(err.message, "[storage]"));
    /* a name that is no folder name */
    snprintf(vm.name, sizeof vm.name, "..");
    assert_false(placement_check(&vm, NULL, shares, 1, folder, sizeof folder, &err));
    assert_int_equal(err.code, VS_ERR_INVALID);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inside_the_folder),
        cmocka_unit_test(test_outside_the_folder),
        cmocka_unit_test(test_name_and_shares),
    };
    return cmocka_run_group_tests_name("placement", tests, NULL, NULL);
}
