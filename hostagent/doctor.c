/* hostagent/doctor.c: `vsmigrate doctor`, every prerequisite of a move
 * checked on this host, one line each with its fix.
 *
 * Runs as root on a host, with the agent's configuration and keytab. Each
 * check asks the real service (the KDC for keys and delegation, DNS, the
 * peer's agent and port, libvirt, the file server), never a description of
 * it, so a pass means the same operation in a move works. */
#include <config.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/json.h"
#include "fileserver-hooks/sharecheck.h"
#include "hostagent/agentcfg.h"
#include "hostagent/client.h"
#include "hostagent/doctor.h"
#include "hostagent/domxml.h"
#include "hostagent/virt.h"
#include "krb/krb.h"
#include "smbio/creds.h"
#include "smbio/url.h"

#define SKEW_MAX_S 300      /* krb5's default clockskew */
#define SKEW_WARN_S 60

struct doctor {
    struct share_report out;        /* the lines, in order */
    const struct agent_config *cfg;
    char host[256];                 /* this host's FQDN */
    char realm[256];
    char machine[600];              /* HOSTA$@REALM */
    char *spn;
    struct krb_acceptor *acc;
};

static void
line(struct doctor *d, const char *name, enum share_item_state st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
line(struct doctor *d, const char *name, enum share_item_state st, const char *fmt, ...)
{
    char text[1200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    share_report_add(&d->out, name, st, "%s", text);
}

/* ---- DNS ----------------------------------------------------------------------- */

static void
check_dns(struct doctor *d, const char *name)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
    char label[300], addrs[512] = "";
    size_t used = 0;
    int rc;
    bool bad = false;

    snprintf(label, sizeof label, "dns %s", name);
    rc = getaddrinfo(name, NULL, &hints, &ai);
    if (rc != 0) {
        line(d, label, SHARE_FAIL, "%s does not resolve (%s): add an A record for it (and a PTR "
             "record back) in the domain's DNS", name, gai_strerror(rc));
        return;
    }
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        char ip[INET6_ADDRSTRLEN] = "", back[NI_MAXHOST];
        getnameinfo(a->ai_addr, a->ai_addrlen, ip, sizeof ip, NULL, 0, NI_NUMERICHOST);
        if (strstr(addrs, ip))
            continue;
        used += (size_t)snprintf(addrs + used, sizeof addrs - used, "%s%s", used ? " " : "", ip);
        if (getnameinfo(a->ai_addr, a->ai_addrlen, back, sizeof back, NULL, 0, NI_NAMEREQD) != 0) {
            line(d, label, SHARE_FAIL, "%s resolves to %s, but %s has no reverse (PTR) record: "
                 "add one pointing back to %s", name, ip, ip, name);
            bad = true;
        } else if (strcasecmp(back, name) != 0) {
            line(d, label, SHARE_FAIL, "%s resolves to %s, but %s reverse-resolves to %s: fix "
                 "the PTR record so that it names %s", name, ip, ip, back, name);
            bad = true;
        }
    }
    freeaddrinfo(ai);
    if (!bad)
        line(d, label, SHARE_PASS, "%s is %s, and back", name, addrs);
}

/* ---- Kerberos ----------------------------------------------------------------- */

