/* SPDX-License-Identifier: GPL-3.0-or-later */
/* smbio/context.h: one libsmbclient context as smbio uses them: Kerberos
 * only (no password, no anonymous fall-back), SMB3 only. */
#ifndef VSM_SMBIO_CONTEXT_H
#define VSM_SMBIO_CONTEXT_H

#include <libsmbclient.h>

#include "common/error.h"

/* A new, initialised context whose user name is principal (the ccache's
 * default principal; libsmbclient takes the ccache from KRB5CCNAME). Call
 * with smbio_setup_lock held. NULL with err. */
SMBCCTX *smbio_context_new(const char *principal, struct vs_error *err);

#endif
