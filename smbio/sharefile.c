/* SPDX-License-Identifier: GPL-3.0-or-later */
/* smbio/sharefile.c: a small file on the share replaced whole: written
 * beside it, then renamed over it. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/krb5util.h"
#include "smbio/context.h"
#include "smbio/sharefile.h"
#include "smbio/threads.h"
#include "smbio/url.h"

#define NEW_SUFFIX ".vsm-new"

/* errno from libsmbclient, as a sentence: what failed, on what, the fix */
static void
share_error(int e, const char *what, const char *url, const char *principal, struct vs_error *err)
{
    if (e == EACCES || e == EPERM)
        vs_error_set(err, VS_ERR_DENIED, "the file server refused to let %s %s %s: grant it "
                     "Modify on the VM's folder (vsmigrate-share provision)", principal, what, url);
    else if (e == ENOENT || e == ENOTDIR)
        vs_error_set(err, VS_ERR_NOTFOUND, "cannot %s %s: its folder does not exist on the share",
                     what, url);
    else
        vs_error_set(err, VS_ERR_IO, "cannot %s %s: %s", what, url, strerror(e));
}

static bool
write_all(SMBCCTX *ctx, SMBCFILE *f, const char *buf, size_t len, const char *url,
          struct vs_error *err)
{
    while (len > 0) {
        ssize_t n = smbc_getFunctionWrite(ctx)(ctx, f, buf, len);
        if (n <= 0) {
            share_error(n < 0 ? errno : EIO, "write", url, "", err);
            return false;
        }
        buf += n;
        len -= (size_t)n;
    }
    return true;
}

/* the new file, written and closed; false leaves none behind */
static bool
write_new(SMBCCTX *ctx, const char *tmp, const void *buf, size_t len, const char *principal,
          struct vs_error *err)
{
    SMBCFILE *f = smbc_getFunctionOpen(ctx)(ctx, tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);

    if (f == NULL) {
        share_error(errno, "create", tmp, principal, err);
        return false;
    }
    bool ok = write_all(ctx, f, buf, len, tmp, err);
    if (smbc_getFunctionClose(ctx)(ctx, f) != 0 && ok) {
        share_error(errno, "close", tmp, principal, err);
        ok = false;
    }
    if (!ok)
        smbc_getFunctionUnlink(ctx)(ctx, tmp);
    return ok;
}

bool
smbio_share_file_replace(const char *url, const char *ccache, const void *buf, size_t len,
                         struct vs_error *err)
{
    struct smbio_url parts;
    char principal[512], tmp[sizeof parts.path + 600];
    SMBCCTX *ctx;
    bool ok;

    if (len > SMBIO_SHARE_FILE_MAX) {
        vs_error_set(err, VS_ERR_INVALID, "%zu bytes is more than a definition's %d", len,
                     SMBIO_SHARE_FILE_MAX);
        return false;
    }
    if (!smbio_url_parse(url, &parts, err))
        return false;
    if (ccache == NULL || strncmp(ccache, "FILE:", 5) != 0 || access(ccache + 5, R_OK) != 0 ||
        !vs_krb5_ccache_principal(ccache, principal, sizeof principal)) {
        vs_error_set(err, VS_ERR_AUTH, "the Kerberos ccache '%s' is not a readable FILE: ccache "
                     "with a principal", ccache ? ccache : "");
        return false;
    }
    if (snprintf(tmp, sizeof tmp, "%s%s", url, NEW_SUFFIX) >= (int)sizeof tmp) {
        vs_error_set(err, VS_ERR_INVALID, "the URL %s is too long", url);
        return false;
    }
    setenv("KRB5CCNAME", ccache, 1);   /* libsmbclient reads it, process-wide */
    smbio_setup_lock();
    ctx = smbio_context_new(principal, err);
    smbio_setup_unlock();
    if (ctx == NULL)
        return false;
    ok = write_new(ctx, tmp, buf, len, principal, err);
    if (ok && smbc_getFunctionRename(ctx)(ctx, tmp, ctx, url) != 0) {
        /* the old file is as it was (or, if only the rename's second try
         * failed, gone with the new one still beside it): say which */
        int e = errno;
        share_error(e, "replace", url, principal, err);
        vs_error_prefix(err, "the new copy stays at %s", tmp);
        ok = false;
    }
    smbio_setup_lock();
    smbc_free_context(ctx, 1);
    smbio_setup_unlock();
    return ok;
}
