/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/settings.c: settings snapshots and their references (daemon.h). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "hostagent/daemon.h"

static void
settings_free(struct settings *s)
{
    krb_strv_free(s->group_sids, s->ngroup_sids);
    krb_acceptor_close(s->acc);
    free(s->spn);
    agent_config_free(s->cfg);
    free(s);
}

struct settings *
settings_get(struct agent *a)
{
    struct settings *s;

    pthread_mutex_lock(&a->lock);
    s = a->settings;
    s->refs++;
    pthread_mutex_unlock(&a->lock);
    return s;
}

void
settings_put(struct agent *a, struct settings *s)
{
    bool last;

    pthread_mutex_lock(&a->lock);
    last = --s->refs == 0;
    pthread_mutex_unlock(&a->lock);
    if (last)
        settings_free(s);
}

void
settings_swap(struct agent *a, struct settings *s)
{
    struct settings *old;

    pthread_mutex_lock(&a->lock);
    old = a->settings;
    a->settings = s;
    pthread_mutex_unlock(&a->lock);
    /* waiting moves see a new limit at once; running ones go on */
    jobs_set_limit(&a->jobs, s->cfg->max_simultaneous);
    if (old)
        settings_put(a, old);
}

static void
print_diag(const struct cfg_diag *d)
{
    for (size_t i = 0; i < d->n; i++)
        vs_error("%s", d->lines[i]);
}

struct settings *
settings_load(struct agent *a, const char *path)
{
    struct cfg_diag diag = { 0 };
    struct settings *s = calloc(1, sizeof *s);
    struct vs_error err;
    char host[256];

    if (s == NULL)
        return NULL;
    s->refs = 1;
    s->cfg = agent_config_load(path, &diag);
    print_diag(&diag);
    cfg_diag_free(&diag);
    if (s->cfg == NULL)
        goto fail;
    if (s->cfg->auth == AGENT_AUTH_KERBEROS) {
        if (s->cfg->spn)
            s->spn = strdup(s->cfg->spn);
        else if (gethostname(host, sizeof host) != 0 ||
                 !krb_service_principal_for("vsmigrate", host, &s->spn, &err)) {
            vs_error("%s: cannot make this host's service principal: %s (set spn in [auth])",
                     path, err.message);
            goto fail;
        }
        if (!krb_acceptor_open(s->cfg->keytab, s->spn, &s->acc, &err)) {
            vs_error("%s", err.message);
            goto fail;
        }
        if (s->cfg->nallowed_groups > 0 &&
            !krb_groups_resolve(s->acc, s->cfg->ldap_uri, s->cfg->allowed_groups,
                                s->cfg->nallowed_groups, &s->group_sids, &err)) {
            vs_error("%s: allowed_groups: %s", path, err.message);
            goto fail;
        }
        s->ngroup_sids = s->group_sids ? s->cfg->nallowed_groups : 0;
    }
    s->policy = (struct authz_policy){
        .host = a->host, .realm = a->realm,
        .allowed_users = s->cfg->allowed_users, .nallowed_users = s->cfg->nallowed_users,
        .allowed_group_names = s->cfg->allowed_groups, .allowed_group_sids = s->group_sids,
        .nallowed_groups = s->ngroup_sids, .peers = s->cfg->peers, .npeers = s->cfg->npeers,
    };
    return s;
fail:
    settings_free(s);
    return NULL;
}
