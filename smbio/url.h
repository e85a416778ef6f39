/* SPDX-License-Identifier: GPL-3.0-or-later */
/* smbio/url.h: smb:// disk URLs, checked before libsmbclient sees them. */
#ifndef VSM_SMBIO_URL_H
#define VSM_SMBIO_URL_H

#include <stdbool.h>

#include "common/error.h"

#define SMBIO_URL_MAX 1024

struct smbio_url {
    char server[256];
    unsigned port;            /* 0: the default (445) */
    char share[256];
    char path[SMBIO_URL_MAX]; /* inside the share, without the leading '/' */
};

/* Parse smb://SERVER[:PORT]/SHARE/PATH. Credentials in the URL are refused
 * (they would end up in process listings and logs); so are empty parts,
 * "." and ".." components, and control characters. Pure. */
bool smbio_url_parse(const char *url, struct smbio_url *out, struct vs_error *err);

#endif
