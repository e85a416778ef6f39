/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/placement.h: where a VM's disks may be.
 *
 * A host opens a VM's disks with its own machine account, which can reach
 * far more than any one VM (every VM's folder, and any share or server the
 * account can log on to). So a definition, which an admin with rights on one
 * VM's folder may edit and a peer host may send, must not be able to point
 * the host anywhere else: every disk of a VM lies inside that VM's own
 * folder, //SERVER/SHARE/<vm>/, the folder of its definition, on one of the
 * shares the host's configuration lists ([storage] shares), at the server's
 * default port. Anything else is refused before anything is opened, with a
 * sentence naming the disk and the rule. Pure: unit-tested. */
#ifndef VSM_HOSTAGENT_PLACEMENT_H
#define VSM_HOSTAGENT_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "hostagent/domxml.h"

/* May vm (named expected_name by the request, when not NULL) be opened from
 * here? folder (folderlen bytes) gets smb://SERVER/SHARE/<vm> on success.
 * false with err (VS_ERR_DENIED, or VS_ERR_INVALID for a malformed place)
 * naming the first disk that breaks the rule. */
bool placement_check(const struct domxml_info *vm, const char *expected_name,
                     char *const *shares, size_t nshares, char *folder, size_t folderlen,
                     struct vs_error *err);

#endif
