/* smbio/disk.h: one VM disk file on an SMB3 share.
 *
 * A disk has a read handle that lets others write (DENY_NONE) and, while
 * active, one read-write handle that denies other writers (DENY_WRITE). The
 * file server enforces the share modes: it is the fence that keeps two
 * hosts from writing one disk. standby -> active is smbio_disk_promote;
 * active -> standby is smbio_disk_release (flush, then close the writer).
 *
 * One disk, one libsmbclient context, one process (libsmbclient reads its
 * Kerberos ccache from the process-wide KRB5CCNAME): not thread-safe. */
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

struct smbio_disk;

/* Open url with the Kerberos tickets in ccache ("FILE:/path"), in mode.
 * A refused promote at open leaves nothing open and says who holds it. */
bool smbio_disk_open(const char *url, const char *ccache, enum smbio_mode mode,
                     struct smbio_disk **out, struct vs_error *err);
void smbio_disk_close(struct smbio_disk *d);
void smbio_disk_set_flush(struct smbio_disk *d, enum smbio_flush policy);

enum smbio_mode smbio_disk_mode(const struct smbio_disk *d);
bool smbio_disk_size(struct smbio_disk *d, uint64_t *size, struct vs_error *err);

/* Whole requests or an error: short reads past the end are zero-filled. */
bool smbio_disk_pread(struct smbio_disk *d, void *buf, size_t len, uint64_t off, struct vs_error *err);
/* Standby: fails with VS_ERR_DENIED ("read-only: standby"), nothing written. */
bool smbio_disk_pwrite(struct smbio_disk *d, const void *buf, size_t len, uint64_t off,
                       struct vs_error *err);
/* An SMB2 FLUSH on the writer handle: the data is on the server's disk. */
bool smbio_disk_flush(struct smbio_disk *d, struct vs_error *err);

bool smbio_disk_promote(struct smbio_disk *d, struct vs_error *err);
bool smbio_disk_release(struct smbio_disk *d, struct vs_error *err);

#endif
