/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/conns.c: the daemon's connections and their limits (daemon.h). */
#include <config.h>

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hostagent/daemon.h"

/* still in its handshake: what the limits on unauthenticated connections count */
static bool
pending(const struct conn *o)
{
    return !o->authenticated && !o->established && !o->evicted && !o->local;
}

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

/* Make the oldest unfinished handshake go, from addr (or from anywhere
 * when addr is NULL), if it started before not_after_ms. Under a->lock. */
static bool
evict_oldest(struct agent *a, const struct sockaddr_storage *addr, long long not_after_ms)
{
    struct conn *victim = NULL;

    for (struct conn *o = a->conns; o; o = o->next)
        if (pending(o) && (addr == NULL || same_address(&o->addr, addr)) &&
            o->started_ms <= not_after_ms &&
            (victim == NULL || o->started_ms < victim->started_ms))
            victim = o;
    if (victim == NULL)
        return false;
    victim->evicted = true;
    shutdown(victim->fd, SHUT_RDWR);   /* its thread wakes, sees the end, and cleans up */
    return true;
}

bool
conns_admit(struct agent *a, struct conn *c, const struct agent_config *cfg,
            enum conns_limit *why)
{
    int total = 0, unauth = 0, from_addr = 0;
    long long old = c->started_ms - CONNS_MAKE_WAY_AGE_MS;
    bool ok = true;

    *why = CONNS_LIMIT_NONE;
    pthread_mutex_lock(&a->lock);
    for (struct conn *o = a->conns; o; o = o->next) {
        if (o->evicted)
            continue;
        total++;
        if (pending(o)) {
            unauth++;
            from_addr += same_address(&o->addr, &c->addr);
        }
    }
    if (!c->local && from_addr >= cfg->max_unauthenticated_per_address) {
        if (evict_oldest(a, &c->addr, old)) {
            unauth--;
            total--;
        } else {
            ok = false;
            *why = CONNS_LIMIT_PER_ADDRESS;
        }
    }
    if (ok && !c->local && unauth >= cfg->max_unauthenticated) {
        if (evict_oldest(a, NULL, old))
            total--;
        else {
            ok = false;
            *why = CONNS_LIMIT_UNAUTHENTICATED;
        }
    }
    if (ok && total >= cfg->max_connections && !evict_oldest(a, NULL, c->started_ms)) {
        ok = false;
        *why = CONNS_LIMIT_CONNECTIONS;
    }
    if (ok) {
        c->agent = a;
        c->next = a->conns;
        a->conns = c;
    }
    pthread_mutex_unlock(&a->lock);
    return ok;
}

const char *
conns_limit_setting(enum conns_limit l)
{
    switch (l) {
    case CONNS_LIMIT_PER_ADDRESS: return "max_unauthenticated_per_address";
    case CONNS_LIMIT_UNAUTHENTICATED: return "max_unauthenticated";
    case CONNS_LIMIT_CONNECTIONS: return "max_connections";
    case CONNS_LIMIT_NONE: break;
    }
    return "none";
}

bool
conns_mark_established(struct agent *a, struct conn *c)
{
    bool ok;

    pthread_mutex_lock(&a->lock);
    ok = !c->evicted;
    c->established = ok;
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