static void
check_keytab(struct doctor *d)
{
    struct krb_keytab_status st;
    struct vs_error err;
    const char *kt = d->cfg->keytab;

    if (!krb_keytab_examine(kt, d->machine, d->spn, &st, &err)) {
        line(d, "keytab", SHARE_FAIL, "%s", err.message);
        return;
    }
    if (st.machine[0])
        snprintf(d->machine, sizeof d->machine, "%s", st.machine);
    if (st.machine_kvno < 0 || st.service_kvno < 0) {
        line(d, "keytab", SHARE_FAIL, "the keytab %s lacks %s: export both %s and %s into it "
             "(samba-tool domain exportkeytab --principal, or ktpass on Windows; see "
             "examples/ad/)", kt, st.machine_kvno < 0 ? d->machine : d->spn, d->machine, d->spn);
        return;
    }
    if (!st.tgt_ok) {
        line(d, "keytab", SHARE_FAIL, st.tgt_stale_key
             ? "the keytab %s holds a stale key for %s (kvno %d): the KDC refused it (%s); the "
               "computer account's password changed after the keytab was written: export a fresh "
               "keytab (net ads keytab create, or samba-tool domain exportkeytab) and restart "
               "vsmigrated"
             : "the keytab %s could not get a ticket for %s (kvno %d): %s", kt, d->machine,
             st.machine_kvno, st.tgt_error);
        return;
    }
    if (st.kdc_service_kvno < 0)
        line(d, "keytab", SHARE_FAIL, "the KDC issues no ticket for %s (%s): register the SPN on "
             "the computer account (setspn -S %s, or samba-tool spn add)", d->spn,
             st.service_error, d->spn);
    else if (st.kdc_service_kvno != st.service_kvno)
        line(d, "keytab", SHARE_FAIL, "the keytab %s holds %s at kvno %d, but the KDC encrypts "
             "its tickets with kvno %d: admins' tickets will not decrypt; export a fresh keytab "
             "and restart vsmigrated", kt, d->spn, st.service_kvno, st.kdc_service_kvno);
    else
        line(d, "keytab", SHARE_PASS, "%s holds %s (kvno %d) and %s (kvno %d), as the KDC has "
             "them", kt, d->machine, st.machine_kvno, d->spn, st.service_kvno);
    if (labs(st.clock_skew) > SKEW_MAX_S)
        line(d, "clock", SHARE_FAIL, "this host's clock is %ld s off the KDC's (Kerberos allows "
             "%d): synchronise it (chrony or systemd-timesyncd against the domain controllers)",
             st.clock_skew, SKEW_MAX_S);
    else
        line(d, "clock", labs(st.clock_skew) > SKEW_WARN_S ? SHARE_WARN : SHARE_PASS,
             "%ld s from the KDC's clock (Kerberos allows %d)", st.clock_skew, SKEW_MAX_S);
}

static void
check_delegation(struct doctor *d, const char *service, const char *target_host)
{
    char label[300], *target = NULL;
    struct vs_error err;

    snprintf(label, sizeof label, "delegation %s/%s", service, target_host);
    if (d->acc == NULL) {
        line(d, label, SHARE_FAIL, "not tried: the host's own Kerberos credential is unusable "
             "(see keytab)");
        return;
    }
    if (!krb_service_principal_for(service, target_host, &target, &err)) {
        line(d, label, SHARE_FAIL, "%s", err.message);
        return;
    }
    if (krb_delegation_probe(d->acc, target, &err))
        line(d, label, SHARE_PASS, "the KDC lets %s act for an admin toward %s (S4U2Proxy "
             "tried)", d->machine, target);
    else
        line(d, label, SHARE_FAIL, "%s", err.message);
    free(target);
}

/* ---- the peer ------------------------------------------------------------------ */

static void
check_port(struct doctor *d, const char *peer)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
    char label[300], port[16];
    int rc, reached = 0, tried = 0;
    char failed[512] = "";

    snprintf(label, sizeof label, "port %s", peer);
    snprintf(port, sizeof port, "%d", d->cfg->peer_port);
    if ((rc = getaddrinfo(peer, port, &hints, &ai)) != 0) {
        line(d, label, SHARE_FAIL, "%s does not resolve: %s", peer, gai_strerror(rc));
        return;
    }
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        int fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), e = 0;
        char ip[INET6_ADDRSTRLEN] = "";
        getnameinfo(a->ai_addr, a->ai_addrlen, ip, sizeof ip, NULL, 0, NI_NUMERICHOST);
        tried++;
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno == EINPROGRESS) {
            struct pollfd p = { fd, POLLOUT, 0 };
            socklen_t len = sizeof e;
            if (poll(&p, 1, 3000) != 1)
                e = ETIMEDOUT;
            else
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len);
        } else if (fd < 0)
            e = errno;
        if (fd >= 0)
            close(fd);
        if (e == 0)
            reached++;
        else
            snprintf(failed + strlen(failed), sizeof failed - strlen(failed), "%s%s (%s)",
                     failed[0] ? ", " : "", ip, strerror(e));
    }
    freeaddrinfo(ai);
    if (reached == tried)
        line(d, label, SHARE_PASS, "vsmigrated on %s answers on TCP %s", peer, port);
    else
        line(d, label, SHARE_FAIL, "TCP %s on %s is not reachable at %s: is vsmigrated running "
             "there (systemctl status vsmigrated), and does its firewall allow port %s from "
             "this host?", port, peer, failed, port);
}

