/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vsmigrate: the command line for admins, on a workstation or a host.
 *
 *   vsmigrate status [--host H]
 *   vsmigrate list [--host H]
 *   vsmigrate check VM --from A --to B
 *   vsmigrate move VM --from A --to B
 *   vsmigrate cancel JOB [--host H]
 *   vsmigrate start VM --on HOST
 *   vsmigrate stop VM [--host H]
 *   vsmigrate doctor [--peer H]... [--share //FS/SHARE] [--config FILE]
 *
 * With --host/--from the daemon is reached over TCP with the caller's
 * Kerberos tickets (kinit -f first); without, the local daemon's unix
 * socket. --json everywhere. vsmigrate(1) documents the exit codes. */
#include <config.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "hostagent/actions.h"
#include "hostagent/client.h"
#include "hostagent/drain.h"
#include "hostagent/agentcfg.h"
#include "hostagent/report.h"

struct options {
    const char *command, *arg, *host, *from, *to, *on, *spn, *socket;
    const char *config, *share;
    const char *peers[16];
    size_t npeers;
    int port;
    long long timeout_ms;
    int parallel;              /* move: multifd channels, 0 = one stream */
    long bandwidth;            /* move: MiB/s; 0 = the destination host's default */
    long max_downtime_ms;      /* move: 0 = the host's default */
    const char *blackout;      /* move: "cancel" or "continue"; NULL = the host's default */
    bool compress;
    bool on_shutdown;          /* drain: this host, as root, bounded by within_s */
    int within_s;
    bool json;
};

static void
usage(FILE *f)
{
    fprintf(f, "usage: vsmigrate COMMAND [ARGS] [OPTIONS]\n");
    for (int a = 1; a < VSM__ACTION_END; a++) {
        const struct vsm_action_info *i = vsm_action_info((enum vsm_action)a);
        char synopsis[64];
        if (i->cli == CLI_NONE)
            continue;
        snprintf(synopsis, sizeof synopsis, "%s%s", i->name,
                 i->cli == CLI_VM_MOVE ? " VM --from A --to B" :
                 i->cli == CLI_VM_ON ? " VM --on HOST" :
                 i->cli == CLI_VM_HOST ? " VM [--host H]" :
                 i->cli == CLI_JOB ? " JOB [--host H]" : " [--host H]");
        fprintf(f, "  %-30s %s\n", synopsis, i->help);
    }
    fprintf(f,
        "  doctor [--peer H]...           on a host, as root: every prerequisite of a move,\n"
        "                                 one line per check with its fix\n"
        "  drain HOST [--to H1,H2]        move every running VM off HOST, each to a peer that\n"
        "                                 passes its pre-flight, spread by free memory\n"
        "  drain --on-shutdown [--within SECONDS]\n"
        "                                 on a host, as root, as it shuts down: the same, bounded\n"
        "options:\n"
        "  --host H, --from A   the host to ask, over TCP with your Kerberos tickets (kinit -f);\n"
        "                       without them, the local daemon's unix socket\n"
        "  --to B               the destination host\n"
        "  --on H               start: the host to run the VM on\n"
        "  --parallel N         move: N multifd channels (each its own tunnel), 1 to 8\n"
        "  --bandwidth MIB      move: at most MIB MiB/s for the memory copy\n"
        "  --max-downtime MS    move: the downtime to aim for at the switch-over (milliseconds)\n"
        "  --blackout-policy P  move: cancel, or continue, when that downtime is not reached\n"
        "                       within converge_timeout ([migration] of the source's config)\n"
        "  --compress           move: compress the memory stream (XBZRLE; see vsmigrate(1))\n"
        "  --json               JSON on stdout instead of tables\n"
        "  --port N             the agents' port (default 6600)\n"
        "  --spn P              the host's service principal (default vsmigrate/HOST@REALM)\n"
        "  --socket PATH        the local daemon's socket (default /run/vsmigrate/vsmigrated.sock)\n"
        "  --timeout SECONDS    how long to wait for an answer (default 120)\n"
        "  --peer H             doctor: check toward H (default: every configured peer)\n"
        "  --share //FS/SHARE   doctor: the share to check (default: the local VMs' shares)\n"
        "  --config FILE        doctor: vsmigrated.conf (default " AGENT_DEFAULT_CONFIG ")\n"
        "exit status: 0 ok; 1 a check found problems, or the request failed; 2 usage;\n"
        "  3 authentication failed; 4 not allowed; 5 cannot reach a host or service;\n"
        "  6 no such VM or job; 7 busy; 8 timed out; 9 protocol error\n"
        "see vsmigrate(1)\n");
}

static int
fail(const struct options *o, enum vs_errcode code, const char *message)
{
    if (o->json)
        json_print_line(stdout, json_pack("{s:s,s:s}", "error", message, "code", vs_errcode_name(code)));
    fprintf(stderr, "vsmigrate: %s\n", message);
    return vs_exit_for(code);
}

static bool
open_connection(const struct options *o, const char *host, struct wire *w, struct vs_error *err)
{
    if (host == NULL)
        return agent_open_local(w, o->socket, err);
    struct agent_target t = { .host = host, .port = o->port, .spn = o->spn, .confidential = true,
                              .timeout_ms = 30000 };
    enum agent_open_stage stage;
    return agent_open(w, &t, NULL, NULL, &stage, err);
}

static int
show_status(const struct options *o, const struct vsm_message *m)
{
    json_t *top = json_object(), *jobs = json_array();
    struct vsm_record rec;
    size_t pos = 0;

    while (vsm_record_next(m, &pos, &rec)) {
        char name[128] = "", text[1024] = "", job[64] = "", vm[256] = "", to[256] = "";
        char phase[64] = "", user[512] = "";
        uint64_t progress = 0, place = 0, queue = VSM_QUEUE_RUNNING;

        if (rec.kind == VSM_RECORD_SETTING) {
            vsm_record_text(&rec, VSM_TAG_NAME, name, sizeof name);
            vsm_record_text(&rec, VSM_TAG_TEXT, text, sizeof text);
            if (o->json)
                json_object_set_new(top, name, json_string(text));
            else
                printf("%-18s %s\n", name, text);
        } else if (rec.kind == VSM_RECORD_JOB) {
            vsm_record_text(&rec, VSM_TAG_JOB, job, sizeof job);
            vsm_record_text(&rec, VSM_TAG_VM, vm, sizeof vm);
            vsm_record_text(&rec, VSM_TAG_TO, to, sizeof to);
            vsm_record_text(&rec, VSM_TAG_PHASE, phase, sizeof phase);
            vsm_record_text(&rec, VSM_TAG_ON_BEHALF_OF, user, sizeof user);
            vsm_record_u64(&rec, VSM_TAG_PROGRESS, &progress);
            vsm_record_u64(&rec, VSM_TAG_QUEUE_PLACE, &place);
            vsm_record_u64(&rec, VSM_TAG_QUEUE_STATE, &queue);
            if (o->json)
                json_array_append_new(jobs, json_pack("{s:s,s:s,s:s,s:s,s:f,s:s,s:I,s:s}", "job",
                                                      job, "vm", vm, "to", to, "phase", phase,
                                                      "progress", (double)progress / 10, "user", user,
                                                      "queue_place", (json_int_t)place,
                                                      "queue_state", vsm_queue_state_name(queue)));
            else if (place > 0)
                printf("%-18s %s %s to %s: waiting, place %llu in the queue%s (%s)\n", "job", job,
                       vm, to, (unsigned long long)place, queue == VSM_QUEUE_MENDING ?
                       ", held until the agent there has mended the VM (a disk export "
                       "started again, a resume)" : "", user);
            else
                printf("%-18s %s %s to %s: %s %.1f%%%s (%s)\n", "job", job, vm, to, phase,
                       (double)progress / 10, queue == VSM_QUEUE_CROSSED ?
                       ", let in over max_simultaneous (a crossing move)" : "", user);
        }
    }
    if (o->json) {
        json_object_set_new(top, "job_list", jobs);
        json_print_line(stdout, top);
    } else {
        json_decref(top);
        json_decref(jobs);
    }
    return VS_EXIT_OK;
}

static int
show_list(const struct options *o, const struct vsm_message *m, const char *host)
{
    json_t *vms = json_array();
    struct vsm_record rec;
    size_t pos = 0, n = 0;

    if (!o->json)
        printf("%-32s %-12s %10s %5s\n", "NAME", "STATE", "MEMORY", "VCPUS");
    while (vsm_record_next(m, &pos, &rec)) {
        char name[256] = "", state[32] = "";
        uint64_t mem = 0, cpus = 0;

        if (rec.kind != VSM_RECORD_VM)
            continue;
        vsm_record_text(&rec, VSM_TAG_NAME, name, sizeof name);
        vsm_record_text(&rec, VSM_TAG_STATE, state, sizeof state);
        vsm_record_u64(&rec, VSM_TAG_MEMORY_MIB, &mem);
        vsm_record_u64(&rec, VSM_TAG_VCPUS, &cpus);
        if (o->json)
            json_array_append_new(vms, json_pack("{s:s,s:s,s:I,s:I}", "name", name, "state", state,
                                                 "memory_mib", (json_int_t)mem, "vcpus", (json_int_t)cpus));
        else
            printf("%-32s %-12s %6llu MiB %5llu\n", name, state, (unsigned long long)mem,
                   (unsigned long long)cpus);
        n++;
    }
    if (o->json)
        json_print_line(stdout, json_pack("{s:s,s:o}", "host", host ? host : "local", "vms", vms));
    else {
        json_decref(vms);
        if (n == 0)
            printf("(no VMs)\n");
    }
    return VS_EXIT_OK;
}

static int
show_check(const struct options *o, const struct vsm_message *m)
{
    struct report *r = calloc(1, sizeof *r);
    struct vs_error err;
    char summary[512];
    int rc;

    if (r == NULL)
        return fail(o, VS_ERR_NOMEM, "out of memory");
    if (!report_from_message(r, m, &err)) {
        free(r);
        return fail(o, err.code, err.message);
    }
    report_summary(r, summary, sizeof summary);
    if (o->json) {
        json_t *checks = json_array();
        for (size_t i = 0; i < r->n; i++) {
            json_t *c = json_pack("{s:s,s:b,s:s}", "name", r->lines[i].name, "pass",
                                  r->lines[i].pass, "reason", r->lines[i].text);
            if (!r->lines[i].pass)
                json_object_set_new(c, "code", json_string(vs_errcode_name(r->lines[i].code)));
            if (r->lines[i].has_value)
                json_object_set_new(c, "value", json_integer((json_int_t)r->lines[i].value));
            json_array_append_new(checks, c);
        }
        json_print_line(stdout, json_pack("{s:s,s:s?,s:s,s:b,s:s,s:o}", "vm", o->arg, "from", o->from, "to",
                             o->to, "passed", report_failures(r) == 0, "summary", summary,
                             "checks", checks));
    } else {
        for (size_t i = 0; i < r->n; i++)
            printf("%-16s %s  %s\n", r->lines[i].name, r->lines[i].pass ? "pass" : "FAIL",
                   r->lines[i].text);
        printf("%s: %s\n", o->arg, summary);
    }
    rc = report_failures(r) ? VS_EXIT_FAILED : VS_EXIT_OK;
    free(r);
    return rc;
}

static int
show_networks(const struct options *o, const struct vsm_message *m)
{
    json_t *names = json_array();
    struct vsm_record rec;
    size_t pos = 0;

    while (vsm_record_next(m, &pos, &rec)) {
        char name[256] = "";
        if (rec.kind != VSM_RECORD_NETWORK)
            continue;
        vsm_record_text(&rec, VSM_TAG_NAME, name, sizeof name);
        if (o->json)
            json_array_append_new(names, json_string(name));
        else
            printf("%s\n", name);
    }
    if (o->json)
        json_print_line(stdout, json_pack("{s:o}", "networks", names));
    else
        json_decref(names);
    return VS_EXIT_OK;
}

/* What a move's events leave for the end: its job, once told. */
struct event_state {
    const struct options *o;
    bool tty;
    bool job_told;
    bool bar_shown;
    uint64_t place_told;   /* the queue place last shown */
    uint64_t queue_told;   /* and why it waited (enum vsm_queue_state) */
};

static void
human_mib(uint64_t bytes, char *buf, size_t len)
{
    snprintf(buf, len, "%.1f MiB", (double)bytes / 1048576.0);
}

/* A move's progress: a bar on a terminal, a JSON line with --json. */
static void
show_event(const struct vsm_message *ev, void *opaque)
{
    struct event_state *es = opaque;
    const struct options *o = es->o;
    char phase[64] = "", job[64] = "", done[32], total_text[32], rate_text[32];
    uint64_t progress = 0, bytes = 0, total = 0, remaining = 0, rate = 0, iterations = 0;
    uint64_t elapsed = 0, place = 0, queue = VSM_QUEUE_WAITING;

    vsm_message_u64(ev, VSM_TAG_QUEUE_PLACE, &place);
    vsm_message_u64(ev, VSM_TAG_QUEUE_STATE, &queue);
    vsm_message_text(ev, VSM_TAG_PHASE, phase, sizeof phase);
    vsm_message_text(ev, VSM_TAG_JOB, job, sizeof job);
    vsm_message_u64(ev, VSM_TAG_PROGRESS, &progress);
    vsm_message_u64(ev, VSM_TAG_BYTES, &bytes);
    vsm_message_u64(ev, VSM_TAG_TOTAL_BYTES, &total);
    vsm_message_u64(ev, VSM_TAG_REMAINING, &remaining);
    vsm_message_u64(ev, VSM_TAG_RATE, &rate);
    vsm_message_u64(ev, VSM_TAG_ITERATIONS, &iterations);
    vsm_message_u64(ev, VSM_TAG_ELAPSED_MS, &elapsed);
    if (o->json) {
        json_t *j = json_pack("{s:s,s:s,s:s,s:f,s:I,s:I,s:I,s:I,s:I,s:I}", "event",
                              "progress", "job", job, "phase", phase, "progress",
                              (double)progress / 10, "bytes", (json_int_t)bytes,
                              "total_bytes", (json_int_t)total, "remaining",
                              (json_int_t)remaining, "rate", (json_int_t)rate,
                              "iterations", (json_int_t)iterations, "elapsed_ms",
                              (json_int_t)elapsed);
        if (place > 0) {
            json_object_set_new(j, "queue_place", json_integer((json_int_t)place));
            json_object_set_new(j, "queue_state", json_string(vsm_queue_state_name(queue)));
        }
        json_print_line(stdout, j);
        fflush(stdout);
        return;
    }
    if (place > 0) {   /* waiting for a slot: a line per change of place, terminal or not */
        if (place != es->place_told || queue != es->queue_told) {
            if (queue == VSM_QUEUE_MENDING)
                fprintf(stderr, "%s%s: waiting until the agent on %s has mended the VM (a disk "
                        "export started again, a resume), place %llu in the queue\n",
                        es->bar_shown ? "\n" : "", job, o->from ? o->from : "the source",
                        (unsigned long long)place);
            else
                fprintf(stderr, "%s%s: waiting for a migration slot on %s, place %llu in the "
                        "queue\n", es->bar_shown ? "\n" : "", job,
                        o->from ? o->from : "the source", (unsigned long long)place);
            es->place_told = place;
            es->queue_told = queue;
            es->bar_shown = false;
        }
        return;
    }
    if (!es->job_told && job[0]) {
        fprintf(stderr, "job %s (vsmigrate cancel %s --host %s stops it)\n", job, job,
                o->from ? o->from : "<source>");
        es->job_told = true;
    }
    if (!es->tty)
        return;
    char bar[31];
    size_t fill = (size_t)(progress * 30 / 1000);
    for (size_t i = 0; i < 30; i++)
        bar[i] = i < fill ? '#' : '-';
    bar[30] = '\0';
    human_mib(bytes, done, sizeof done);
    human_mib(total, total_text, sizeof total_text);
    human_mib(rate, rate_text, sizeof rate_text);
    char eta[32] = "--";
    if (rate > 0 && remaining > 0)
        snprintf(eta, sizeof eta, "%llus", (unsigned long long)(remaining / rate + 1));
    fprintf(stderr, "\r[%s] %-11s %5.1f%%  %s of %s  %s/s  pass %llu  ETA %s   ", bar, phase,
            (double)progress / 10, done, total_text, rate_text, (unsigned long long)iterations, eta);
    es->bar_shown = true;
}

/* The end of a move: its figures. */
static int
show_move(const struct options *o, const struct vsm_message *m, const char *message)
{
    char job[64] = "";
    uint64_t down = 0, lv = 0, handoff = 0, total = 0, bytes = 0, iterations = 0, migration = 0;
    uint64_t saved = 0, queued = 0;
    char saved_error[1024] = "", network[160] = "";
    bool have_down = vsm_message_u64(m, VSM_TAG_DOWNTIME_MS, &down);
    bool have_lv = vsm_message_u64(m, VSM_TAG_LIBVIRT_DOWNTIME_MS, &lv);

    vsm_message_text(m, VSM_TAG_JOB, job, sizeof job);
    vsm_message_u64(m, VSM_TAG_HANDOFF_MS, &handoff);
    vsm_message_u64(m, VSM_TAG_ELAPSED_MS, &total);
    vsm_message_u64(m, VSM_TAG_MIGRATION_MS, &migration);
    vsm_message_u64(m, VSM_TAG_BYTES, &bytes);
    vsm_message_u64(m, VSM_TAG_ITERATIONS, &iterations);
    vsm_message_u64(m, VSM_TAG_DEFINITION_SAVED, &saved);
    vsm_message_u64(m, VSM_TAG_QUEUED_MS, &queued);
    vsm_message_text(m, VSM_TAG_NETWORK, network, sizeof network);
    vsm_message_text(m, VSM_TAG_DEFINITION_ERROR, saved_error, sizeof saved_error);
    if (o->json) {
        json_t *j = json_pack("{s:b,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:s}", "ok", 1, "job", job, "vm",
                              o->arg, "from", o->from ? o->from : "local", "to", o->to,
                              "handoff_ms", (json_int_t)handoff, "total_ms", (json_int_t)total,
                              "migration_ms", (json_int_t)migration,
                              "bytes", (json_int_t)bytes, "iterations", (json_int_t)iterations,
                              "message", message);
        if (have_down)
            json_object_set_new(j, "downtime_ms", json_integer((json_int_t)down));
        if (have_lv)
            json_object_set_new(j, "libvirt_downtime_ms", json_integer((json_int_t)lv));
        json_object_set_new(j, "definition_saved", json_boolean(saved != 0));
        json_object_set_new(j, "queued_ms", json_integer((json_int_t)queued));
        if (network[0])
            json_object_set_new(j, "network", json_string(network));
        if (saved_error[0])
            json_object_set_new(j, "definition_error", json_string(saved_error));
        json_print_line(stdout, j);
    } else {
        printf("move: %s\n", message);
        if (network[0])
            printf("move: over the migration network %s\n", network);
    }
    return VS_EXIT_OK;
}

static int
run(const struct options *o, enum vsm_action action)
{
    const struct vsm_action_info *info = vsm_action_info(action);
    const char *host = info->cli == CLI_VM_MOVE ? o->from : info->cli == CLI_VM_ON ? o->on : o->host;
    struct wire w;
    struct vs_writer req;
    struct vsm_message *reply = malloc(sizeof *reply);
    struct vs_error err;
    void *buf = NULL;
    uint64_t result = 0;
    char message[2100] = "";
    int rc;

    if (reply == NULL)
        return fail(o, VS_ERR_NOMEM, "out of memory");
    if (!open_connection(o, host, &w, &err)) {
        free(reply);
        return fail(o, err.code, err.message);
    }
    agent_request_begin(&w, &req, info->name);
    if (info->cli == CLI_VM_MOVE) {
        vsm_message_add_text(&req, VSM_TAG_VM, o->arg);
        if (o->from)
            vsm_message_add_text(&req, VSM_TAG_FROM, o->from);
        vsm_message_add_text(&req, VSM_TAG_TO, o->to);
        if (o->parallel && action == VSM_ACTION_MOVE)
            vsm_message_add_u64(&req, VSM_TAG_PARALLEL, (uint64_t)o->parallel);
        if (o->bandwidth && action == VSM_ACTION_MOVE)
            vsm_message_add_u64(&req, VSM_TAG_BANDWIDTH, (uint64_t)o->bandwidth);
        if (o->max_downtime_ms && action == VSM_ACTION_MOVE)
            vsm_message_add_u64(&req, VSM_TAG_MAX_DOWNTIME_MS, (uint64_t)o->max_downtime_ms);
        if (o->blackout && action == VSM_ACTION_MOVE)
            vsm_message_add_text(&req, VSM_TAG_BLACKOUT_POLICY, o->blackout);
        if (o->compress && action == VSM_ACTION_MOVE)
            vsm_message_add_u64(&req, VSM_TAG_COMPRESS, 1);
    } else if (info->cli == CLI_JOB) {
        vsm_message_add_text(&req, VSM_TAG_JOB, o->arg);
    } else if (info->cli == CLI_VM_ON || info->cli == CLI_VM_HOST) {
        vsm_message_add_text(&req, VSM_TAG_VM, o->arg);
    }
    struct event_state es = { .o = o, .tty = isatty(STDERR_FILENO) == 1 };
    if (!agent_call(&w, &req, show_event, &es, reply, &buf, o->timeout_ms, &err)) {
        if (es.bar_shown)
            fputc('\n', stderr);
        vs_writer_free(&req);
        wire_close(&w);
        free(reply);
        return fail(o, err.code, err.message);
    }
    if (es.bar_shown)
        fputc('\n', stderr);
    vs_writer_free(&req);
    vsm_message_u64(reply, VSM_TAG_RESULT, &result);
    vsm_message_text(reply, VSM_TAG_MESSAGE, message, sizeof message);
    if ((action == VSM_ACTION_CHECK || action == VSM_ACTION_MOVE) &&
        vsm_record_count(reply, VSM_RECORD_CHECK) > 0) {
        rc = show_check(o, reply);   /* a move stopped at its pre-flight shows why */
        if (action == VSM_ACTION_MOVE && rc == VS_EXIT_OK)
            rc = fail(o, (enum vs_errcode)result, message);
    } else if (action == VSM_ACTION_MOVE && result == 0)
        rc = show_move(o, reply, message);
    else if (result != 0)
        rc = fail(o, (enum vs_errcode)result, message[0] ? message : "the request failed");
    else if (action == VSM_ACTION_STATUS)
        rc = show_status(o, reply);
    else if (action == VSM_ACTION_LIST)
        rc = show_list(o, reply, host);
    else if (action == VSM_ACTION_NETWORKS)
        rc = show_networks(o, reply);
    else {
        if (o->json)
            json_print_line(stdout, json_pack("{s:b,s:s?}", "ok", 1, "message",
                                              message[0] ? message : NULL));
        else
            printf("%s: %s\n", info->name, message[0] ? message : "done");
        rc = VS_EXIT_OK;
    }
    free(buf);
    free(reply);
    wire_close(&w);
    return rc;
}

/* `vsmigrate doctor` is vsmigrate-doctor, a host program: the one beside this
 * binary (a build tree, or the same prefix), else the installed one. */
static int
run_doctor(const struct options *o)
{
    char self[4096], path[4200];
    const char *argv[48];
    int n = 0;
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);

    path[0] = '\0';
    if (len > 0) {
        self[len] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            snprintf(path, sizeof path, "%s/vsmigrate-doctor", self);
        }
    }
    if (path[0] == '\0' || access(path, X_OK) != 0)
        snprintf(path, sizeof path, "%s/vsmigrate-doctor", SBINDIR);
    argv[n++] = "vsmigrate-doctor";
    argv[n++] = "--config";
    argv[n++] = o->config;
    for (size_t i = 0; i < o->npeers; i++) {
        argv[n++] = "--peer";
        argv[n++] = o->peers[i];
    }
    if (o->share) {
        argv[n++] = "--share";
        argv[n++] = o->share;
    }
    if (o->json)
        argv[n++] = "--json";
    argv[n] = NULL;
    fflush(stdout);
    execv(path, (char *const *)argv);
    fprintf(stderr, "vsmigrate: cannot run %s: %m (doctor runs on a host where vsmigrated is "
            "installed; make install puts it in %s)\n", path, SBINDIR);
    return VS_EXIT_FAILED;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "host", required_argument, NULL, 'H' }, { "from", required_argument, NULL, 'F' },
        { "to", required_argument, NULL, 'T' }, { "json", no_argument, NULL, 'j' },
        { "on", required_argument, NULL, 'O' },
        { "port", required_argument, NULL, 'p' }, { "spn", required_argument, NULL, 's' },
        { "socket", required_argument, NULL, 'S' }, { "timeout", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },
        { "peer", required_argument, NULL, 'P' }, { "share", required_argument, NULL, 'D' },
        { "config", required_argument, NULL, 'C' }, { "parallel", required_argument, NULL, 'N' },
        { "bandwidth", required_argument, NULL, 'B' }, { "max-downtime", required_argument, NULL, 'M' },
        { "blackout-policy", required_argument, NULL, 'X' }, { "compress", no_argument, NULL, 'Z' },
        { "on-shutdown", no_argument, NULL, 'U' }, { "within", required_argument, NULL, 'W' },
        { NULL, 0, NULL, 0 },
    };
    struct options o = { .port = AGENT_DEFAULT_PORT, .timeout_ms = 120000,
                         .socket = "/run/vsmigrate/vsmigrated.sock",
                         .config = AGENT_DEFAULT_CONFIG };
    int c;

    while ((c = getopt_long(argc, argv, "H:F:T:jp:s:S:t:hV", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'H': o.host = optarg; break;
        case 'F': o.from = optarg; break;
        case 'T': o.to = optarg; break;
        case 'O': o.on = optarg; break;
        case 'j': o.json = true; break;
        case 'p':
            o.port = (int)strtol(optarg, &end, 10);
            if (*end || o.port < 1 || o.port > 65535) {
                fprintf(stderr, "vsmigrate: --port takes a number from 1 to 65535\n");
                return VS_EXIT_USAGE;
            }
            break;
        case 's': o.spn = optarg; break;
        case 'S': o.socket = optarg; break;
        case 't':
            o.timeout_ms = strtol(optarg, &end, 10) * 1000;
            if (*end || o.timeout_ms <= 0) {
                fprintf(stderr, "vsmigrate: --timeout takes a number of seconds\n");
                return VS_EXIT_USAGE;
            }
            break;
        case 'P':
            if (o.npeers == sizeof o.peers / sizeof o.peers[0]) {
                fprintf(stderr, "vsmigrate: at most 16 --peer options\n");
                return VS_EXIT_USAGE;
            }
            o.peers[o.npeers++] = optarg;
            break;
        case 'N':
            o.parallel = (int)strtol(optarg, &end, 10);
            if (*end || o.parallel < 1 || o.parallel > VSM_PARALLEL_MAX) {
                fprintf(stderr, "vsmigrate: --parallel takes a number of channels from 1 to %d\n",
                        VSM_PARALLEL_MAX);
                return VS_EXIT_USAGE;
            }
            break;
        case 'B':
            o.bandwidth = strtol(optarg, &end, 10);
            if (*end || o.bandwidth < 1 || o.bandwidth > 1000000) {
                fprintf(stderr, "vsmigrate: --bandwidth takes MiB/s, from 1 to 1000000\n");
                return VS_EXIT_USAGE;
            }
            break;
        case 'M':
            o.max_downtime_ms = strtol(optarg, &end, 10);
            if (*end || o.max_downtime_ms < 1 || o.max_downtime_ms > 60000) {
                fprintf(stderr, "vsmigrate: --max-downtime takes milliseconds, from 1 to 60000\n");
                return VS_EXIT_USAGE;
            }
            break;
        case 'X':
            if (strcmp(optarg, "cancel") != 0 && strcmp(optarg, "continue") != 0) {
                fprintf(stderr, "vsmigrate: --blackout-policy is cancel or continue\n");
                return VS_EXIT_USAGE;
            }
            o.blackout = optarg;
            break;
        case 'Z': o.compress = true; break;
        case 'U': o.on_shutdown = true; break;
        case 'W':
            o.within_s = (int)strtol(optarg, &end, 10);
            if (*end || o.within_s < 1 || o.within_s > 86400) {
                fprintf(stderr, "vsmigrate: --within takes seconds, from 1 to 86400\n");
                return VS_EXIT_USAGE;
            }
            break;
        case 'D': o.share = optarg; break;
        case 'C': o.config = optarg; break;
        case 'h': usage(stdout); return VS_EXIT_OK;
        case 'V': printf("vsmigrate %s\n", PACKAGE_VERSION); return VS_EXIT_OK;
        default: usage(stderr); return VS_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return VS_EXIT_USAGE;
    }
    o.command = argv[optind++];
    if (strcmp(o.command, "doctor") == 0) {
        if (optind != argc) {
            fprintf(stderr, "vsmigrate: unexpected argument '%s'\n", argv[optind]);
            return VS_EXIT_USAGE;
        }
        return run_doctor(&o);
    }
    if (o.npeers || o.share) {
        fprintf(stderr, "vsmigrate: --peer and --share are for doctor\n");
        return VS_EXIT_USAGE;
    }
    if (strcmp(o.command, "drain") == 0) {
        struct drain_options d = { .to = o.to, .within_s = o.within_s, .json = o.json };
        if (o.on_shutdown == (optind < argc) || optind + 1 < argc) {
            fprintf(stderr, "vsmigrate: drain takes a HOST to drain, or --on-shutdown on the host "
                    "itself\n");
            return VS_EXIT_USAGE;
        }
        if (o.within_s && !o.on_shutdown) {
            fprintf(stderr, "vsmigrate: --within goes with drain --on-shutdown\n");
            return VS_EXIT_USAGE;
        }
        d.host = o.on_shutdown ? NULL : argv[optind];
        if (o.on_shutdown && d.within_s == 0)
            d.within_s = 600;
        return drain_run(&d);
    }
    if (o.on_shutdown || o.within_s) {
        fprintf(stderr, "vsmigrate: --on-shutdown and --within are for drain\n");
        return VS_EXIT_USAGE;
    }
    struct vs_error err;
    enum vsm_action action = vsm_action_lookup(o.command, &err);
    const struct vsm_action_info *info = vsm_action_info(action);
    if (info == NULL || info->cli == CLI_NONE) {
        char known[256] = "";
        size_t used = 0;
        for (int a = 1; a < VSM__ACTION_END && used < sizeof known; a++) {
            const struct vsm_action_info *i = vsm_action_info((enum vsm_action)a);
            if (i->cli != CLI_NONE) {
                int n = snprintf(known + used, sizeof known - used, "%s, ", i->name);
                used += n > 0 ? (size_t)n : 0;
            }
        }
        fprintf(stderr, "vsmigrate: unknown command '%s' (%sdoctor; see vsmigrate --help)\n",
                o.command, known);
        return VS_EXIT_USAGE;
    }
    if (info->cli == CLI_VM_MOVE || info->cli == CLI_JOB || info->cli == CLI_VM_ON ||
        info->cli == CLI_VM_HOST) {
        if (optind >= argc) {
            fprintf(stderr, "vsmigrate: %s needs %s\n", o.command,
                    info->cli == CLI_JOB ? "a job id" : "a VM name");
            return VS_EXIT_USAGE;
        }
        o.arg = argv[optind++];
    }
    if (optind != argc) {
        fprintf(stderr, "vsmigrate: unexpected argument '%s'\n", argv[optind]);
        return VS_EXIT_USAGE;
    }
    if (info->cli == CLI_VM_MOVE && o.to == NULL) {
        fprintf(stderr, "vsmigrate: %s needs --to HOST (and --from HOST unless run on the "
                "source host)\n", o.command);
        return VS_EXIT_USAGE;
    }
    if (info->cli == CLI_VM_MOVE && o.host) {
        fprintf(stderr, "vsmigrate: %s takes --from, not --host\n", o.command);
        return VS_EXIT_USAGE;
    }
    if (info->cli != CLI_VM_MOVE && (o.from || o.to)) {
        fprintf(stderr, "vsmigrate: %s takes %s, not --from or --to\n", o.command,
                info->cli == CLI_VM_ON ? "--on" : "--host");
        return VS_EXIT_USAGE;
    }
    if ((info->cli == CLI_VM_ON) != (o.on != NULL) || (info->cli == CLI_VM_ON && o.host)) {
        fprintf(stderr, "vsmigrate: %s\n", info->cli == CLI_VM_ON
                ? "start needs --on HOST, the host to run the VM on (not --host)"
                : "--on is for start; this command takes --host");
        return VS_EXIT_USAGE;
    }
    return run(&o, action);
}
