/* SPDX-License-Identifier: GPL-3.0-or-later */
/* smbio/sharefile.h: a small file on the share (a VM's definition) replaced
 * whole.
 *
 * The bytes go to a new file beside it (NAME.vsm-new), which is then
 * renamed over NAME: a reader sees the old file or the new one, never half
 * of one, and a failed write leaves the old file as it was. */
#ifndef VSM_SMBIO_SHAREFILE_H
#define VSM_SMBIO_SHAREFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

#define SMBIO_SHARE_FILE_MAX (1024 * 1024)   /* a definition, not a disk */

/* Replace url (smb://SERVER/SHARE/PATH) with len bytes of buf, with the
 * tickets in ccache ("FILE:/path"; it becomes the process's KRB5CCNAME).
 * false with err: VS_ERR_DENIED when the file server refuses, VS_ERR_NOTFOUND
 * when the folder does not exist. */
bool smbio_share_file_replace(const char *url, const char *ccache, const void *buf, size_t len,
                              struct vs_error *err);

#endif
