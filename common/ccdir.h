/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vsmigrate: a private directory for one Kerberos ccache file.
 *
 * The project's rule for credential caches, in one place: a fresh directory
 * of mode 0700 (mkdtemp), one ccache file in it, and both removed after use,
 * so that nobody else can read or swap the tickets. krb/ and smbio/ both
 * write ccaches for libsmbclient, which reads only FILE: ccaches. */
#ifndef VSM_COMMON_CCDIR_H
#define VSM_COMMON_CCDIR_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

struct vs_ccache_dir {
    char dir[PATH_MAX - 32];
    char path[PATH_MAX - 16];     /* dir/ccache */
    char name[PATH_MAX];          /* FILE:path, for KRB5CCNAME and krb5_cc_resolve */
};

/* Create parent/prefix-PID-XXXXXX (0700), PID this process's. parent NULL:
 * $RUNTIME_DIRECTORY, else /run/vsmigrate when it exists, else $TMPDIR, else
 * /tmp. The ccache itself is the caller's to write at path. */
bool vs_ccache_dir_create(struct vs_ccache_dir *d, const char *parent, const char *prefix,
                          struct vs_error *err);
/* Remove the ccache and the directory; safe on a zeroed or failed one. */
void vs_ccache_dir_remove(struct vs_ccache_dir *d);

/* A process killed before it could remove its directory leaves tickets on
 * disk. Remove, under parent, the ccache directories of process pid (pid > 0:
 * a tool that has just ended, however it ended), or (pid 0) of every process
 * that no longer exists. Only our own 0700 directories, named as
 * vs_ccache_dir_create names them, are touched. Returns how many went. */
unsigned vs_ccache_dir_sweep(const char *parent, pid_t pid);

#endif
