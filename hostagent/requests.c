/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/requests.c: what vsmigrated does for each action.
 *
 * A check runs on the source host (hop 1). The destination's half runs on
 * the destination (hop 2), asked as the admin through S4U2Proxy so that the
 * destination applies its own rules to the admin; if this host may not
 * delegate there, the report says so and the destination's half is asked as
 * this host instead, so that one report still lists every problem. */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/hostname.h"
#include "common/json.h"
#include "common/log.h"
#include "hostagent/client.h"
#include "hostagent/daemon.h"
#include "hostagent/domxml.h"
#include "hostagent/placement.h"
#include "hostagent/report.h"
#include "hostagent/stalecopy.h"
#include "hostagent/tool.h"
#include "hostagent/virt.h"
#include "krb/krb.h"
#include "smbio/url.h"

extern char **environ;

#define TOOL_TIMEOUT_MS 30000

/* ---- replies ------------------------------------------------------------------- */

void
reply_begin(struct request_ctx *r, struct vs_writer *w)
{
    vs_writer_init(w, VSM_FRAME_SEALED_MAX - 1024);
    vsm_message_begin(w, VSM_MSG_REPLY, r->req->id);
}

void
reply_send(struct request_ctx *r, struct vs_writer *w, enum vs_errcode code, const char *message)
{
    struct vs_error err;

    r->result = code;
    snprintf(r->message, sizeof r->message, "%s", message ? message : "");
    vsm_message_add_u64(w, VSM_TAG_RESULT, (uint64_t)code);
    if (message && message[0])
        vsm_message_add_text(w, VSM_TAG_MESSAGE, message);
    if (!wire_send_message(r->w, w, 10000, &err)) {
        /* a client that does not read, or a reply we could not build: either
         * way the stream is out of step, so end it rather than serve on */
        vs_info("%s: the reply to %s was not sent (%s); closing the connection",
                r->conn->address, r->caller, err.message);
        r->reply_failed = true;
    }
    vs_writer_free(w);
}

void
reply_error(struct request_ctx *r, enum vs_errcode code, const char *message)
{
    struct vs_writer w;
    reply_begin(r, &w);
    reply_send(r, &w, code, message);
}

