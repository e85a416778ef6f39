/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/placement.c: where a VM's disks may be (see placement.h). */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/hostname.h"
#include "hostagent/placement.h"
#include "smbio/url.h"

/* A VM name that is one folder name: no separators, no "." or "..", no
 * control characters. */
static bool
folder_name_ok(const char *name)
{
    if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return false;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\' || *p == ':')
            return false;
    return true;
}

/* Is smb://server/share one of the configured //SERVER/SHARE? */
static bool
share_listed(const struct smbio_url *u, char *const *shares, size_t nshares)
{
    for (size_t i = 0; i < nshares; i++) {
        const char *s = shares[i];
        if (strncmp(s, "//", 2) != 0)
            continue;
        const char *slash = strchr(s + 2, '/');
        if (slash == NULL)
            continue;
        char server[256];
        snprintf(server, sizeof server, "%.*s", (int)(slash - s - 2), s + 2);
        if (vs_host_same(server, u->server) && strcasecmp(slash + 1, u->share) == 0)
            return true;
    }
    return false;
}

bool
placement_check(const struct domxml_info *vm, const char *expected_name, char *const *shares,
                size_t nshares, char *folder, size_t folderlen, struct vs_error *err)
{
    struct smbio_url first = { 0 };

    if (expected_name && strcmp(vm->name, expected_name) != 0) {
        vs_error_set(err, VS_ERR_INVALID, "the definition sent for %s names the VM '%s': a "
                     "definition is checked only under its own name", expected_name, vm->name);
        return false;
    }
    if (!folder_name_ok(vm->name)) {
        vs_error_set(err, VS_ERR_INVALID, "the VM name '%s' cannot be a folder name on the share "
                     "(no '/', '\\', ':', '.' or '..'): rename the VM", vm->name);
        return false;
    }
    if (nshares == 0) {
        vs_error_set(err, VS_ERR_DENIED, "this host lists no share for VM disks (deny by "
                     "default): set shares = //SERVER/SHARE in [storage] of vsmigrated.conf");
        return false;
    }
    for (size_t i = 0; i < vm->ndisks; i++) {
        const struct domxml_disk *d = &vm->disks[i];
        struct smbio_url u;
        struct vs_error uerr;
        size_t n = strlen(vm->name);

        if (d->url[0] == '\0') {
            vs_error_set(err, VS_ERR_INVALID, "disk %s of %s gives no smb:// place: add "
                         "<vsm:disk target='%s' url='smb://...'/> (namespace %s) to its metadata",
                         d->target, vm->name, d->target, DOMXML_NS);
            return false;
        }
        if (!smbio_url_parse(d->url, &u, &uerr)) {
            vs_error_set(err, VS_ERR_INVALID, "disk %s of %s: %s", d->target, vm->name, uerr.message);
            return false;
        }
        if (u.port != 0 && u.port != 445) {
            vs_error_set(err, VS_ERR_DENIED, "disk %s of %s is at %s, on port %u: VM disks are "
                         "reached only at the file server's SMB port (445); remove the port",
                         d->target, vm->name, d->url, u.port);
            return false;
        }
        if (!share_listed(&u, shares, nshares)) {
            vs_error_set(err, VS_ERR_DENIED, "disk %s of %s is at %s, on //%s/%s, which is not a "
                         "share this host keeps VM disks on ([storage] shares): move the disk into "
                         "the VM's folder on a listed share", d->target, vm->name, d->url,
                         u.server, u.share);
            return false;
        }
        if (strncmp(u.path, vm->name, n) != 0 || u.path[n] != '/' || u.path[n + 1] == '\0') {
            vs_error_set(err, VS_ERR_DENIED, "disk %s of %s is at %s, outside the VM's own folder "
                         "//%s/%s/%s/: every disk of a VM lies in its own folder; move the disk "
                         "there", d->target, vm->name, d->url, u.server, u.share, vm->name);
            return false;
        }
        if (i == 0) {
            first = u;
        } else if (strcasecmp(u.server, first.server) != 0 || strcasecmp(u.share, first.share) != 0) {
            vs_error_set(err, VS_ERR_DENIED, "disk %s of %s is on //%s/%s but disk %s on //%s/%s: "
                         "all disks of a VM lie in its one folder, beside its definition",
                         d->target, vm->name, u.server, u.share, vm->disks[0].target,
                         first.server, first.share);
            return false;
        }
    }
    if (vm->ndisks == 0) {
        vs_error_set(err, VS_ERR_INVALID, "%s has no disk, so its folder on the share is unknown",
                     vm->name);
        return false;
    }
    snprintf(folder, folderlen, "smb://%s/%s/%s", first.server, first.share, vm->name);
    return true;
}
