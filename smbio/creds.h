/* SPDX-License-Identifier: GPL-3.0-or-later */
/* smbio/creds.h: a host's Kerberos tickets from its keytab, kept fresh in a
 * private FILE: ccache for libsmbclient.
 *
 * The file server ends an SMB session when its service ticket expires
 * (NT_STATUS_NETWORK_SESSION_EXPIRED; libsmbclient then fails every call
 * with EINVAL and does not re-authenticate), and Samba's client refuses a
 * ccache whose TGT has less than a few minutes left. So an export that runs
 * longer than a ticket lifetime must renew its tickets and reconnect: this
 * renews, smbio/disk.c reconnects.
 *
 * The ccache lives in a fresh 0700 directory and is replaced by rename, so a
 * connection being set up never reads a half-written file. */
#ifndef VSM_SMBIO_CREDS_H
#define VSM_SMBIO_CREDS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/error.h"

struct smbio_creds;

/* Get a TGT for principal from keytab into a new private ccache under
 * parent_dir (NULL: $RUNTIME_DIRECTORY, else $TMPDIR, else /tmp).
 * lifetime_s 0 asks for the KDC's default. */
bool smbio_creds_from_keytab(const char *keytab, const char *principal, unsigned lifetime_s,
                             const char *parent_dir, struct smbio_creds **out, struct vs_error *err);

/* "FILE:/dir/ccache", for KRB5CCNAME. */
const char *smbio_creds_ccache(const struct smbio_creds *c);

/* Renew from the keytab when the TGT is past half its life or has less than
 * SMBIO_CREDS_MIN_LEFT_S left; otherwise do nothing. Thread-safe. */
#define SMBIO_CREDS_MIN_LEFT_S 330
bool smbio_creds_refresh(struct smbio_creds *c, bool force, struct vs_error *err);

/* When the next refresh is due, and how many renewals there were. */
time_t smbio_creds_refresh_due(const struct smbio_creds *c);
time_t smbio_creds_expires(const struct smbio_creds *c);
uint64_t smbio_creds_renewals(const struct smbio_creds *c);

/* Delete the ccache and its directory. */
void smbio_creds_destroy(struct smbio_creds *c);

/* Pure: when a TGT valid from start to end should be renewed. */
time_t smbio_creds_due_time(time_t start, time_t end);

#endif
