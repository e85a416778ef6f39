/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fileserver-hooks/netshare.c: MS-SRVS through libnetapi. */
#include <config.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>
#include <netapi.h>

#include "fileserver-hooks/netshare.h"

#define ERROR_ACCESS_DENIED 5
#define ERROR_FILE_NOT_FOUND 2
#define ERROR_PATH_NOT_FOUND 3
#define ERROR_BAD_NETPATH 53
#define ERROR_NOT_SUPPORTED 50
#define NERR_DUPLICATE_SHARE 2118

static bool
session_open(struct libnetapi_ctx **ctx, struct vs_error *err)
{
    NET_API_STATUS st = libnetapi_init(ctx);

    if (st != 0) {
        vs_error_set(err, VS_ERR_INTERNAL, "cannot start Samba's libnetapi (status %u): is "
                     "/etc/samba/smb.conf readable?", st);
        return false;
    }
    libnetapi_set_use_kerberos(*ctx);
    /* Kerberos only: an empty password keeps libnetapi from prompting for one */
    libnetapi_set_password(*ctx, "");
    return true;
}

static void
status_explain(struct libnetapi_ctx *ctx, NET_API_STATUS st, const char *server, const char *what,
               const char *path, struct vs_error *err)
{
    char *text = libnetapi_get_error_string(ctx, st);
    const char *says = text ? text : "unknown error";

    switch ((unsigned)st) {
    case ERROR_ACCESS_DENIED:
        vs_error_set(err, VS_ERR_DENIED, "%s: %s refused (%s): the caller must administer the "
                     "server (on Samba: root, or a group granted SeDiskOperatorPrivilege with "
                     "'net sam rights grant'; and 'add share command' must be set, see "
                     "vsmigrate-add-share)", what, server, says);
        break;
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
        vs_error_set(err, VS_ERR_NOTFOUND, "%s: the folder %s does not exist on %s: create it "
                     "there first (mkdir -p on Samba, New-Item on Windows)", what,
                     path ? path : "?", server);
        break;
    case ERROR_BAD_NETPATH:
        vs_error_set(err, VS_ERR_UNAVAILABLE, "%s: cannot reach %s (%s): is it up, and is TCP "
                     "port 445 open?", what, server, says);
        break;
    default:
        vs_error_set(err, VS_ERR_IO, "%s on %s failed: %s (status %u); the server's log says "
                     "why (log.rpcd_classic on Samba, the System event log on Windows)", what,
                     server, says, st);
        break;
    }
    if (text)
        NetApiBufferFree(text);
}

bool
netshare_add(const char *server, const char *share, const char *path, const char *remark,
             struct vs_error *err)
{
    static const struct acl_want authenticated_users = { "S-1-5-11", "Authenticated Users", 0,
                                                         ACL_MASK_FULL, false };
    struct libnetapi_ctx *ctx;
    struct SHARE_INFO_502 info;
    TALLOC_CTX *mem = talloc_new(NULL);
    uint32_t parm_err = 0;
    NET_API_STATUS st;
    bool ok = false;

    memset(&info, 0, sizeof info);
    info.shi502_netname = share;
    info.shi502_type = 0;                 /* STYPE_DISKTREE */
    info.shi502_remark = remark;
    info.shi502_path = path;
    info.shi502_max_uses = (uint32_t)-1;  /* no limit */
    info.shi502_security_descriptor = netshare_sd_build(mem, &authenticated_users, 1);
    if (mem == NULL || info.shi502_security_descriptor == NULL) {
        vs_error_set(err, VS_ERR_INVALID, "cannot build the share's ACL (a malformed SID?)");
        talloc_free(mem);
        return false;
    }
    if (!session_open(&ctx, err)) {
        talloc_free(mem);
        return false;
    }
    st = NetShareAdd(server, 502, (uint8_t *)&info, &parm_err);
    if (st == 0)
        ok = true;
    else if ((unsigned)st == NERR_DUPLICATE_SHARE)
        vs_error_set(err, VS_ERR_BUSY, "creating the share %s: %s already has a share of that "
                     "name", share, server);
    else
        status_explain(ctx, st, server, "creating the share", path, err);
    libnetapi_free(ctx);
    talloc_free(mem);
    return ok;
}
