/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/domxml.h: what a compatibility check needs from a libvirt
 * domain definition, read with libxml2.
 *
 * The disks' places on the share are in the domain's own metadata, so the
 * definition on the share is all a host needs to know about a VM:
 *
 *   <metadata>
 *     <vsm:vm xmlns:vsm="https://vsmigrate.org/xmlns/vm/1">
 *       <vsm:disk target="vda" url="smb://fs.example.com/vms/web01/web01.raw"/>
 *     </vsm:vm>
 *   </metadata>
 *
 * Pure (no libvirt): unit-tested. */
#ifndef VSM_HOSTAGENT_DOMXML_H
#define VSM_HOSTAGENT_DOMXML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define DOMXML_NS "https://vsmigrate.org/xmlns/vm/1"
#define DOMXML_MAX_ITEMS 64
#define DOMXML_MAX_DEPTH 32   /* libvirt's definitions nest about 6 deep */

struct domxml_nic {
    char kind[16];          /* "network" or "bridge" (others are not checked) */
    char name[256];         /* the network's or bridge's name */
};

struct domxml_disk {
    char target[32];        /* vda */
    char url[1024];         /* smb://..., "" when the metadata does not say */
    char socket[256];       /* an NBD disk's unix socket, "" for any other source */
};

struct domxml_lease {       /* <lease>: a lock manager's resource */
    char lockspace[64];
    char key[64];
    char path[256];         /* <target path=...> */
};

struct domxml_info {
    char name[256];
    char virt_type[16];     /* <domain type=...>: kvm, qemu */
    char arch[32];          /* <os><type arch=...> */
    char machine[64];       /* <os><type machine=...> */
    uint64_t memory_bytes;
    unsigned vcpus;
    char *cpu_xml;          /* the <cpu> element as text, or NULL; free with domxml_free */
    struct domxml_nic nics[DOMXML_MAX_ITEMS];
    size_t nnics;
    struct domxml_disk disks[DOMXML_MAX_ITEMS];
    size_t ndisks;
    struct domxml_lease leases[DOMXML_MAX_ITEMS];
    size_t nleases;
};

/* Parse; false with err for XML that is not a domain definition. The text
 * may come from another host: any DTD or entity declaration is refused,
 * entities are not substituted, nothing is loaded from the network, and
 * elements nest at most DOMXML_MAX_DEPTH deep. */
bool domxml_parse(const char *xml, size_t len, struct domxml_info *out, struct vs_error *err);
void domxml_free(struct domxml_info *info);

#endif
