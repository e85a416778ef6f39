/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/unit/tmpdir.h: a fresh directory for each case of a unit test that
 * writes files (cmocka setup and teardown), and small helpers inside it.
 * Included by one test program each: its state is the program's own. */
#ifndef VSM_TESTS_UNIT_TMPDIR_H
#define VSM_TESTS_UNIT_TMPDIR_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

/* cmocka setup: dir is a new, empty directory */
static inline int
tmpdir_make(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/vsm-unit-XXXXXX");
    return mkdtemp(dir) == NULL ? -1 : 0;
}

/* cmocka teardown: dir and all in it go */
static inline int
tmpdir_remove(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

/* dir/sub/name holds text (sub made if need be); false if it cannot */
static inline bool
tmpdir_write(const char *sub, const char *name, const char *text)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, sub);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name);
    if ((f = fopen(path, "w")) == NULL)
        return false;
    fputs(text, f);
    return fclose(f) == 0;
}

static inline bool
tmpdir_exists(const char *sub, const char *name)
{
    char path[512];

    snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name);
    return access(path, F_OK) == 0;
}

#endif