/* The networks a peer's agent reports, asked as this host. */
static bool
peer_networks(struct doctor *d, const char *peer, char ***names, size_t *n, struct vs_error *err)
{
    struct agent_target t = { .host = peer, .port = d->cfg->peer_port,
                              .confidential = d->cfg->confidentiality, .timeout_ms = 15000 };
    struct vsm_message *reply = malloc(sizeof *reply);
    enum agent_open_stage stage;
    struct vs_writer req;
    struct wire w;
    void *buf = NULL;
    bool ok = false;

    *names = NULL;
    *n = 0;
    if (reply == NULL) {
        vs_error_set(err, VS_ERR_NOMEM, "out of memory");
        return false;
    }
    if (!agent_open(&w, &t, NULL, d->acc, &stage, err)) {
        free(reply);
        return false;
    }
    agent_request_begin(&w, &req, "networks");
    if (agent_call(&w, &req, NULL, NULL, reply, &buf, 15000, err)) {
        uint64_t code = 0;
        vsm_message_u64(reply, VSM_TAG_RESULT, &code);
        if (code != 0) {
            char msg[1024] = "";
            vsm_message_text(reply, VSM_TAG_MESSAGE, msg, sizeof msg);
            vs_error_set(err, (enum vs_errcode)code, "%s refused: %s", peer, msg);
        } else {
            *names = calloc(reply->n + 1, sizeof **names);
            ok = *names != NULL;
            for (size_t i = 0; ok && i < reply->n; i++) {
                const struct vsm_field *f = &reply->fields[i];
                const char *tab;
                if (f->tag != VSM_TAG_ITEM || (tab = memchr(f->text, '\t', f->len)) == NULL)
                    continue;
                (*names)[*n] = strndup(tab + 1, f->len - (size_t)(tab + 1 - (const char *)f->text));
                if ((*names)[*n])
                    (*n)++;
            }
        }
    }
    vs_writer_free(&req);
    free(buf);
    free(reply);
    wire_close(&w);
    return ok;
}

