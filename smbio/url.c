/* SPDX-License-Identifier: GPL-3.0-or-later */
/* smbio/url.c: smb:// disk URLs. */
#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smbio/url.h"

static bool
copy_part(char *dst, size_t dstlen, const char *src, size_t len)
{
    if (len == 0 || len >= dstlen)
        return false;
    memcpy(dst, src, len);
    dst[len] = '\0';
    return true;
}

bool
smbio_url_parse(const char *url, struct smbio_url *out, struct vs_error *err)
{
    const char *p, *slash, *colon;
    size_t len;

    memset(out, 0, sizeof out[0]);
    if (url == NULL || strncmp(url, "smb://", 6) != 0) {
        vs_error_set(err, VS_ERR_INVALID, "'%s' is not an SMB URL: write smb://SERVER/SHARE/PATH",
                     url ? url : "");
        return false;
    }
    len = strlen(url);
    if (len >= SMBIO_URL_MAX) {
        vs_error_set(err, VS_ERR_INVALID, "the URL is longer than %d characters", SMBIO_URL_MAX - 1);
        return false;
    }
    for (p = url; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\') {
            vs_error_set(err, VS_ERR_INVALID, "the URL contains a control character or a backslash: "
                         "separate the parts with '/'");
            return false;
        }
    }
    p = url + 6;
    slash = strchr(p, '/');
    if (slash == NULL) {
        vs_error_set(err, VS_ERR_INVALID, "'%s' names no share: write smb://SERVER/SHARE/PATH", url);
        return false;
    }
    if (memchr(p, '@', (size_t)(slash - p)) != NULL) {
        vs_error_set(err, VS_ERR_INVALID, "'%s' carries credentials: remove 'user@' from the URL and "
                     "give a keytab or a ccache instead", url);
        return false;
    }
    colon = memchr(p, ':', (size_t)(slash - p));
    if (!copy_part(out->server, sizeof out->server, p, (size_t)((colon ? colon : slash) - p))) {
        vs_error_set(err, VS_ERR_INVALID, "'%s' names no server (or a name longer than 255)", url);
        return false;
    }
    if (colon != NULL) {
        char *end;
        long port = strtol(colon + 1, &end, 10);
        if (end != slash || colon + 1 == slash || port < 1 || port > 65535) {
            vs_error_set(err, VS_ERR_INVALID, "'%s' has a bad port: use 1 to 65535, or leave it out for 445", url);
            return false;
        }
        out->port = (unsigned)port;
    }
    p = slash + 1;
    slash = strchr(p, '/');
    if (slash == NULL || !copy_part(out->share, sizeof out->share, p, (size_t)(slash - p))) {
        vs_error_set(err, VS_ERR_INVALID, "'%s' names no share and file: write smb://SERVER/SHARE/PATH", url);
        return false;
    }
    p = slash + 1;
    if (*p == '\0' || p[strlen(p) - 1] == '/') {
        vs_error_set(err, VS_ERR_INVALID, "'%s' names a folder, not a disk file", url);
        return false;
    }
    /* each component: not empty, not "." or ".." */
    for (const char *c = p; *c;) {
        const char *e = strchr(c, '/');
        size_t n = e ? (size_t)(e - c) : strlen(c);
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.')) {
            vs_error_set(err, VS_ERR_INVALID, "'%s' has an empty, '.' or '..' path component", url);
            return false;
        }
        c += n + (e ? 1 : 0);
    }
    if (!copy_part(out->path, sizeof out->path, p, strlen(p))) {
        vs_error_set(err, VS_ERR_INVALID, "'%s' has a path that is too long", url);
        return false;
    }
    return true;
}
