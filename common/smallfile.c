/* SPDX-License-Identifier: GPL-3.0-or-later */
/* common/smallfile.c: small state files, replaced whole (smallfile.h). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "smallfile.h"

bool
vs_smallfile_replace(const char *path, const void *data, size_t len, struct vs_error *err)
{
    char tmp[1100];
    int fd;

    if ((size_t)snprintf(tmp, sizeof tmp, "%s.new", path) >= sizeof tmp) {
        vs_error_set(err, VS_ERR_INVALID, "%s: the path is too long", path);
        return false;
    }
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
        vs_error_set(err, VS_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
        return false;
    }
    errno = 0;   /* a short write sets none */
    bool ok = write(fd, data, len) == (ssize_t)len;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        vs_error_set(err, VS_ERR_IO, "cannot write %s: %s", path,
                     errno ? strerror(errno) : "short write");
        unlink(tmp);
        return false;
    }
    return true;
}

bool
vs_smallfile_read(const char *path, char *buf, size_t cap, size_t *len, struct vs_error *err)
{
    int fd;
    ssize_t n;

    *len = 0;
    if (cap == 0) {
        vs_error_set(err, VS_ERR_INVALID, "%s: no room to read into", path);
        return false;
    }
    buf[0] = '\0';
    if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        vs_error_set(err, errno == ENOENT ? VS_ERR_NOTFOUND : VS_ERR_IO, "cannot read %s: %s",
                     path, strerror(errno));
        return false;
    }
    n = read(fd, buf, cap);
    close(fd);
    if (n < 0 || (size_t)n >= cap) {
        vs_error_set(err, n < 0 ? VS_ERR_IO : VS_ERR_INVALID, "%s: %s", path,
                     n < 0 ? strerror(errno) : "longer than a record of it can be");
        buf[0] = '\0';
        return false;
    }
    buf[n] = '\0';
    *len = (size_t)n;
    return true;
}
