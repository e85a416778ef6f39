/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/netpick.h: migration networks ([migration] networks and
 * allowed_sources).
 *
 * The destination lists, in the order of its `networks`, one of its own
 * addresses in each; the source opens a move's tunnels to the first of them
 * that connects, falling back to the next. `allowed_sources` on the
 * destination refuses a move's tunnels (its migration traffic) from any
 * other network, so the move fails before anything changed. */
#ifndef VSM_HOSTAGENT_NETPICK_H
#define VSM_HOSTAGENT_NETPICK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "common/cfgfile.h"
#include "common/error.h"

#define NETPICK_MAX 8
#define NETPICK_TEXT_MAX 64

struct netpick_address {
    char address[NETPICK_TEXT_MAX];   /* an address of this host, numeric */
    char network[NETPICK_TEXT_MAX];   /* the network of `networks` it is in: "10.78.1.0/24" */
};

/* This host's addresses in nets, one per network that has one, in the
 * order of nets. Returns how many (0 when none is configured or found). */
size_t netpick_local(const struct cfg_cidr *nets, size_t n, struct netpick_address *out, size_t max);

/* "10.78.1.0/24" */
void netpick_cidr_text(const struct cfg_cidr *net, char *buf, size_t len);

/* allowed_sources: true when addr is in nets, or nets is empty; else false
 * with err naming addr, host and the networks. */
bool netpick_source_allowed(const struct cfg_cidr *nets, size_t n, const struct sockaddr *addr,
                            const char *address_text, const char *host, struct vs_error *err);

#endif
