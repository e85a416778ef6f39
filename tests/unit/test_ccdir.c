/* SPDX-License-Identifier: GPL-3.0-or-later */
/* common/ccdir.c: private ccache directories, and the sweep that removes
 * those of a killed process (issue 16, finding 8). */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/ccdir.h"

static char parent[] = "/tmp/vsm-test-ccdir-XXXXXX";

static void
fake_dir(const char *name, mode_t mode)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", parent, name);
    assert_int_equal(mkdir(path, mode), 0);
    chmod(path, mode);
    snprintf(path, sizeof path, "%s/%s/ccache", parent, name);
    assert_non_null(f = fopen(path, "w"));
    fputs("a ticket", f);
    fclose(f);
}

static bool
exists(const char *name)
{
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", parent, name);
    return stat(path, &st) == 0;
}

static void
test_create_names_the_owner(void **state)
{
    struct vs_ccache_dir d;
    struct vs_error err;
    struct stat st;
    char want[64];

    (void)state;
    assert_true(vs_ccache_dir_create(&d, parent, "t", &err));
    snprintf(want, sizeof want, "/t-%ld-", (long)getpid());
    assert_non_null(strstr(d.dir, want));
    assert_int_equal(stat(d.dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    vs_ccache_dir_remove(&d);
}

static void
test_sweep(void **state)
{
    char dead[64], mine[64], open_dir[64];
    pid_t child = fork();

    (void)state;
    if (child == 0)
        _exit(0);
    waitpid(child, NULL, 0);   /* a process that no longer exists */
    snprintf(dead, sizeof dead, "smbio-%ld-abcdef", (long)child);
    snprintf(mine, sizeof mine, "smbio-%ld-abcdef", (long)getpid());
    snprintf(open_dir, sizeof open_dir, "smbio-%ld-ghijkl", (long)child);
    fake_dir(dead, 0700);
    fake_dir(mine, 0700);
    fake_dir(open_dir, 0755);            /* not private: not ours to touch */
    fake_dir("notes-abcdef", 0700);      /* no pid in its name */
    assert_int_equal(vs_ccache_dir_sweep(parent, 0), 1);
    assert_false(exists(dead));
    assert_true(exists(mine));           /* alive */
    assert_true(exists(open_dir));
    assert_true(exists("notes-abcdef"));
    /* a tool that just ended: its directories go, whether it is reaped or not */
    assert_int_equal(vs_ccache_dir_sweep(parent, getpid()), 1);
    assert_false(exists(mine));
}

/* An export killed -9 stays a zombie until PID 1 reaps it, which may take
 * seconds or never come: its directory is swept all the same. */
static void
test_sweep_zombie_owner(void **state)
{
    char zombie[64];
    siginfo_t si;
    pid_t child = fork();

    (void)state;
    if (child == 0)
        _exit(0);
    assert_int_equal(waitid(P_PID, (id_t)child, &si, WEXITED | WNOWAIT), 0);   /* not reaped */
    snprintf(zombie, sizeof zombie, "smbio-%ld-zombie", (long)child);
    fake_dir(zombie, 0700);
    assert_int_equal(vs_ccache_dir_sweep(parent, 0), 1);
    assert_false(exists(zombie));
    waitpid(child, NULL, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_names_the_owner),
        cmocka_unit_test(test_sweep),
        cmocka_unit_test(test_sweep_zombie_owner),
    };
    if (mkdtemp(parent) == NULL)
        return 1;
    int rc = cmocka_run_group_tests_name("ccdir", tests, NULL, NULL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", parent);
    return system(cmd) != 0 ? 1 : rc;
}
