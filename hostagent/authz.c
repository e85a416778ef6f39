/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/authz.c: the authorisation rules (see authz.h). */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/hostname.h"
#include "hostagent/authz.h"

const char *
authz_role_name(enum authz_role role)
{
    switch (role) {
    case AUTHZ_ADMIN: return "admin";
    case AUTHZ_PEER_FOR_ADMIN: return "peer-for-admin";
    case AUTHZ_PEER_HOST: return "peer-host";
    case AUTHZ_NONE: break;
    }
    return "none";
}

static bool
is_machine_account(const char *principal)
{
    const char *at = strrchr(principal, '@');
    return at != NULL && at > principal + 1 && at[-1] == '$' && strchr(principal, '/') == NULL;
}

const char *
authz_peer_of_machine(const struct authz_policy *p, const char *principal)
{
    const char *at = strrchr(principal, '@');

    if (!is_machine_account(principal) || strcasecmp(at + 1, p->realm) != 0)
        return NULL;
    size_t n = (size_t)(at - 1 - principal);
    for (size_t i = 0; i < p->npeers; i++)
        if (vs_host_label_is(p->peers[i], principal, n))
            return p->peers[i];
    return NULL;
}

/* The admin, by this host's own rules. */
static bool
admin_allowed(const struct authz_policy *p, const struct authz_subject *s, struct vs_error *err)
{
    char groups[512] = "";
    size_t used = 0;

    for (size_t i = 0; i < p->nallowed_users; i++)
        if (strcasecmp(p->allowed_users[i], s->principal) == 0)
            return true;
    for (size_t g = 0; s->have_pac && g < p->nallowed_groups; g++)
        for (size_t i = 0; i < s->ngroups; i++)
            if (strcmp(p->allowed_group_sids[g], s->group_sids[i]) == 0)
                return true;
    for (size_t g = 0; g < p->nallowed_groups && used < sizeof groups; g++) {
        int n = snprintf(groups + used, sizeof groups - used, "%s'%s'", g ? ", " : "",
                         p->allowed_group_names[g]);
        if (n > 0)
            used += (size_t)n;
    }
    if (p->nallowed_groups == 0 && p->nallowed_users == 0)
        vs_error_set(err, VS_ERR_DENIED,
                     "%s may not use vsmigrate on %s: this host allows nobody yet (deny by "
                     "default); set allowed_groups or allowed_users in [auth] of vsmigrated.conf",
                     s->principal, p->host);
    else if (!s->have_pac && p->nallowed_groups > 0)
        vs_error_set(err, VS_ERR_DENIED,
                     "%s may not use vsmigrate on %s: its ticket carries no PAC, so its groups "
                     "are unknown, and it is not in allowed_users; use an Active Directory "
                     "account, or add it to allowed_users in [auth]", s->principal, p->host);
    else
        vs_error_set(err, VS_ERR_DENIED,
                     "%s may not use vsmigrate on %s: it is in none of the allowed groups (%s) "
                     "and not in allowed_users; add it to %s, or to allowed_users in [auth] of "
                     "%s's vsmigrated.conf",
                     s->principal, p->host, p->nallowed_groups ? groups : "none configured",
                     p->nallowed_groups ? "one of those groups" : "an allowed group", p->host);
    return false;
}

bool
authz_decide(const struct authz_policy *p, const struct authz_subject *s, struct authz_decision *d,
             struct vs_error *err)
{
    memset(d, 0, sizeof *d);
    d->role = AUTHZ_NONE;
    d->user = s->principal;

    if (s->ndelegated_by > 0) {
        /* hop 2: the newest delegating service is the peer that called us */
        const char *by = s->delegated_by[s->ndelegated_by - 1];
        const char *peer = authz_peer_of_machine(p, by);
        if (peer == NULL) {
            vs_error_set(err, VS_ERR_DENIED,
                         "%s acted for %s, but it is not one of %s's peers; if it should be, "
                         "add its host name to peers in [auth] of %s's vsmigrated.conf and "
                         "reload (systemctl reload vsmigrated)", by, s->principal, p->host, p->host);
            return false;
        }
        snprintf(d->via, sizeof d->via, "%s", peer);
        if (!admin_allowed(p, s, err)) {
            vs_error_prefix(err, "via %s", peer);
            return false;
        }
        d->role = AUTHZ_PEER_FOR_ADMIN;
        return true;
    }
    if (is_machine_account(s->principal)) {
        const char *peer = authz_peer_of_machine(p, s->principal);
        if (peer == NULL) {
            vs_error_set(err, VS_ERR_DENIED,
                         "%s is a computer account that is not one of %s's peers: add its host "
                         "name to peers in [auth] of %s's vsmigrated.conf", s->principal, p->host,
                         p->host);
            return false;
        }
        snprintf(d->via, sizeof d->via, "%s", peer);
        d->role = AUTHZ_PEER_HOST;
        return true;
    }
    if (!admin_allowed(p, s, err))
        return false;
    d->role = AUTHZ_ADMIN;
    return true;
}

static unsigned
role_bit(enum authz_role role)
{
    switch (role) {
    case AUTHZ_ADMIN: return ROLE_ADMIN;
    case AUTHZ_PEER_FOR_ADMIN: return ROLE_PEER_FOR_ADMIN;
    case AUTHZ_PEER_HOST: return ROLE_PEER_HOST;
    case AUTHZ_NONE: break;
    }
    return 0;
}

/* Which roles may ask is the action table's (actions.h): the destination
 * side of a check is a question between hosts; the rest are an admin's. */
bool
authz_action_allowed(enum authz_role role, const char *action, enum vsm_action *id,
                     struct vs_error *err)
{
    enum vsm_action a = vsm_action_lookup(action, err);
    const struct vsm_action_info *info = vsm_action_info(a);

    if (id)
        *id = VSM_ACTION_NONE;
    if (info == NULL)
        return false;
    if (!(info->roles & role_bit(role))) {
        vs_error_set(err, VS_ERR_DENIED, "'%s' may not be asked by a caller in the role %s%s",
                     action, authz_role_name(role),
                     info->roles & ROLE_ADMIN ? ": an admin asks the source host directly"
                                              : ": only a peer host asks it, in a check or a move");
        return false;
    }
    if (id)
        *id = a;
    return true;
}
