/* SPDX-License-Identifier: GPL-3.0-or-later */
/* smbio/disk.h: one VM disk file on an SMB3 share.
 *
 * A disk has a read handle that lets others write (DENY_NONE) and, while
 * active, one read-write handle that denies other writers (DENY_WRITE). The
 * file server enforces the share modes: it is the fence that keeps two
 * hosts from writing one disk. standby -> active is smbio_disk_promote;
 * active -> standby is smbio_disk_release (flush, then close the writer).
 *
 * A disk has several connections ("lanes"), each its own libsmbclient
 * context with its own reader. Lane 0 also holds the writer: writes, flushes
 * and mode changes go there; reads fill the first lanes first. Where Samba's
 * asynchronous calls can be used (smbio/libsmb.h), a lane keeps up to
 * SMBIO_LANE_DEPTH reads and writes in flight at once ("pipelined"), so
 * that concurrent writes through the one writer handle do not wait for each
 * other's round trip; otherwise a lane does one request at a time
 * ("serial"), libsmbclient's own way. Every call is thread-safe.
 *
 * A lane whose SMB session dies (server restart, network cut, the session's
 * Kerberos ticket expired) reconnects with bounded back-off, and lane 0
 * re-takes the writer handle if the disk was active. Only when that fails
 * within the reconnect timeout does the request fail.
 *
 * libsmbclient takes its Kerberos ccache from the process-wide KRB5CCNAME,
 * so a process serves one set of credentials. */
#ifndef VSM_SMBIO_DISK_H
#define VSM_SMBIO_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "smbio/url.h"

enum smbio_mode { SMBIO_STANDBY, SMBIO_ACTIVE };

/* How a flush makes data durable. WRITE_THROUGH (default): a write-through
 * that makes the server fsync the file. SERVER: the admin vouches that the
 * share has "sync always = yes", so every write is durable when it returns
 * and a flush sends nothing. */
enum smbio_flush { SMBIO_FLUSH_WRITE_THROUGH, SMBIO_FLUSH_SERVER };

#define SMBIO_CONNECTIONS_MAX 16
#define SMBIO_LANE_DEPTH 16   /* requests in flight on one lane, pipelined */

/* AUTO: pipelined where this Samba allows it, else serial. PIPELINED fails
 * at open where it cannot be had. */
enum smbio_io { SMBIO_IO_AUTO, SMBIO_IO_PIPELINED, SMBIO_IO_SERIAL };

struct smbio_disk_options {
    unsigned connections;            /* lanes, 1..SMBIO_CONNECTIONS_MAX; 0 means 4 */
    unsigned reconnect_timeout_ms;   /* give up reconnecting after this; 0 means 60 s */
    enum smbio_flush flush;
    enum smbio_io io;
    /* Called before each reconnect attempt (e.g. to renew the tickets in the
     * ccache); may be NULL. Runs while a lane is held: must not call back in. */
    void (*before_reconnect)(void *opaque);
    /* Called, with the writer's lane held, each time this disk's writer
     * handle was taken (held, why "taken") or let go (why "released", or
     * "disconnected" when its connection went: a lost session, a close);
     * may be NULL. Must not call back in. */
    void (*on_writer)(void *opaque, bool held, const char *why);
    void *opaque;
};

struct smbio_disk_counters {
    uint64_t reconnects;        /* lanes reconnected after a lost session */
    uint64_t writer_lost;       /* the writer could not be re-taken (someone else has it) */
    uint64_t max_in_flight;     /* the most requests one lane had in flight at once */
    uint64_t readahead_hits;    /* reads answered from the read-ahead */
    bool pipelined;             /* the lanes pipeline (else: one request at a time) */
};

struct smbio_disk;

/* Open url with the Kerberos tickets in ccache ("FILE:/path"), in mode.
 * A refused promote at open leaves nothing open and says who holds it.
 * opts may be NULL for the defaults. */
bool smbio_disk_open(const char *url, const char *ccache, enum smbio_mode mode,
                     const struct smbio_disk_options *opts, struct smbio_disk **out,
                     struct vs_error *err);
void smbio_disk_close(struct smbio_disk *d);

enum smbio_mode smbio_disk_mode(const struct smbio_disk *d);
void smbio_disk_counters(const struct smbio_disk *d, struct smbio_disk_counters *c);
bool smbio_disk_size(struct smbio_disk *d, uint64_t *size, struct vs_error *err);

/* Whole requests or an error: short reads past the end are zero-filled. */
bool smbio_disk_pread(struct smbio_disk *d, void *buf, size_t len, uint64_t off, struct vs_error *err);
/* Standby: fails with VS_ERR_DENIED ("read-only: standby"), nothing written. */
bool smbio_disk_pwrite(struct smbio_disk *d, const void *buf, size_t len, uint64_t off,
                       struct vs_error *err);
/* Every write that returned before the call is on the server's disk. */
bool smbio_disk_flush(struct smbio_disk *d, struct vs_error *err);

bool smbio_disk_promote(struct smbio_disk *d, struct vs_error *err);
bool smbio_disk_release(struct smbio_disk *d, struct vs_error *err);

/* For tests: true when err's errno-level cause means the session is gone. */
bool smbio_errno_is_session_lost(int e);

#endif
