/* SPDX-License-Identifier: GPL-3.0-or-later */
/* smbio/threads.h: libsmbclient's thread hooks, and the lock that
 * serialises creating and freeing SMB contexts. */
#ifndef VSM_SMBIO_THREADS_H
#define VSM_SMBIO_THREADS_H

#include <stdbool.h>

#include "common/error.h"

/* Install the pthread hooks once per process, before the first context.
 * Fails (with the fix) when this libsmbclient offers no hooks. */
bool smbio_threads_init(struct vs_error *err);

/* Held around smbc_new_context/smbc_init_context/smbc_free_context and
 * opens and closes, which touch libsmbclient's process-wide state. */
void smbio_setup_lock(void);
void smbio_setup_unlock(void);

#endif
