/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/netpick.c: migration networks (see netpick.h). */
#include <config.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "hostagent/netpick.h"

void
netpick_cidr_text(const struct cfg_cidr *net, char *buf, size_t len)
{
    char a[INET6_ADDRSTRLEN] = "?";

    inet_ntop(net->family, net->addr, a, sizeof a);
    snprintf(buf, len, "%s/%u", a, net->prefix);
}

static bool
address_text(const struct sockaddr *sa, char *buf, size_t len)
{
    const void *a = sa->sa_family == AF_INET ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
                                              : (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
    return inet_ntop(sa->sa_family, a, buf, (socklen_t)len) != NULL;
}

size_t
netpick_local(const struct cfg_cidr *nets, size_t n, struct netpick_address *out, size_t max)
{
    struct ifaddrs *ifs = NULL;
    size_t found = 0;

    if (n == 0 || getifaddrs(&ifs) != 0)
        return 0;
    for (size_t i = 0; i < n && found < max; i++) {
        for (struct ifaddrs *f = ifs; f; f = f->ifa_next) {
            if (f->ifa_addr == NULL ||
                (f->ifa_addr->sa_family != AF_INET && f->ifa_addr->sa_family != AF_INET6) ||
                !cfg_cidr_contains(&nets[i], 1, f->ifa_addr) ||
                !address_text(f->ifa_addr, out[found].address, sizeof out[found].address))
                continue;
            netpick_cidr_text(&nets[i], out[found].network, sizeof out[found].network);
            found++;
            break;
        }
    }
    freeifaddrs(ifs);
    return found;
}

bool
netpick_source_allowed(const struct cfg_cidr *nets, size_t n, const struct sockaddr *addr,
                       const char *address_text_in, const char *host, struct vs_error *err)
{
    char list[512] = "";
    size_t used = 0;

    if (n == 0 || cfg_cidr_contains(nets, n, addr))
        return true;
    for (size_t i = 0; i < n && used < sizeof list; i++) {
        char c[NETPICK_TEXT_MAX];
        netpick_cidr_text(&nets[i], c, sizeof c);
        int k = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", c);
        used += k > 0 ? (size_t)k : 0;
    }
    vs_error_set(err, VS_ERR_DENIED, "%s accepts moves only from its allowed_sources (%s), and "
                 "this one came from %s: move over one of those networks, or add this one to "
                 "allowed_sources in [migration] of %s's vsmigrated.conf", host, list,
                 address_text_in, host);
    return false;
}
