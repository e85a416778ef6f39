/* SPDX-License-Identifier: GPL-3.0-or-later */
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
#include "hostagent/agentcfg.h"
#include "hostagent/client.h"
#include "hostagent/doctor.h"
#include "hostagent/domxml.h"
#include "hostagent/tool.h"
#include "hostagent/virt.h"
#include "krb/krb.h"
#include "smbio/creds.h"
#include "smbio/url.h"

#define SKEW_MAX_S 300      /* krb5's default clockskew */
#define SKEW_WARN_S 60

enum result { PASS, WARN, FAIL, INFO };
static const char *const result_names[] = { "pass", "warn", "fail", "info" };

struct line {
    char name[300];
    enum result result;
    char text[1200];
};

#define DOCTOR_LINES_MAX 128

struct doctor {
    struct line lines[DOCTOR_LINES_MAX];
    size_t nlines;
    const struct agent_config *cfg;
    char host[256];                 /* this host's FQDN */
    char realm[256];
    char machine[600];              /* HOSTA$@REALM, as the keytab spells it */
    char *spn;
    struct krb_acceptor *acc;
    struct domxml_info *vms;        /* the local VMs' definitions, read once */
    size_t nvms;
};

static void
line(struct doctor *d, const char *name, enum result r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
line(struct doctor *d, const char *name, enum result r, const char *fmt, ...)
{
    struct line *l;
    va_list ap;

    if (d->nlines == DOCTOR_LINES_MAX)
        return;
    l = &d->lines[d->nlines++];
    snprintf(l->name, sizeof l->name, "%s", name);
    l->result = r;
    va_start(ap, fmt);
    vsnprintf(l->text, sizeof l->text, fmt, ap);
    va_end(ap);
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
        line(d, label, FAIL, "%s does not resolve (%s): add an A record for it (and a PTR "
             "record back) in the domain's DNS", name, gai_strerror(rc));
        return;
    }
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        char ip[INET6_ADDRSTRLEN] = "", back[NI_MAXHOST];
        bool seen = false;
        /* an address listed twice (hosts file and DNS) is checked once; by
         * address, as 10.0.0.1 is a substring of 10.0.0.11 */
        for (struct addrinfo *b = ai; b != a; b = b->ai_next)
            seen |= b->ai_addrlen == a->ai_addrlen && memcmp(b->ai_addr, a->ai_addr, a->ai_addrlen) == 0;
        if (seen)
            continue;
        getnameinfo(a->ai_addr, a->ai_addrlen, ip, sizeof ip, NULL, 0, NI_NUMERICHOST);
        used += (size_t)snprintf(addrs + used, sizeof addrs - used, "%s%s", used ? " " : "", ip);
        if (getnameinfo(a->ai_addr, a->ai_addrlen, back, sizeof back, NULL, 0, NI_NAMEREQD) != 0) {
            line(d, label, FAIL, "%s resolves to %s, but %s has no reverse (PTR) record: "
                 "add one pointing back to %s", name, ip, ip, name);
            bad = true;
        } else if (strcasecmp(back, name) != 0) {
            line(d, label, FAIL, "%s resolves to %s, but %s reverse-resolves to %s: fix "
                 "the PTR record so that it names %s", name, ip, ip, back, name);
            bad = true;
        }
    }
    freeaddrinfo(ai);
    if (!bad)
        line(d, label, PASS, "%s is %s, and back", name, addrs);
}

/* ---- Kerberos ----------------------------------------------------------------- */

