/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vsmigrate: a private directory for one Kerberos ccache file. */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ccdir.h"
#include "proc.h"

bool
vs_ccache_dir_create(struct vs_ccache_dir *d, const char *parent, const char *prefix,
                     struct vs_error *err)
{
    memset(d, 0, sizeof *d);
    if (parent == NULL)
        parent = getenv("RUNTIME_DIRECTORY");
    if (parent == NULL && access("/run/vsmigrate", W_OK) == 0)
        parent = "/run/vsmigrate";   /* not a world-writable /tmp */
    if (parent == NULL)
        parent = getenv("TMPDIR");
    if (parent == NULL)
        parent = "/tmp";
    /* mkdtemp makes it 0700; the pid lets a sweep find it after a kill -9 */
    if ((size_t)snprintf(d->dir, sizeof d->dir, "%s/%s-%ld-XXXXXX", parent, prefix,
                         (long)getpid()) >= sizeof d->dir ||
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

/* The pid in NAME-PID-XXXXXX, or -1 when name is not of that form. */
static long
owner_pid(const char *name)
{
    size_t n = strlen(name);
    const char *dash;
    char *end;

    if (n < 10 || name[n - 7] != '-')
        return -1;
    for (dash = name + n - 8; dash > name && *dash != '-'; dash--)
        if (*dash < '0' || *dash > '9')
            return -1;
    if (dash == name || dash == name + n - 8)
        return -1;
    long pid = strtol(dash + 1, &end, 10);
    return end == name + n - 7 && pid > 0 ? pid : -1;
}

unsigned
vs_ccache_dir_sweep(const char *parent, pid_t pid)
{
    DIR *dir = opendir(parent);
    struct dirent *e;
    unsigned removed = 0;

    if (dir == NULL)
        return 0;
    while ((e = readdir(dir)) != NULL) {
        long owner = owner_pid(e->d_name);
        char path[PATH_MAX], file[PATH_MAX + 16];
        struct stat st;

        /* an owner that ended and waits to be reaped (a zombie) is gone too */
        if (owner < 0 || (pid > 0 ? owner != pid : vs_process_running((pid_t)owner)))
            continue;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", parent, e->d_name) >= sizeof path ||
            lstat(path, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
            (st.st_mode & 0777) != 0700)
            continue;
        /* what vs_ccache_dir_create and a renewal (ccache.new) put there */
        static const char *const files[] = { "ccache", "ccache.new" };
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
            snprintf(file, sizeof file, "%s/%s", path, files[i]);
            unlink(file);
        }
        removed += rmdir(path) == 0;
    }
    closedir(dir);
    return removed;
}