static void
setting(struct vs_writer *w, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* One SETTING record of a status reply: a name and its value. */
static void
setting(struct vs_writer *w, const char *name, const char *fmt, ...)
{
    char value[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    vsm_message_record(w, VSM_RECORD_SETTING);
    vsm_message_add_text(w, VSM_TAG_NAME, name);
    vsm_message_add_text(w, VSM_TAG_TEXT, value);
}

/* ---- running vsmigrate-disk ------------------------------------------------------ */

enum probe_result {
    PROBE_OK,
    PROBE_HELD,    /* write access allowed, but another client holds the writer handle now */
    PROBE_FAILED,
};

/* Can credentials open url? ccache, or keytab + principal. A write probe
 * that meets another writer still proves the access: the file server checks
 * the ACL before the share modes, so it answers "busy" only to a client the
 * ACL lets write (PROBE_HELD). Bounded by the request's deadline. */
static enum probe_result
probe_disk(const struct request_ctx *r, const char *url, const char *ccache, const char *principal,
           bool write, char *why, size_t whylen)
{
    const struct settings *s = r->s;
    char out[4096], ok[8] = "", code[32] = "";
    const char *argv[12];
    int n = 0, rc;
    long long left = r->deadline_ms - wire_now_ms();

    if (left <= 0) {
        snprintf(why, whylen, "the request ran out of time (request_timeout in [limits]) before "
                 "%s was tried", url);
        return PROBE_FAILED;
    }
    argv[n++] = s->cfg->disk_tool;
    argv[n++] = "probe";
    argv[n++] = url;
    if (ccache) {
        argv[n++] = "--ccache";
        argv[n++] = ccache;
    } else {
        argv[n++] = "--keytab";
        argv[n++] = s->cfg->keytab;
        argv[n++] = "--principal";
        argv[n++] = principal;
    }
    if (write)
        argv[n++] = "--write";
    argv[n++] = "--json";
    argv[n] = NULL;
    char rundir[600], *env[] = { rundir, NULL };
    /* the tool's private ccache directory goes under our runtime dir */
    snprintf(rundir, sizeof rundir, "RUNTIME_DIRECTORY=%s", s->cfg->runtime_dir);
    rc = tool_run((char *const *)argv, env, left < TOOL_TIMEOUT_MS ? left : TOOL_TIMEOUT_MS,
                  "disk_tool", out, sizeof out, why, whylen);
    if (rc < 0)
        return PROBE_FAILED;
    json_field(out, "ok", ok, sizeof ok);
    json_field(out, "code", code, sizeof code);
    if (rc == 0 && strcmp(ok, "true") == 0)
        return PROBE_OK;
    if (json_field(out, "error", why, whylen) == NULL)
        snprintf(why, whylen, "%s exited with status %d and gave no reason", s->cfg->disk_tool, rc);
    return write && strcmp(code, vs_errcode_name(VS_ERR_BUSY)) == 0 ? PROBE_HELD : PROBE_FAILED;
}

/* ---- status and list ----------------------------------------------------------------- */

/* how a copy of a job stands in the queue, for status */
static enum vsm_queue_state
job_queue_state(const struct job *j)
{
    if (j->place == 0)
        return j->crossed ? VSM_QUEUE_CROSSED : VSM_QUEUE_RUNNING;
    return j->held_by_mend ? VSM_QUEUE_MENDING : VSM_QUEUE_WAITING;
}

static void
do_status(struct request_ctx *r)
{
    const struct agent_config *c = r->s->cfg;
    struct vs_writer w;
    char peers[1024] = "", listen[512] = "";
    size_t used = 0;

    for (size_t i = 0; i < c->npeers && used < sizeof peers; i++)
        used += (size_t)snprintf(peers + used, sizeof peers - used, "%s%s", i ? "," : "", c->peers[i]);
    used = 0;
    for (size_t i = 0; i < c->nlisten && used < sizeof listen; i++)
        used += (size_t)snprintf(listen + used, sizeof listen - used, "%s%s", i ? "," : "",
                                 c->listen[i].text);
    reply_begin(r, &w);
    setting(&w, "host", "%s", r->agent->host);
    setting(&w, "version", "%s", PACKAGE_VERSION);
    setting(&w, "auth", "%s", c->auth == AGENT_AUTH_KERBEROS ? "kerberos" : "local");
    if (r->s->spn)
        setting(&w, "spn", "%s", r->s->spn);
    setting(&w, "listen", "%s", listen[0] ? listen : "none");
    setting(&w, "incoming", "%s", c->incoming ? "yes" : "no");
    setting(&w, "outgoing", "%s", c->outgoing ? "yes" : "no");
    setting(&w, "max_simultaneous", "%d", c->max_simultaneous);
    setting(&w, "peers", "%s", peers[0] ? peers : "none");
    setting(&w, "confidentiality", "%s", c->confidentiality ? "yes" : "no");
    setting(&w, "caller", "%s", r->caller);
    setting(&w, "role", "%s", authz_role_name(r->who->role));
    struct job *jobs = calloc(JOBS_MAX, sizeof *jobs);
    size_t njobs = jobs ? jobs_snapshot(&r->agent->jobs, jobs, JOBS_MAX) : 0;
    setting(&w, "jobs", "%zu", njobs);
    setting(&w, "queue_timeout", "%lld s", c->queue_timeout_ms / 1000);
    for (size_t i = 0; i < njobs; i++) {
        vsm_message_record(&w, VSM_RECORD_JOB);
        vsm_message_add_text(&w, VSM_TAG_JOB, jobs[i].id);
        vsm_message_add_text(&w, VSM_TAG_VM, jobs[i].vm);
        vsm_message_add_text(&w, VSM_TAG_TO, jobs[i].to);
        vsm_message_add_text(&w, VSM_TAG_PHASE, jobs[i].phase);
        vsm_message_add_u64(&w, VSM_TAG_PROGRESS, jobs[i].progress);
        vsm_message_add_text(&w, VSM_TAG_ON_BEHALF_OF, jobs[i].user);
        vsm_message_add_u64(&w, VSM_TAG_QUEUE_PLACE, jobs[i].place);
        vsm_message_add_u64(&w, VSM_TAG_QUEUE_STATE, job_queue_state(&jobs[i]));
    }
    free(jobs);
    reply_send(r, &w, VS_OK, NULL);
}

static void
do_list(struct request_ctx *r)
{
    struct virt_vm *vms;
    struct vs_writer w;
    struct vs_error err;
    size_t n;

    if (!virt_list(r->s->cfg->libvirt_uri, &vms, &n, &err)) {
        reply_error(r, err.code, err.message);
        return;
    }
    reply_begin(r, &w);
    for (size_t i = 0; i < n; i++) {
        vsm_message_record(&w, VSM_RECORD_VM);
        vsm_message_add_text(&w, VSM_TAG_NAME, vms[i].name);
        vsm_message_add_text(&w, VSM_TAG_STATE, vms[i].state);
        vsm_message_add_u64(&w, VSM_TAG_MEMORY_MIB, vms[i].memory_bytes >> 20);
        vsm_message_add_u64(&w, VSM_TAG_VCPUS, vms[i].vcpus);
    }
    free(vms);
    reply_send(r, &w, VS_OK, NULL);
}

/* The active libvirt networks, for a peer's doctor: read-only, and a peer
 * host as itself may ask. */
static void
do_networks(struct request_ctx *r)
{
    struct vs_writer w;
    struct vs_error err;
    char **names;
    size_t n;

    if (!virt_networks(r->s->cfg->libvirt_uri, &names, &n, &err)) {
        reply_error(r, err.code, err.message);
        return;
    }
    reply_begin(r, &w);
    for (size_t i = 0; i < n; i++) {
        vsm_message_record(&w, VSM_RECORD_NETWORK);
        vsm_message_add_text(&w, VSM_TAG_NAME, names[i]);
    }
    krb_strv_free(names, n);
    reply_send(r, &w, VS_OK, NULL);
}

void
reply_report(struct request_ctx *r, struct report *rep)
{
    struct vs_writer w;
    char summary[512];

    reply_begin(r, &w);
    report_to_message(rep, &w);
    report_summary(rep, summary, sizeof summary);
    reply_send(r, &w, report_result(rep), report_result(rep) == VS_OK ? NULL : summary);
    for (size_t i = 0; i < rep->n; i++)
        if (!rep->lines[i].pass) {
            snprintf(r->message, sizeof r->message, "%s; %s: %s", summary, rep->lines[i].name,
                     rep->lines[i].text);
            break;
        }
    free(rep);
}

/* ---- check: the destination's half ------------------------------------------------------ */

static void
slot_line(struct request_ctx *r, struct report *rep, const struct agent_config *c)
{
    size_t running, waiting;

    jobs_counts(&r->agent->jobs, &running, &waiting);
    if (running < (size_t)c->max_simultaneous && waiting == 0)
        report_add(rep, "slot", true, VS_OK, "%zu of %d migration slots in use on %s", running,
                   c->max_simultaneous, r->agent->host);
    else
        report_add(rep, "slot", true, VS_OK, "%zu of %d migration slots on %s are in use and %zu "
                   "move%s wait: the move would wait in the queue at place %zu (for up to "
                   "queue_timeout)", running, c->max_simultaneous, r->agent->host, waiting,
                   waiting == 1 ? "" : "s", waiting + 1);
}

static void
do_check_destination(struct request_ctx *r)
{
    const struct agent_config *c = r->s->cfg;
    struct domxml_info vm;
    struct report *rep;
    struct vs_error err;
    char *xml;

    vsm_message_text(r->req, VSM_TAG_VM, r->vm, sizeof r->vm);
    vsm_message_text(r->req, VSM_TAG_FROM, r->from, sizeof r->from);
    snprintf(r->to, sizeof r->to, "%s", r->agent->host);
    xml = vsm_message_strdup(r->req, VSM_TAG_DOMAIN_XML);
    if (xml == NULL) {
        reply_error(r, VS_ERR_INVALID, "check-destination needs the VM's definition");
        return;
    }
    if (!domxml_parse(xml, strlen(xml), &vm, &err)) {
        free(xml);
        reply_error(r, err.code, err.message);
        return;
    }
    free(xml);
    rep = calloc(1, sizeof *rep);
    if (rep == NULL) {
        domxml_free(&vm);
        reply_error(r, VS_ERR_NOMEM, "out of memory");
        return;
    }
    char folder[1300];
    bool placed = placement_check(&vm, r->vm, c->shares, c->nshares, folder, sizeof folder, &err);
    /* the destination's own placement check: it trusts no source's */
    if (placed)
        report_add(rep, "destination placement", true, VS_OK, "%s: every disk of %s lies in its "
                   "folder %s/", r->agent->host, vm.name, folder);
    else
        report_add(rep, "destination placement", false, err.code, "%s: %s", r->agent->host,
                   err.message);
    if (c->incoming)
        report_add(rep, "incoming", true, VS_OK, "%s accepts incoming migrations", r->agent->host);
    else
        report_add(rep, "incoming", false, VS_ERR_DENIED, "incoming migrations are turned off "
                   "on %s: set incoming = yes in [migration] of its vsmigrated.conf",
                   r->agent->host);
    virt_check_destination(c->libvirt_uri, r->agent->host, &vm, r->who->role != AUTHZ_PEER_HOST,
                           rep);
    /* nothing is opened for a definition that points outside its folder */
    for (size_t i = 0; placed && i < vm.ndisks; i++) {
        char name[REPORT_NAME_MAX], why[1024];
        snprintf(name, sizeof name, "disk %s", vm.disks[i].target);
        if (r->s->acc == NULL)
            report_add(rep, name, false, VS_ERR_UNAVAILABLE, "%s has no keytab (auth = local), "
                       "so it cannot open disks on the share", r->agent->host);
        else if (probe_disk(r, vm.disks[i].url, NULL, krb_acceptor_machine(r->s->acc), false,
                            why, sizeof why) == PROBE_OK)
            report_add(rep, name, true, VS_OK, "%s opens %s", krb_acceptor_machine(r->s->acc),
                       vm.disks[i].url);
        else
            report_add(rep, name, false, VS_ERR_DENIED, "%s cannot open %s: %s (grant the "
                       "computer account access with vsmigrate-share provision)",
                       krb_acceptor_machine(r->s->acc), vm.disks[i].url, why);
    }
    slot_line(r, rep, c);
    domxml_free(&vm);
    reply_report(r, rep);
}

/* ---- check: the source's half ----------------------------------------------------------- */

/* May the admin change the VM's folder and every disk in it? The file server
 * decides: each is opened read-write with the admin's own CIFS ticket. A
 * disk whose writer (the running VM's export) holds it answers "busy" only
 * after the ACL let the admin in, which is the answer wanted. */
static void
share_access_line(struct request_ctx *r, const struct domxml_info *vm, const char *folder,
                  struct report *rep)
{
    char xmlurl[1700], why[1024], *cifs = NULL;
    struct smbio_url parsed;
    struct krb_ccache_file *cc = NULL;
    struct vs_error err;
    size_t held = 0;

    if (r->accepted == NULL) {
        report_add(rep, "share access", true, VS_OK, "a local caller (%s): the share's ACL is "
                   "checked for Kerberos callers only", r->caller);
        return;
    }
    if (!smbio_url_parse(vm->disks[0].url, &parsed, &err)) {
        report_add(rep, "share access", false, VS_ERR_INVALID, "%s", err.message);
        return;
    }
    snprintf(xmlurl, sizeof xmlurl, "%s/%s.xml", folder, vm->name);
    if (!krb_service_principal_for("cifs", parsed.server, &cifs, &err) ||
        !krb_cifs_ccache_create(r->accepted, cifs, r->s->cfg->runtime_dir, &cc, &err)) {
        report_add(rep, "share access", false, VS_ERR_DENIED, "%s", err.message);
        free(cifs);
        return;
    }
    const char *failed = NULL;
    enum probe_result pr = probe_disk(r, xmlurl, krb_ccache_file_name(cc), NULL, true, why, sizeof why);
    if (pr == PROBE_FAILED)
        failed = xmlurl;
    held += pr == PROBE_HELD;
    for (size_t i = 0; failed == NULL && i < vm->ndisks; i++) {
        pr = probe_disk(r, vm->disks[i].url, krb_ccache_file_name(cc), NULL, true, why, sizeof why);
        if (pr == PROBE_FAILED)
            failed = vm->disks[i].url;
        held += pr == PROBE_HELD;
    }
    if (failed == NULL)
        report_add(rep, "share access", true, VS_OK, "the file server lets %s modify %s/: its "
                   "definition and %zu disk%s open read-write%s", r->caller, folder, vm->ndisks,
                   vm->ndisks == 1 ? "" : "s", held ? " (those in use, as far as the ACL goes)" : "");
    else
        report_add(rep, "share access", false, VS_ERR_DENIED, "the file server does not let %s "
                   "modify %s: %s", r->caller, failed, why);
    krb_ccache_file_remove(cc);
    free(cifs);
}

/* Ask the destination for its half; its lines go into rep. */
static void
destination_lines(struct request_ctx *r, const char *xml, struct report *rep)
{
    const struct agent_config *c = r->s->cfg;
    struct agent_target t = { .host = r->to, .port = c->peer_port,
                              .confidential = c->confidentiality, .timeout_ms = 30000 };
    struct wire w;
    struct vs_writer req;
    struct vsm_message *reply;
    struct vs_error err;
    enum agent_open_stage stage;
    void *buf = NULL;
    bool as_host = r->accepted == NULL, opened;

    if (r->s->acc == NULL) {
        report_add(rep, "destination", false, VS_ERR_UNAVAILABLE, "%s runs with auth = local, so "
                   "it has no Kerberos identity to ask %s with: use auth = kerberos", r->agent->host,
                   r->to);
        return;
    }
    if (!as_host) {
        opened = agent_open(&w, &t, r->accepted, NULL, &stage, &err);
        if (opened)
            report_add(rep, "delegation", true, VS_OK, "%s acts for %s toward vsmigrate on %s "
                       "(constrained delegation)", r->agent->host, r->caller, r->to);
        else if (stage == AGENT_STAGE_CREDENTIALS) {
            report_add(rep, "delegation", false, VS_ERR_DENIED, "%s (the checks below were asked "
                       "as %s itself)", err.message, r->agent->host);
            as_host = true;
        } else {
            report_add(rep, "destination", false, err.code, "%s", err.message);
            return;
        }
    }
    if (as_host && !agent_open(&w, &t, NULL, r->s->acc, &stage, &err)) {
        report_add(rep, "destination", false, err.code, "%s", err.message);
        return;
    }
    reply = malloc(sizeof *reply);
    if (reply == NULL) {
        wire_close(&w);
        report_add(rep, "destination", false, VS_ERR_NOMEM, "out of memory");
        return;
    }
    agent_request_begin(&w, &req, "check-destination");
    vsm_message_add_text(&req, VSM_TAG_VM, r->vm);
    vsm_message_add_text(&req, VSM_TAG_FROM, r->agent->host);
    vsm_message_add_text(&req, VSM_TAG_TO, r->to);
    vsm_message_add_text(&req, VSM_TAG_ON_BEHALF_OF, r->caller);
    vsm_message_add_text(&req, VSM_TAG_DOMAIN_XML, xml);
    if (!agent_call(&w, &req, NULL, NULL, reply, &buf, c->request_timeout_ms, &err))
        report_add(rep, "destination", false, err.code, "%s", err.message);
    else if (!report_from_message(rep, reply, &err))
        report_add(rep, "destination", false, VS_ERR_PROTOCOL, "%s", err.message);
    else {
        uint64_t code = 0;
        char msg[1024] = "";
        vsm_message_u64(reply, VSM_TAG_RESULT, &code);
        vsm_message_text(reply, VSM_TAG_MESSAGE, msg, sizeof msg);
        if (code != 0 && vsm_record_count(reply, VSM_RECORD_CHECK) == 0)
            report_add(rep, "destination", false, (enum vs_errcode)code, "%s: %s", r->to, msg);
    }
    vs_writer_free(&req);
    free(buf);
    free(reply);
    wire_close(&w);
}

struct report *
preflight_report(struct request_ctx *r, char **xml_out)
{
    const struct agent_config *c = r->s->cfg;
    struct domxml_info vm;
    struct report *rep;
    struct vs_error err;
    char *xml = NULL, state[32];

    *xml_out = NULL;
    rep = calloc(1, sizeof *rep);
    if (rep == NULL)
        return NULL;
    if (!virt_domain_xml(c->libvirt_uri, r->vm, &xml, state, sizeof state, &err)) {
        report_add(rep, "vm", false, err.code, "%s: %s", r->agent->host, err.message);
    } else if (!domxml_parse(xml, strlen(xml), &vm, &err)) {
        report_add(rep, "vm", false, err.code, "%s", err.message);
    } else {
        report_add(rep, "vm", true, VS_OK, "%s is %s on %s (%llu MiB, %u vCPU, %zu disk%s)",
                   r->vm, state, r->agent->host, (unsigned long long)(vm.memory_bytes >> 20),
                   vm.vcpus, vm.ndisks, vm.ndisks == 1 ? "" : "s");
        if (c->outgoing)
            report_add(rep, "outgoing", true, VS_OK, "%s sends migrations", r->agent->host);
        else
            report_add(rep, "outgoing", false, VS_ERR_DENIED, "outgoing migrations are turned "
                       "off on %s: set outgoing = yes in [migration] of its vsmigrated.conf",
                       r->agent->host);
        /* deny by default: a host sends VMs only to hosts it names, and
         * talks to no other (not even to ask) */
        bool peer = agent_config_is_peer(c, r->to);
        if (peer)
            report_add(rep, "peer", true, VS_OK, "%s is one of %s's peers", r->to, r->agent->host);
        else
            report_add(rep, "peer", false, VS_ERR_DENIED, "%s is not one of %s's peers, so %s "
                       "did not contact it: add its FQDN to peers in [auth] of %s's "
                       "vsmigrated.conf and reload", r->to, r->agent->host, r->agent->host,
                       r->agent->host);
        char folder[1300];
        if (placement_check(&vm, r->vm, c->shares, c->nshares, folder, sizeof folder, &err)) {
            report_add(rep, "placement", true, VS_OK, "every disk of %s lies in its folder %s/",
                       vm.name, folder);
            share_access_line(r, &vm, folder, rep);
        } else {
            report_add(rep, "placement", false, err.code, "%s", err.message);
        }
        if (peer)
            destination_lines(r, xml, rep);
        domxml_free(&vm);
    }
    *xml_out = xml;
    return rep;
}

/* The request's VM, --to and --from; false after replying when one is
 * missing or this is not the source. */
bool
request_vm_route(struct request_ctx *r, const char *what)
{
    vsm_message_text(r->req, VSM_TAG_VM, r->vm, sizeof r->vm);
    vsm_message_text(r->req, VSM_TAG_TO, r->to, sizeof r->to);
    if (!vsm_message_text(r->req, VSM_TAG_FROM, r->from, sizeof r->from) || r->from[0] == '\0')
        snprintf(r->from, sizeof r->from, "%s", r->agent->host);
    if (r->vm[0] == '\0' || r->to[0] == '\0') {
        char msg[200];
        snprintf(msg, sizeof msg, "%s needs a VM and a destination (--to)", what);
        reply_error(r, VS_ERR_INVALID, msg);
        return false;
    }
    if (!vs_host_same(r->from, r->agent->host)) {
        char msg[700];
        snprintf(msg, sizeof msg, "this is %s; a %s runs on the source host: ask %s (--from)",
                 r->agent->host, what, r->from);
        reply_error(r, VS_ERR_INVALID, msg);
        return false;
    }
    return true;
}

static void
do_check(struct request_ctx *r)
{
    struct report *rep;
    char *xml;

    if (!request_vm_route(r, "check"))
        return;
    rep = preflight_report(r, &xml);
    free(xml);
    if (rep == NULL)
        reply_error(r, VS_ERR_NOMEM, "out of memory");
    else
        reply_report(r, rep);
}

/* ---- start and stop -------------------------------------------------------------------------- */

static void
do_start(struct request_ctx *r)
{
    const struct agent_config *c = r->s->cfg;
    struct domxml_info *vm = calloc(1, sizeof *vm);
    struct vs_error err;
    char folder[1300], msg[2400];
    char *xml;

    vsm_message_text(r->req, VSM_TAG_VM, r->vm, sizeof r->vm);
    snprintf(r->to, sizeof r->to, "%s", r->agent->host);
    if (vm == NULL) {
        reply_error(r, VS_ERR_NOMEM, "out of memory");
        return;
    }
    xml = definition_read(r, &err);
    if (xml == NULL ||
        !domxml_parse(xml, strlen(xml), vm, &err) ||
        !placement_check(vm, r->vm, c->shares, c->nshares, folder, sizeof folder, &err) ||
        !virt_define_and_start(c->libvirt_uri, r->vm, xml, &err)) {
        reply_error(r, err.code, err.message);
    } else {
        snprintf(msg, sizeof msg, "%s runs on %s (defined from %s/%s.xml)", r->vm, r->agent->host,
                 folder, r->vm);
        reply_error(r, VS_OK, msg);
    }
    free(xml);
    domxml_free(vm);
    free(vm);
}

static void
do_stop(struct request_ctx *r)
{
    struct vs_error err;

    vsm_message_text(r->req, VSM_TAG_VM, r->vm, sizeof r->vm);
    snprintf(r->from, sizeof r->from, "%s", r->agent->host);
    if (virt_turn_off(r->s->cfg->libvirt_uri, r->vm, &err))
        reply_error(r, VS_OK, NULL);
    else
        reply_error(r, err.code, err.message);
}

/* ---- move and cancel ------------------------------------------------------------------------ */

static void
do_cancel(struct request_ctx *r)
{
    char msg[1024];

    vsm_message_text(r->req, VSM_TAG_JOB, r->job, sizeof r->job);
    if (jobs_request_cancel(&r->agent->jobs, r->job)) {
        reply_error(r, VS_OK, NULL);
        return;
    }
    snprintf(msg, sizeof msg, "no job '%s' on %s ('vsmigrate status --host %s' lists the jobs)",
             r->job, r->agent->host, r->agent->host);
    reply_error(r, VS_ERR_NOTFOUND, msg);
}

/* The dispatch: the handler column of the one action table (actions.h). */
static void (*const handlers[VSM__ACTION_END])(struct request_ctx *) = {
#define VSM_ACTION_HANDLER(id, name, roles, cli, handler, help) [VSM_ACTION_##id] = handler,
    VSM_ACTIONS(VSM_ACTION_HANDLER)
#undef VSM_ACTION_HANDLER
};

void
request_handle(struct request_ctx *r, enum vsm_action action)
{
    if (action > VSM_ACTION_NONE && action < VSM__ACTION_END && handlers[action])
        handlers[action](r);
    else   /* authz refuses unknown actions first: reaching here is a bug */
        reply_error(r, VS_ERR_INTERNAL, "this agent allowed an action it cannot run: report it "
                    "as a bug");
}
