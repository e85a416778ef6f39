/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fileserver-hooks/netshare.h: whether a share exists, and creating one,
 * over MS-SRVS with Samba's libnetapi (NetShareGetInfo, NetShareAdd), as
 * the caller ($KRB5CCNAME, Kerberos only).
 *
 * A Windows server creates the share itself; a Samba server runs its
 * "add share command" (samba/vsmigrate-add-share). Either way the caller
 * needs the right to create shares there (an administrator of the server,
 * or SeDiskOperatorPrivilege on Samba), and the folder must exist. */
#ifndef VSM_FILESERVER_NETSHARE_H
#define VSM_FILESERVER_NETSHARE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "fileserver-hooks/acl.h"

/* Create share at path (the server's own path: /srv/vms or D:\VMs).
 *
 * Its share-level ACL lets Authenticated Users through, and the share
 * root's file-system ACL (which vsmigrate-share sets next) decides. Naming
 * the accounts at both levels would lock out whoever the server maps an
 * administrator to (Samba maps a "username map" root to Unix User\root,
 * with none of the domain groups), and the file-system ACL is the one that
 * also reaches every VM folder by inheritance. */
bool netshare_add(const char *server, const char *share, const char *path, const char *remark,
                  struct vs_error *err);

/* A share-level ACL as a Samba security_descriptor (talloc'd under
 * mem_ctx), for NetShareAdd; NULL if a SID does not parse. In sharesd.c,
 * the only file that sees Samba's NDR types. */
struct security_descriptor *netshare_sd_build(void *mem_ctx, const struct acl_want *acl,
                                              size_t nacl);

#endif