static void
check_keytab(struct doctor *d)
{
    struct krb_keytab_status st;
    struct vs_error err;
    const char *kt = d->cfg->keytab;

    if (!krb_keytab_examine(kt, d->machine, d->spn, &st, &err)) {
        line(d, "keytab", FAIL, "%s", err.message);
        return;
    }
    if (st.machine[0])
        snprintf(d->machine, sizeof d->machine, "%s", st.machine);
    if (st.machine_kvno < 0 || st.service_kvno < 0) {
        line(d, "keytab", FAIL, "the keytab %s lacks %s: export both %s and %s into it "
             "(samba-tool domain exportkeytab --principal, or ktpass on Windows; see "
             "examples/ad/)", kt, st.machine_kvno < 0 ? d->machine : d->spn, d->machine, d->spn);
        return;
    }
    if (!st.tgt_ok) {
        line(d, "keytab", FAIL, st.tgt_stale_key
             ? "the keytab %s holds a stale key for %s (kvno %d): the KDC refused it (%s); the "
               "computer account's password changed after the keytab was written: export a fresh "
               "keytab (net ads keytab create, or samba-tool domain exportkeytab) and restart "
               "vsmigrated"
             : "the keytab %s could not get a ticket for %s (kvno %d): %s", kt, d->machine,
             st.machine_kvno, st.tgt_error);
        return;
    }
    if (st.kdc_service_kvno < 0)
        line(d, "keytab", FAIL, "the KDC issues no ticket for %s (%s): register the SPN on "
             "the computer account (setspn -S %s, or samba-tool spn add)", d->spn,
             st.service_error, d->spn);
    else if (st.kdc_service_kvno != st.service_kvno)
        line(d, "keytab", FAIL, "the keytab %s holds %s at kvno %d, but the KDC encrypts "
             "its tickets with kvno %d: admins' tickets will not decrypt; export a fresh keytab "
             "and restart vsmigrated", kt, d->spn, st.service_kvno, st.kdc_service_kvno);
    else
        line(d, "keytab", PASS, "%s holds %s (kvno %d) and %s (kvno %d), as the KDC has "
             "them", kt, d->machine, st.machine_kvno, d->spn, st.service_kvno);
    if (labs(st.clock_skew) > SKEW_MAX_S)
        line(d, "clock", FAIL, "this host's clock is %ld s off the KDC's (Kerberos allows "
             "%d): synchronise it (chrony or systemd-timesyncd against the domain controllers)",
             st.clock_skew, SKEW_MAX_S);
    else
        line(d, "clock", labs(st.clock_skew) > SKEW_WARN_S ? WARN : PASS,
             "%ld s from the KDC's clock (Kerberos allows %d)", st.clock_skew, SKEW_MAX_S);
}

