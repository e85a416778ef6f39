/* SPDX-License-Identifier: GPL-3.0-or-later */
/* smbio/control_client.h: asking a running disk export (control.h) to
 * release, promote or report, bounded in time.
 *
 * libc and common/json only, so that the lock-manager plugin, which runs
 * inside libvirtd, can carry it without libsmbclient. */
#ifndef VSM_SMBIO_CONTROL_CLIENT_H
#define VSM_SMBIO_CONTROL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

enum smbio_line_result {
    SMBIO_LINE_ANSWERED,      /* reply holds the answer */
    SMBIO_LINE_UNREACHABLE,   /* nobody listens at path (no such socket, refused) */
    SMBIO_LINE_NO_ANSWER,     /* reached, but no answer within the time (why says) */
};

/* One line out (line, with its "\n") to the unix socket path, one line back
 * into reply (NUL-terminated), all within timeout_ms; why says what went
 * wrong otherwise. */
enum smbio_line_result smbio_line_call(const char *path, const char *line, long long timeout_ms,
                                       char *reply, size_t replylen, char *why, size_t whylen);

/* Send command ("release", "promote", "status") to the export's control
 * socket and read its JSON line, all within timeout_ms. true when the
 * export answers "ok":true; otherwise why says what went wrong, in words
 * (the export's own reason when it gave one), and *busy (may be NULL) says
 * whether another writer holds the disk. */
bool smbio_control_call(const char *control, const char *command, long long timeout_ms,
                        bool *busy, char *why, size_t whylen);

#endif
