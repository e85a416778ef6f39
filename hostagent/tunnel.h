/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/tunnel.h: one stream of a move, carried between two agents.
 *
 * A move's libvirt control connection and each of its QEMU migration
 * streams (N+1 of them with multifd) travel through the agents, never over
 * a libvirt or QEMU TCP port. Each stream is its own TCP connection to the
 * peer's agent, authenticated with Kerberos like any other (the source host
 * as itself), opened with a `tunnel` request naming the job and the channel;
 * once the destination has said yes, both ends switch the same socket to
 * TLS 1.3 keyed by an external PSK that neither sends: 32 bytes of
 * gss_pseudo_random over the stream's own Kerberos context, bound to the
 * job and the channel (tunnel_psk). TLS gives the record layer, per-
 * direction keys, nonces and rekeying; AES-GCM costs a fraction of a
 * confidential gss_wrap (shared/lab-notes.md: 5 GB/s against 220 MB/s).
 *
 * The relay moves bytes both ways between a plain local socket (libvirtd's,
 * or QEMU's) and the TLS session, one thread per direction (GnuTLS lets one
 * thread send while another receives), until both directions end. */
#ifndef VSM_HOSTAGENT_TUNNEL_H
#define VSM_HOSTAGENT_TUNNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "krb/krb.h"

#define TUNNEL_PSK_LEN 32

enum tunnel_channel {
    TUNNEL_LIBVIRT = 1,   /* the source libvirtd's connection to the destination's */
    TUNNEL_MIGRATION,     /* a QEMU migration stream (the main one, or a multifd channel) */
};

/* "libvirt", "migration"; NULL for anything else. */
const char *tunnel_channel_name(enum tunnel_channel c);
/* The channel named name; false if there is none. */
bool tunnel_channel_parse(const char *name, enum tunnel_channel *out);

/* The stream's key: PRF(ctx, "vsmigrate tunnel 1" NUL job NUL channel). */
bool tunnel_psk(struct krb_context *ctx, const char *job, enum tunnel_channel channel,
                uint8_t psk[TUNNEL_PSK_LEN], struct vs_error *err);

struct tunnel_tls;   /* a TLS session on a socket */

/* TLS 1.3 with the PSK on fd (which stays the caller's), client or server
 * side, the handshake within timeout_ms. A peer with another key fails the
 * handshake: err says the keys differ. */
bool tunnel_tls_start(int fd, bool client, const uint8_t psk[TUNNEL_PSK_LEN], long long timeout_ms,
                      struct tunnel_tls **out, struct vs_error *err);
void tunnel_tls_free(struct tunnel_tls *t);

struct tunnel_counts {
    uint64_t plain_to_tls;   /* bytes read from the plain socket and sent sealed */
    uint64_t tls_to_plain;   /* bytes opened and written to the plain socket */
};

/* Relay between plain (a local socket) and t until both directions have
 * ended: an end of stream on one side is passed on as a half-close (a TLS
 * close_notify one way, shutdown(SHUT_WR) the other); an error on either
 * side cuts both. To stop a relay from outside, shut its sockets down.
 * Returns true when both ended cleanly; counts (may be NULL) say how much
 * went each way. */
bool tunnel_relay(int plain, struct tunnel_tls *t, struct tunnel_counts *counts,
                  struct vs_error *err);

#endif
