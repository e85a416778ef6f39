/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/conns.c: the daemon's connections and their limits (daemon.h). */
#include <config.h>

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hostagent/daemon.h"

static bool
same_address(const struct sockaddr_storage *x, const struct sockaddr_storage *y)
{
    if (x->ss_family != y->ss_family)
        return false;
    if (x->ss_family == AF_INET)
        return ((const struct sockaddr_in *)x)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)y)->sin_addr.s_addr;
    if (x->ss_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)x)->sin6_addr,
                      &((const struct sockaddr_in6 *)y)->sin6_addr, 16) == 0;
    return false;
}

/* Make the oldest unauthenticated connection go, from addr (or from
 * anywhere when addr is NULL). Under a->lock. */
static bool
evict_oldest(struct agent *a, const struct sockaddr_storage *addr)
{
    struct conn *victim = NULL;

    for (struct conn *o = a->conns; o; o = o->next)
        if (!o->authenticated && !o->evicted && !o->local && (addr == NULL || same_address(&o->addr, addr)) &&
            (victim == NULL || o->started_ms < victim->started_ms))
            victim = o;
    if (victim == NULL)
        return false;
    victim->evicted = true;
    shutdown(victim->fd, SHUT_RDWR);   /* its thread wakes, sees the end, and cleans up */
    return true;
}

bool
conns_admit(struct agent *a, struct conn *c, const struct agent_config *cfg)
{
    int total = 0, unauth = 0, from_addr = 0;
    bool ok = true;

    pthread_mutex_lock(&a->lock);
    for (struct conn *o = a->conns; o; o = o->next) {
        if (o->evicted)
            continue;
        total++;
        if (!o->authenticated && !o->local) {
            unauth++;
            from_addr += same_address(&o->addr, &c->addr);
        }
    }
    if (!c->local && from_addr >= cfg->max_unauthenticated_per_address && evict_oldest(a, &c->addr)) {
        unauth--;
        total--;
    }
    if (!c->local && unauth >= cfg->max_unauthenticated && evict_oldest(a, NULL))
        total--;
    if (total >= cfg->max_connections && !evict_oldest(a, NULL))
        ok = false;
    if (ok) {
        c->agent = a;
        c->next = a->conns;
        a->conns = c;
    }
    pthread_mutex_unlock(&a->lock);
    return ok;
}

void
conns_forget(struct agent *a, struct conn *c)
{
    pthread_mutex_lock(&a->lock);
    for (struct conn **p = &a->conns; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    pthread_mutex_unlock(&a->lock);
}

bool
conns_admit_user(struct agent *a, struct conn *c, const char *user, struct vs_error *err)
{
    int same = 0;
    bool ok;

    pthread_mutex_lock(&a->lock);
    for (struct conn *o = a->conns; o; o = o->next)
        same += o != c && o->authenticated && !o->evicted && strcmp(o->user, user) == 0;
    ok = same < c->settings->cfg->max_connections_per_user;
    if (ok) {
        snprintf(c->user, sizeof c->user, "%s", user);
        c->authenticated = true;
    }
    pthread_mutex_unlock(&a->lock);
    if (!ok)
        vs_error_set(err, VS_ERR_BUSY, "%s has %d connections to %s already, the limit "
                     "(max_connections_per_user in [limits]): close some and retry", user, same,
                     a->host);
    return ok;
}

void
conns_close_all(struct agent *a, long long timeout_ms)
{
    pthread_mutex_lock(&a->lock);
    for (struct conn *o = a->conns; o; o = o->next)
        shutdown(o->fd, SHUT_RDWR);
    pthread_mutex_unlock(&a->lock);
    for (long long waited = 0; waited < timeout_ms; waited += 50) {
        pthread_mutex_lock(&a->lock);
        bool left = a->conns != NULL;
        pthread_mutex_unlock(&a->lock);
        if (!left)
            break;
        usleep(50000);
    }
}
