/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vsmigrate: a private directory for one Kerberos ccache file. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ccdir.h"

bool
vs_ccache_dir_create(struct vs_ccache_dir *d, const char *parent, const char *prefix,
                     struct vs_error *err)
{
    memset(d, 0, sizeof *d);
    if (parent == NULL)
        parent = getenv("RUNTIME_DIRECTORY");
    if (parent == NULL)
        parent = getenv("TMPDIR");
    if (parent == NULL)
        parent = "/tmp";
    /* mkdtemp makes it 0700 */
    if ((size_t)snprintf(d->dir, sizeof d->dir, "%s/%s-XXXXXX", parent, prefix) >= sizeof d->dir ||
        mkdtemp(d->dir) == NULL) {
        vs_error_set(err, VS_ERR_IO, "cannot create a private ccache directory in %s: %s (it must "
                     "exist and be writable by this process; set RUNTIME_DIRECTORY or TMPDIR to "
                     "another directory)", parent, strerror(errno));
        d->dir[0] = '\0';
        return false;
    }
    snprintf(d->path, sizeof d->path, "%s/ccache", d->dir);
    snprintf(d->name, sizeof d->name, "FILE:%s", d->path);
    return true;
}

void
vs_ccache_dir_remove(struct vs_ccache_dir *d)
{
    if (d->path[0])
        unlink(d->path);
    if (d->dir[0])
        rmdir(d->dir);
    memset(d, 0, sizeof *d);
}