static bool
in_list(char **v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

static void
free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Which local VMs use network name: "web01, db01" */
static void
vms_using(struct doctor *d, const char *name, char *out, size_t len)
{
    struct virt_vm *vms = NULL;
    struct vs_error err;
    size_t n = 0, used = 0;

    out[0] = '\0';
    if (!virt_list(d->cfg->libvirt_uri, &vms, &n, &err))
        return;
    for (size_t i = 0; i < n; i++) {
        char *xml = NULL, state[24];
        struct domxml_info info;
        if (!virt_domain_xml(d->cfg->libvirt_uri, vms[i].name, &xml, state, sizeof state, &err))
            continue;
        if (domxml_parse(xml, strlen(xml), &info, &err)) {
            for (size_t k = 0; k < info.nnics; k++)
                if (strcmp(info.nics[k].kind, "network") == 0 &&
                    strcmp(info.nics[k].name, name) == 0 && used < len) {
                    used += (size_t)snprintf(out + used, len - used, "%s%s", used ? ", " : "",
                                             info.name);
                    break;
                }
            domxml_free(&info);
        }
        free(xml);
    }
    free(vms);
}

static void
check_networks(struct doctor *d, const char *peer)
{
    char label[300], **mine = NULL, **theirs = NULL, users[512];
    size_t nmine = 0, ntheirs = 0;
    struct vs_error err;
    bool differ = false;

    snprintf(label, sizeof label, "networks %s", peer);
    if (d->acc == NULL) {
        line(d, label, SHARE_FAIL, "not asked: the host's own Kerberos credential is unusable "
             "(see keytab)");
        return;
    }
    if (!virt_networks(d->cfg->libvirt_uri, &mine, &nmine, &err)) {
        line(d, label, SHARE_FAIL, "%s", err.message);
        return;
    }
    if (!peer_networks(d, peer, &theirs, &ntheirs, &err)) {
        line(d, label, SHARE_FAIL, "cannot ask %s for its networks: %s", peer, err.message);
        free_list(mine, nmine);
        return;
    }
    for (size_t i = 0; i < nmine; i++)
        if (!in_list(theirs, ntheirs, mine[i])) {
            vms_using(d, mine[i], users, sizeof users);
            line(d, label, SHARE_FAIL, "%s has no libvirt network '%s'%s%s%s: VMs on it cannot "
                 "move there; define it on %s (virsh net-define, net-start, net-autostart) "
                 "with the same name", peer, mine[i], users[0] ? " (used here by " : "", users,
                 users[0] ? ")" : "", peer);
            differ = true;
        }
    for (size_t i = 0; i < ntheirs; i++)
        if (!in_list(mine, nmine, theirs[i])) {
            line(d, label, SHARE_FAIL, "this host has no libvirt network '%s', which %s has: "
                 "VMs on it cannot move here; define it here (virsh net-define, net-start, "
                 "net-autostart) with the same name", theirs[i], peer);
            differ = true;
        }
    if (!differ)
        line(d, label, SHARE_PASS, "%s has the same %zu libvirt network%s as this host", peer,
             nmine, nmine == 1 ? "" : "s");
    free_list(mine, nmine);
    free_list(theirs, ntheirs);
}

/* ---- libvirt and the share ------------------------------------------------------- */

static void
check_libvirt(struct doctor *d)
{
    struct virt_vm *vms = NULL;
    struct vs_error err;
    size_t n = 0;

    if (virt_list(d->cfg->libvirt_uri, &vms, &n, &err))
        line(d, "libvirt", SHARE_PASS, "%s answers (%zu VM%s)", d->cfg->libvirt_uri, n,
             n == 1 ? "" : "s");
    else
        line(d, "libvirt", SHARE_FAIL, "%s", err.message);
    free(vms);
}

/* The share: given, or where the local VMs' disks are. */
static void
shares_of_vms(struct doctor *d, char ***shares, size_t *n)
{
    struct virt_vm *vms = NULL;
    struct vs_error err;
    size_t nvms = 0;

    if (!virt_list(d->cfg->libvirt_uri, &vms, &nvms, &err))
        return;
    for (size_t i = 0; i < nvms; i++) {
        char *xml = NULL, state[24];
        struct domxml_info info;
        if (!virt_domain_xml(d->cfg->libvirt_uri, vms[i].name, &xml, state, sizeof state, &err))
            continue;
        if (domxml_parse(xml, strlen(xml), &info, &err)) {
            for (size_t k = 0; k < info.ndisks; k++) {
                struct smbio_url u;
                char share[600];
                if (!smbio_url_parse(info.disks[k].url, &u, &err))
                    continue;
                snprintf(share, sizeof share, "//%s/%s", u.server, u.share);
                if (!in_list(*shares, *n, share)) {
                    char **nv = realloc(*shares, (*n + 1) * sizeof *nv);
                    if (nv == NULL)
                        break;
                    *shares = nv;
                    if (((*shares)[*n] = strdup(share)) != NULL)
                        (*n)++;
                }
            }
            domxml_free(&info);
        }
        free(xml);
    }
    free(vms);
}

static void
check_share(struct doctor *d, const char *text, char **peers, size_t npeers)
{
    struct share_target t;
    struct share_roles roles = { 0 };
    struct share_report *rep = calloc(1, sizeof *rep);
    struct smbio_creds *creds = NULL;
    struct acl_want *want = NULL;
    size_t nwant = 0;
    struct vs_error err;
    char **hosts = calloc(npeers + 1, sizeof *hosts), label[300], *old = NULL;

    snprintf(label, sizeof label, "share %s", text);
    if (rep == NULL || hosts == NULL) {
        free(rep);
        free(hosts);
        return;
    }
    if (!share_target_parse(text, &t, &err)) {
        line(d, label, SHARE_FAIL, "%s", err.message);
        goto out;
    }
    /* this host and its peers as computer accounts: "hosta$" */
    for (size_t i = 0; i <= npeers; i++) {
        const char *h = i == 0 ? d->host : peers[i - 1];
        hosts[i] = strndup(h, strcspn(h, "."));
        if (hosts[i] == NULL)
            goto out;
        char *dollar = realloc(hosts[i], strlen(hosts[i]) + 2);
        if (dollar == NULL)
            goto out;
        strcat(dollar, "$");
        hosts[i] = dollar;
    }
    roles.hosts = hosts;
    roles.nhosts = npeers + 1;
    roles.admins = (char **)d->cfg->allowed_groups;
    roles.nadmins = d->cfg->nallowed_groups;
    roles.ldap_uri = d->cfg->ldap_uri;
    /* as the machine account, in a private FILE: ccache libsmbclient can read */
    if (!smbio_creds_from_keytab(d->cfg->keytab, d->machine, 0, d->cfg->runtime_dir, &creds, &err)) {
        line(d, label, SHARE_FAIL, "not checked: %s", err.message);
        goto out;
    }
    old = getenv("KRB5CCNAME") ? strdup(getenv("KRB5CCNAME")) : NULL;
    setenv("KRB5CCNAME", smbio_creds_ccache(creds), 1);
    if (!share_wanted_build(&roles, &want, &nwant, &err))
        line(d, label, SHARE_FAIL, "%s", err.message);
    else {
        char tag[64];
        snprintf(tag, sizeof tag, "%s", hosts[0]);
        tag[strcspn(tag, "$")] = '\0';
        share_check_run(&t, want, nwant, tag, rep);
        for (size_t i = 0; i < rep->n; i++) {
            char name[300];
            snprintf(name, sizeof name, "share %s", rep->items[i].name);
            share_report_add(&d->out, name, rep->items[i].state, "%s", rep->items[i].text);
        }
    }
    if (old)
        setenv("KRB5CCNAME", old, 1);
    else
        unsetenv("KRB5CCNAME");
    free(old);
out:
    smbio_creds_destroy(creds);
    free(want);
    for (size_t i = 0; i <= npeers; i++)
        free(hosts[i]);
    free(hosts);
    free(rep);
}

/* ---- the run -------------------------------------------------------------------- */

static bool
identity(struct doctor *d, struct vs_error *err)
{
    char name[256];
    const char *slash, *at;

    if (d->cfg->spn)
        d->spn = strdup(d->cfg->spn);
    else if (gethostname(name, sizeof name) != 0 ||
             !krb_service_principal_for("vsmigrate", name, &d->spn, err))
        return false;
    if (d->spn == NULL || (slash = strchr(d->spn, '/')) == NULL ||
        (at = strrchr(d->spn, '@')) == NULL || at < slash) {
        vs_error_set(err, VS_ERR_INVALID, "cannot tell this host's name from its SPN: set spn "
                     "in [auth] as vsmigrate/<fqdn>@<REALM>");
        return false;
    }
    snprintf(d->host, sizeof d->host, "%.*s", (int)(at - slash - 1), slash + 1);
    snprintf(d->realm, sizeof d->realm, "%s", at + 1);
    snprintf(name, sizeof name, "%.*s", (int)strcspn(d->host, "."), d->host);
    for (char *c = name; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    snprintf(d->machine, sizeof d->machine, "%s$@%s", name, d->realm);
    return true;
}

int
doctor_run(const struct doctor_options *o)
{
    struct doctor *d = calloc(1, sizeof *d);
    struct cfg_diag diag = { 0 };
    struct agent_config *cfg;
    struct vs_error err;
    char **peers, **shares = NULL;
    size_t npeers, nshares = 0, failures;

    if (d == NULL)
        return 1;
    virt_init();
    cfg = agent_config_load(o->config, &diag);
    if (cfg == NULL) {
        line(d, "config", SHARE_FAIL, "%s does not load: %s", o->config,
             diag.n ? diag.lines[0] : "unknown error");
        cfg_diag_free(&diag);
        goto report;
    }
    cfg_diag_free(&diag);
    d->cfg = cfg;
    if (cfg->auth != AGENT_AUTH_KERBEROS) {
        line(d, "config", SHARE_FAIL, "%s has auth = local: moves between hosts need auth = "
             "kerberos, a keytab and an SPN", o->config);
        goto report;
    }
    if (!identity(d, &err)) {
        line(d, "config", SHARE_FAIL, "%s", err.message);
        goto report;
    }
    line(d, "config", SHARE_PASS, "%s: this host is %s (%s)", o->config, d->host, d->machine);
    /* the peers: those given, else every configured one */
    peers = o->npeers ? (char **)o->peers : (char **)cfg->peers;
    npeers = o->npeers ? o->npeers : cfg->npeers;
    if (npeers == 0)
        line(d, "peers", SHARE_FAIL, "no peer: name one with --peer, or list the hosts VMs move "
             "between in peers of %s", o->config);
    for (size_t i = 0; i < o->npeers; i++)
        if (!agent_config_is_peer(cfg, o->peers[i]))
            line(d, "peers", SHARE_FAIL, "%s is not in peers of %s: this host would refuse "
                 "its moves; add it there and on %s", o->peers[i], o->config, o->peers[i]);
    check_dns(d, d->host);
    for (size_t i = 0; i < npeers; i++)
        check_dns(d, peers[i]);
    check_keytab(d);
    if (!krb_acceptor_open(cfg->keytab, d->spn, &d->acc, &err))
        d->acc = NULL;
    for (size_t i = 0; i < npeers; i++)
        check_delegation(d, "vsmigrate", peers[i]);
    check_libvirt(d);
    for (size_t i = 0; i < npeers; i++) {
        check_port(d, peers[i]);
        check_networks(d, peers[i]);
    }
    if (o->share) {
        shares = calloc(1, sizeof *shares);
        if (shares && (shares[0] = strdup(o->share)) != NULL)
            nshares = 1;
    } else
        shares_of_vms(d, &shares, &nshares);
    if (nshares == 0)
        line(d, "share", SHARE_WARN, "no share to check: no local VM names one in its disks' "
             "metadata; give --share //SERVER/SHARE");
    for (size_t i = 0; i < nshares; i++) {
        struct share_target t;
        if (share_target_parse(shares[i], &t, &err))
            check_delegation(d, "cifs", t.server);
        check_share(d, shares[i], peers, npeers);
    }
    free_list(shares, nshares);
report:
    failures = share_report_failures(&d->out);
    if (o->json) {
        printf("{\"host\":");
        json_write_string(stdout, d->host);
        printf(",\"ok\":%s,\"checks\":[", failures ? "false" : "true");
        for (size_t i = 0; i < d->out.n; i++) {
            printf("%s{\"name\":", i ? "," : "");
            json_write_string(stdout, d->out.items[i].name);
            printf(",\"result\":\"%s\",\"text\":", share_item_state_name(d->out.items[i].state));
            json_write_string(stdout, d->out.items[i].text);
            printf("}");
        }
        printf("]}\n");
    } else {
        for (size_t i = 0; i < d->out.n; i++)
            printf("%-4s  %-34s %s\n", share_item_state_name(d->out.items[i].state),
                   d->out.items[i].name, d->out.items[i].text);
        if (failures)
            printf("%zu of %zu checks failed\n", failures, d->out.n);
        else
            printf("all %zu checks passed\n", d->out.n);
    }
    if (d->acc)
        krb_acceptor_close(d->acc);
    free(d->spn);
    agent_config_free(cfg);
    free(d);
    return failures ? 1 : 0;
}
