/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fileserver-hooks/negotiate.h: what an SMB server says in its SMB2
 * NEGOTIATE response, asked directly over TCP.
 *
 * libsmbclient does not tell whether the server requires signing, what
 * capabilities it announces, or its clock; the first response of any SMB2
 * session does. The request offers SMB 2.0.2 to 3.0.2 (3.1.1 would need
 * negotiate contexts, and libsmbclient probes that dialect anyway). The
 * response comes from the network: parsed with explicit bounds, fuzzed. */
#ifndef VSM_FILESERVER_NEGOTIATE_H
#define VSM_FILESERVER_NEGOTIATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/error.h"

#define NEGOTIATE_REQUEST_MAX 128

#define SMB2_SIGNING_ENABLED 0x0001
#define SMB2_SIGNING_REQUIRED 0x0002
#define SMB2_CAP_DFS 0x00000001
#define SMB2_CAP_LEASING 0x00000002
#define SMB2_CAP_LARGE_MTU 0x00000004
#define SMB2_CAP_MULTI_CHANNEL 0x00000008
#define SMB2_CAP_PERSISTENT_HANDLES 0x00000010
#define SMB2_CAP_DIRECTORY_LEASING 0x00000020
#define SMB2_CAP_ENCRYPTION 0x00000040

struct negotiate_info {
    uint16_t dialect;           /* 0x0202, 0x0210, 0x0300, 0x0302 */
    uint16_t security_mode;
    uint32_t capabilities;
    time_t server_time;         /* the server's clock, from its FILETIME */
};

/* The request with its 4-byte transport header; returns its length. Pure. */
size_t negotiate_request_build(uint8_t *buf, size_t len);
/* One response body (after the 4-byte transport header). Pure. */
bool negotiate_response_parse(const uint8_t *p, size_t len, struct negotiate_info *out,
                              struct vs_error *err);
/* "3.0.2" */
void negotiate_dialect_text(uint16_t dialect, char *buf, size_t len);

/* Connect to server:445, negotiate, disconnect; timeout for the whole. */
bool negotiate_probe(const char *server, unsigned timeout_ms, struct negotiate_info *out,
                     struct vs_error *err);

#endif
