/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/authz.h: who may do what on this host. Deny by default.
 *
 * Three kinds of callers reach a daemon:
 *   an admin, directly (hop 1): allowed when named in allowed_users or a
 *     member (by PAC group SID) of one of allowed_groups;
 *   a peer host acting for an admin through S4U2Proxy (hop 2): the newest
 *     service that delegated (from the PAC) must be the machine account of a
 *     configured peer, and the admin is checked again by this host's rules;
 *   a peer host as itself: only for read-only questions between hosts (the
 *     destination side of a compatibility check).
 * A local caller on the unix socket is root or a member of local_group.
 *
 * Pure: no I/O, so every rule is unit-tested. */
#ifndef VSM_HOSTAGENT_AUTHZ_H
#define VSM_HOSTAGENT_AUTHZ_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "hostagent/actions.h"

enum authz_role {
    AUTHZ_NONE,
    AUTHZ_ADMIN,            /* an allowed admin, directly or locally */
    AUTHZ_PEER_FOR_ADMIN,   /* a configured peer, acting for an allowed admin */
    AUTHZ_PEER_HOST,        /* a configured peer as itself */
};

/* What the authenticated caller is, from krb/'s struct krb_peer. */
struct authz_subject {
    const char *principal;           /* admin@LAB.TEST, HOSTA$@LAB.TEST */
    bool have_pac;
    char *const *group_sids;
    size_t ngroups;
    bool not_delegated;
    char *const *delegated_by;       /* services that delegated, newest last */
    size_t ndelegated_by;
};

/* This host's rules, resolved. */
struct authz_policy {
    const char *host;                /* this host, for messages */
    const char *realm;               /* our realm: peers' machine accounts are in it */
    char *const *allowed_users;
    size_t nallowed_users;
    char *const *allowed_group_names;   /* as configured, for messages */
    char *const *allowed_group_sids;    /* the same, resolved; same order */
    size_t nallowed_groups;
    char *const *peers;              /* FQDNs */
    size_t npeers;
};

struct authz_decision {
    enum authz_role role;
    const char *user;                /* the admin acted for (principal or on-behalf) */
    char via[256];                   /* the peer that delegated or asks, if any */
};

/* Decide; false with err (VS_ERR_DENIED) naming the missing membership or
 * peer entry and how to add it. */
bool authz_decide(const struct authz_policy *p, const struct authz_subject *s,
                  struct authz_decision *d, struct vs_error *err);

/* May this role ask for this action (by the table in actions.h)? true with
 * *id (unless NULL) the action; false with err saying who may, or naming
 * every action for an unknown one. */
bool authz_action_allowed(enum authz_role role, const char *action, enum vsm_action *id,
                          struct vs_error *err);

const char *authz_role_name(enum authz_role role);

/* The peer (from peers) whose machine account is principal, NAME$@REALM
 * with REALM our realm; NULL if none. */
const char *authz_peer_of_machine(const struct authz_policy *p, const char *principal);

#endif