static void
check_delegation(struct doctor *d, const char *service, const char *target_host)
{
    char label[300], *target = NULL;
    struct vs_error err;

    snprintf(label, sizeof label, "delegation %s/%s", service, target_host);
    if (d->acc == NULL) {
        line(d, label, FAIL, "not tried: the host's own Kerberos credential is unusable "
             "(see keytab)");
        return;
    }
    if (!krb_service_principal_for(service, target_host, &target, &err)) {
        line(d, label, FAIL, "%s", err.message);
        return;
    }
    if (krb_delegation_probe(d->acc, target, &err))
        line(d, label, PASS, "the KDC lets %s act for an admin toward %s (S4U2Proxy "
             "tried)", d->machine, target);
    else
        line(d, label, FAIL, "%s", err.message);
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
        line(d, label, FAIL, "%s does not resolve: %s", peer, gai_strerror(rc));
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
        line(d, label, PASS, "vsmigrated on %s answers on TCP %s", peer, port);
    else
        line(d, label, FAIL, "TCP %s on %s is not reachable at %s: is vsmigrated running "
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
            struct vsm_record rec;
            size_t pos = 0;
            while (ok && vsm_record_next(reply, &pos, &rec)) {
                char value[256];
                if (rec.kind == VSM_RECORD_NETWORK &&
                    vsm_record_text(&rec, VSM_TAG_NAME, value, sizeof value) &&
                    ((*names)[*n] = strdup(value)) != NULL)
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

/* Which local VMs use network name: "web01, db01" */
static void
vms_using(const struct doctor *d, const char *name, char *out, size_t len)
{
    size_t used = 0;

    out[0] = '\0';
    for (size_t i = 0; i < d->nvms && used < len; i++)
        for (size_t k = 0; k < d->vms[i].nnics; k++)
            if (strcmp(d->vms[i].nics[k].kind, "network") == 0 &&
                strcmp(d->vms[i].nics[k].name, name) == 0) {
                used += (size_t)snprintf(out + used, len - used, "%s%s", used ? ", " : "",
                                         d->vms[i].name);
                break;
            }
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
        line(d, label, FAIL, "not asked: the host's own Kerberos credential is unusable "
             "(see keytab)");
        return;
    }
    if (!virt_networks(d->cfg->libvirt_uri, &mine, &nmine, &err)) {
        line(d, label, FAIL, "%s", err.message);
        return;
    }
    if (!peer_networks(d, peer, &theirs, &ntheirs, &err)) {
        line(d, label, FAIL, "cannot ask %s for its networks: %s", peer, err.message);
        krb_strv_free(mine, nmine);
        return;
    }
    for (size_t i = 0; i < nmine; i++)
        if (!in_list(theirs, ntheirs, mine[i])) {
            vms_using(d, mine[i], users, sizeof users);
            line(d, label, FAIL, "%s has no libvirt network '%s'%s%s%s: VMs on it cannot "
                 "move there; define it on %s (virsh net-define, net-start, net-autostart) "
                 "with the same name", peer, mine[i], users[0] ? " (used here by " : "", users,
                 users[0] ? ")" : "", peer);
            differ = true;
        }
    for (size_t i = 0; i < ntheirs; i++)
        if (!in_list(mine, nmine, theirs[i])) {
            line(d, label, FAIL, "this host has no libvirt network '%s', which %s has: "
                 "VMs on it cannot move here; define it here (virsh net-define, net-start, "
                 "net-autostart) with the same name", theirs[i], peer);
            differ = true;
        }
    if (!differ)
        line(d, label, PASS, "%s has the same %zu libvirt network%s as this host", peer,
             nmine, nmine == 1 ? "" : "s");
    krb_strv_free(mine, nmine);
    krb_strv_free(theirs, ntheirs);
}

/* ---- libvirt and the share ------------------------------------------------------- */

/* libvirt answers, and the local VMs' definitions, kept for the checks below. */
static void
check_libvirt(struct doctor *d)
{
    struct virt_vm *vms = NULL;
    struct vs_error err;
    size_t n = 0;

    if (!virt_list(d->cfg->libvirt_uri, &vms, &n, &err)) {
        line(d, "libvirt", FAIL, "%s", err.message);
        return;
    }
    line(d, "libvirt", PASS, "%s answers (%zu VM%s)", d->cfg->libvirt_uri, n, n == 1 ? "" : "s");
    d->vms = calloc(n + 1, sizeof *d->vms);
    for (size_t i = 0; d->vms && i < n; i++) {
        char *xml = NULL, state[24];
        if (virt_domain_xml(d->cfg->libvirt_uri, vms[i].name, &xml, state, sizeof state, &err) &&
            domxml_parse(xml, strlen(xml), &d->vms[d->nvms], &err))
            d->nvms++;
        free(xml);
    }
    free(vms);
}

/* The shares the local VMs' disks are on, as //SERVER/SHARE. */
static void
shares_of_vms(const struct doctor *d, char ***shares, size_t *n)
{
    for (size_t i = 0; i < d->nvms; i++)
        for (size_t k = 0; k < d->vms[i].ndisks; k++) {
            struct smbio_url u;
            struct vs_error err;
            char share[600], **nv;
            if (!smbio_url_parse(d->vms[i].disks[k].url, &u, &err))
                continue;
            snprintf(share, sizeof share, "//%s/%s", u.server, u.share);
            if (in_list(*shares, *n, share) || (nv = realloc(*shares, (*n + 1) * sizeof *nv)) == NULL)
                continue;
            *shares = nv;
            if ((nv[*n] = strdup(share)) != NULL)
                (*n)++;
        }
}

/* "hosta.lab.test" -> "hosta$", appended to a comma-separated list */
static void
append_account(char *list, size_t len, const char *fqdn)
{
    size_t used = strlen(list);
    snprintf(list + used, len - used, "%s%.*s$", used ? "," : "", (int)strcspn(fqdn, "."), fqdn);
}

/* vsmigrate-share check as this host's machine account; its lines become ours. */
static void
check_share(struct doctor *d, const char *share, char **peers, size_t npeers)
{
    char hosts[2048] = "", admins[2048] = "", label[300], why[1024], ccache[1100];
    char *out = malloc(65536);
    struct smbio_creds *creds = NULL;
    struct vs_error err;
    int rc;

    snprintf(label, sizeof label, "share %s", share);
    if (out == NULL)
        return;
    append_account(hosts, sizeof hosts, d->host);
    for (size_t i = 0; i < npeers; i++)
        append_account(hosts, sizeof hosts, peers[i]);
    for (size_t i = 0; i < d->cfg->nallowed_groups; i++)
        snprintf(admins + strlen(admins), sizeof admins - strlen(admins), "%s%s",
                 i ? "," : "", d->cfg->allowed_groups[i]);
    /* a private FILE: ccache that libsmbclient can read, removed after */
    if (!smbio_creds_from_keytab(d->cfg->keytab, d->machine, 0, d->cfg->runtime_dir, &creds, &err)) {
        line(d, label, FAIL, "not checked: %s", err.message);
        free(out);
        return;
    }
    const char *argv[8];
    int n = 0;
    argv[n++] = d->cfg->share_tool;
    argv[n++] = "check";
    argv[n++] = share;
    argv[n++] = "--hosts";
    argv[n++] = hosts;
    if (admins[0]) {
        argv[n++] = "--admins";
        argv[n++] = admins;
    }
    argv[n++] = "--lines";
    argv[n] = NULL;
    snprintf(ccache, sizeof ccache, "KRB5CCNAME=%s", smbio_creds_ccache(creds));
    char *env[] = { ccache, NULL };
    rc = tool_run((char *const *)argv, env, 120000, "share_tool", out, 65536, why, sizeof why);
    smbio_creds_destroy(creds);
    if (rc < 0) {
        line(d, label, FAIL, "%s", why);
        free(out);
        return;
    }
    size_t before = d->nlines;
    for (char *p = out, *nl; *p; p = nl + 1) {
        char *tab1, *tab2, name[300];
        nl = strchr(p, '\n');
        if (nl == NULL)
            break;          /* a truncated last line is dropped */
        *nl = '\0';
        if ((tab1 = strchr(p, '\t')) == NULL || (tab2 = strchr(tab1 + 1, '\t')) == NULL)
            continue;
        *tab1 = *tab2 = '\0';
        enum result r = FAIL;
        for (size_t k = 0; k < sizeof result_names / sizeof result_names[0]; k++)
            if (strcmp(p, result_names[k]) == 0)
                r = (enum result)k;
        snprintf(name, sizeof name, "share %.280s", tab1 + 1);
        line(d, name, r, "%s", tab2 + 1);
    }
    if (d->nlines == before)
        line(d, label, FAIL, "%s exited with status %d and reported nothing: run it by hand "
             "(vsmigrate-share check %s)", d->cfg->share_tool, rc, share);
    free(out);
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
        line(d, "config", FAIL, "%s does not load: %s", o->config,
             diag.n ? diag.lines[0] : "unknown error");
        cfg_diag_free(&diag);
        goto report;
    }
    cfg_diag_free(&diag);
    d->cfg = cfg;
    if (cfg->auth != AGENT_AUTH_KERBEROS) {
        line(d, "config", FAIL, "%s has auth = local: moves between hosts need auth = "
             "kerberos, a keytab and an SPN", o->config);
        goto report;
    }
    if (!identity(d, &err)) {
        line(d, "config", FAIL, "%s", err.message);
        goto report;
    }
    line(d, "config", PASS, "%s: this host is %s", o->config, d->host);
    /* the peers: those given, else every configured one */
    peers = o->npeers ? (char **)o->peers : (char **)cfg->peers;
    npeers = o->npeers ? o->npeers : cfg->npeers;
    if (npeers == 0)
        line(d, "peers", FAIL, "no peer: name one with --peer, or list the hosts VMs move "
             "between in peers of %s", o->config);
    for (size_t i = 0; i < o->npeers; i++)
        if (!agent_config_is_peer(cfg, o->peers[i]))
            line(d, "peers", FAIL, "%s is not in peers of %s: this host would refuse "
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
        line(d, "share", WARN, "no share to check: no local VM names one in its disks' "
             "metadata; give --share //SERVER/SHARE");
    for (size_t i = 0; i < nshares; i++) {
        /* //SERVER/SHARE: vsmigrate-share checks the form; the server is all we need */
        const char *server = shares[i] + strspn(shares[i], "/\\");
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(server, "/\\"), server);
        check_delegation(d, "cifs", name);
        check_share(d, shares[i], peers, npeers);
    }
    krb_strv_free(shares, nshares);
report:
    failures = 0;
    for (size_t i = 0; i < d->nlines; i++)
        failures += d->lines[i].result == FAIL;
    if (o->json) {
        json_t *checks = json_array();
        for (size_t i = 0; i < d->nlines; i++)
            json_array_append_new(checks, json_check(d->lines[i].name,
                                                     result_names[d->lines[i].result],
                                                     d->lines[i].text));
        json_print_line(stdout, json_pack("{s:s,s:b,s:o}", "host", d->host, "ok", failures == 0,
                                          "checks", checks));
    } else {
        for (size_t i = 0; i < d->nlines; i++)
            printf("%-4s  %-34s %s\n", result_names[d->lines[i].result], d->lines[i].name,
                   d->lines[i].text);
        if (failures)
            printf("%zu of %zu checks failed\n", failures, d->nlines);
        else
            printf("all %zu checks passed\n", d->nlines);
    }
    for (size_t i = 0; i < d->nvms; i++)
        domxml_free(&d->vms[i]);
    free(d->vms);
    if (d->acc)
        krb_acceptor_close(d->acc);
    free(d->spn);
    agent_config_free(cfg);
    free(d);
    return failures ? 1 : 0;
}
