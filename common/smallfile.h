/* SPDX-License-Identifier: GPL-3.0-or-later */
/* common/smallfile.h: a small state file of the agent's own (a note, a
 * record), replaced whole so that a reader or a killed writer never leaves
 * half of one, and read back with a bound. */
#ifndef VSM_COMMON_SMALLFILE_H
#define VSM_COMMON_SMALLFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* path becomes exactly data[0..len) (mode 0600): written to path.new, then
 * renamed over path; a symlink at either is refused, not followed. */
bool vs_smallfile_replace(const char *path, const void *data, size_t len, struct vs_error *err);

/* All of path into buf, NUL-terminated, *len set, if it holds at most
 * cap - 1 bytes; false otherwise (err: VS_ERR_NOTFOUND when it is not
 * there, VS_ERR_INVALID when it holds more: nothing is cut silently). */
bool vs_smallfile_read(const char *path, char *buf, size_t cap, size_t *len,
                       struct vs_error *err);

#endif
