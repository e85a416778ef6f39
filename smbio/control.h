/* SPDX-License-Identifier: GPL-3.0-or-later */
/* smbio/control.h: the disk export's control protocol.
 *
 * A client connects to the export's unix socket, sends one line ("status",
 * "release" or "promote", at most SMBIO_CONTROL_LINE_MAX bytes) and reads
 * one JSON line back:
 *   {"ok":true,"mode":"active","reads":N,"writes":N,"flushes":N,
 *    "bytes_read":N,"bytes_written":N,"errors":N,"connections":N,
 *    "io":"pipelined"|"serial","max_in_flight":N,"readahead_hits":N,
 *    "reconnects":N,"writer_lost":N,"ticket_renewals":N,"ticket_expires":T}
 *   {"ok":false,"code":"busy","error":"...", ...the same counters...}
 * Pure code: parsing and formatting, unit-tested and fuzzed. */
#ifndef VSM_SMBIO_CONTROL_H
#define VSM_SMBIO_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "smbio/disk.h"

#define SMBIO_CONTROL_LINE_MAX 64

enum smbio_command { SMBIO_CMD_STATUS, SMBIO_CMD_RELEASE, SMBIO_CMD_PROMOTE };

struct smbio_stats {
    uint64_t reads, writes, flushes, bytes_read, bytes_written, errors;
    uint64_t connections, reconnects, writer_lost, ticket_renewals;
    int64_t ticket_expires;   /* unix time; 0 when the caller manages the ccache */
    bool pipelined;           /* the connections pipeline requests (smbio/disk.h) */
    uint64_t max_in_flight;   /* the most requests one connection had in flight */
    uint64_t readahead_hits;  /* reads answered from the read-ahead */
};

/* "release\n" and "release" are the same; anything else is refused. */
bool smbio_control_parse(const char *line, enum smbio_command *cmd);
const char *smbio_command_name(enum smbio_command cmd);

void smbio_control_reply(char *buf, size_t len, bool ok, const struct vs_error *err,
                         enum smbio_mode mode, const struct smbio_stats *st);
void smbio_control_reply_error(char *buf, size_t len, const char *message);

#endif
