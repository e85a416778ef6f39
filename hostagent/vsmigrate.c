/* vsmigrate: the command line for admins, on a workstation or a host.
 *
 *   vsmigrate status [--host H]
 *   vsmigrate list [--host H]
 *   vsmigrate check VM --from A --to B
 *   vsmigrate move VM --from A --to B
 *   vsmigrate cancel JOB [--host H]
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

#include "common/json.h"
#include "hostagent/client.h"
#include "hostagent/doctor.h"
#include "hostagent/agentcfg.h"
#include "hostagent/report.h"

struct options {
    const char *command, *arg, *host, *from, *to, *spn, *socket;
    const char *config, *share;
    const char *peers[16];
    size_t npeers;
    int port;
    long long timeout_ms;
    bool json;
};

static void
usage(FILE *f)
{
    fprintf(f,
        "usage: vsmigrate COMMAND [ARGS] [OPTIONS]\n"
        "  status [--host H]              the host's settings and jobs\n"
        "  list [--host H]                the VMs on the host\n"
        "  check VM --from A --to B       would VM move from A to B? one line per check\n"
        "  move VM --from A --to B        live-migrate VM from A to B\n"
        "  cancel JOB [--host H]          cancel a running move\n"
        "  doctor [--peer H]...           on a host, as root: every prerequisite of a move,\n"
        "                                 one line per check with its fix\n"
        "options:\n"
        "  --host H, --from A   the host to ask, over TCP with your Kerberos tickets (kinit -f);\n"
        "                       without them, the local daemon's unix socket\n"
        "  --to B               the destination host\n"
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
    if (o->json) {
        printf("{\"error\":");
        json_write_string(stdout, message);
        printf(",\"code\":\"%s\"}\n", vs_errcode_name(code));
    }
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
    char name[128], value[2048];
    bool first = true;

    if (!o->json) {
        for (size_t i = 0; i < m->n; i++)
            if (vsm_item_split(&m->fields[i], name, sizeof name, value, sizeof value))
                printf("%-18s %s\n", name, value);
        return VS_EXIT_OK;
    }
    printf("{");
    for (size_t i = 0; i < m->n; i++) {
        if (!vsm_item_split(&m->fields[i], name, sizeof name, value, sizeof value) || strcmp(name, "job") == 0)
            continue;
        printf("%s", first ? "" : ",");
        first = false;
        json_write_string(stdout, name);
        putchar(':');
        json_write_string(stdout, value);
    }
    printf(",\"job_list\":[");
    first = true;
    for (size_t i = 0; i < m->n; i++) {
        if (!vsm_item_split(&m->fields[i], name, sizeof name, value, sizeof value) || strcmp(name, "job") != 0)
            continue;
        printf("%s", first ? "" : ",");
        first = false;
        json_write_string(stdout, value);
    }
    printf("]}\n");
    return VS_EXIT_OK;
}

/* "state=running memory_mib=256 vcpus=1" */
static void
kv(const char *text, const char *key, char *out, size_t len)
{
    char pat[64];
    const char *p;
    snprintf(pat, sizeof pat, "%s=", key);
    out[0] = '\0';
    for (p = strstr(text, pat); p && p != text && p[-1] != ' '; p = strstr(p + 1, pat))
        ;
    if (p)
        snprintf(out, len, "%.*s", (int)strcspn(p + strlen(pat), " "), p + strlen(pat));
}

static int
show_list(const struct options *o, const struct vsm_message *m, const char *host)
{
    char name[128], value[2048], state[32], mem[32], cpus[16];
    size_t n = 0;

    if (o->json) {
        printf("{\"host\":");
        json_write_string(stdout, host ? host : "local");
        printf(",\"vms\":[");
    } else {
        printf("%-32s %-12s %10s %5s\n", "NAME", "STATE", "MEMORY", "VCPUS");
    }
    for (size_t i = 0; i < m->n; i++) {
        if (!vsm_item_split(&m->fields[i], name, sizeof name, value, sizeof value))
            continue;
        kv(value, "state", state, sizeof state);
        kv(value, "memory_mib", mem, sizeof mem);
        kv(value, "vcpus", cpus, sizeof cpus);
        if (o->json) {
            printf("%s{\"name\":", n ? "," : "");
            json_write_string(stdout, name);
            printf(",\"state\":");
            json_write_string(stdout, state);
            /* numbers as numbers: whatever the host sent, only digits reach the JSON */
            printf(",\"memory_mib\":%llu,\"vcpus\":%llu}", strtoull(mem, NULL, 10),
                   strtoull(cpus, NULL, 10));
        } else {
            printf("%-32s %-12s %6s MiB %5s\n", name, state, mem, cpus);
        }
        n++;
    }
    if (o->json)
        printf("]}\n");
    else if (n == 0)
        printf("(no VMs)\n");
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
        printf("{\"vm\":");
        json_write_string(stdout, o->arg);
        printf(",\"from\":");
        json_write_string(stdout, o->from);
        printf(",\"to\":");
        json_write_string(stdout, o->to);
        printf(",\"passed\":%s,\"summary\":", report_failures(r) ? "false" : "true");
        json_write_string(stdout, summary);
        printf(",\"checks\":[");
        for (size_t i = 0; i < r->n; i++) {
            printf("%s{\"name\":", i ? "," : "");
            json_write_string(stdout, r->lines[i].name);
            printf(",\"pass\":%s,\"reason\":", r->lines[i].pass ? "true" : "false");
            json_write_string(stdout, r->lines[i].text);
            printf("}");
        }
        printf("]}\n");
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

static void
show_event(const struct vsm_message *ev, void *opaque)
{
    const struct options *o = opaque;
    char phase[64] = "";
    uint64_t progress = 0;

    vsm_message_text(ev, VSM_TAG_PHASE, phase, sizeof phase);
    vsm_message_u64(ev, VSM_TAG_PROGRESS, &progress);
    if (o->json) {
        printf("{\"event\":\"progress\",\"phase\":");
        json_write_string(stdout, phase);
        printf(",\"progress\":%.1f}\n", (double)progress / 10);
        fflush(stdout);
    } else {
        fprintf(stderr, "\r%-12s %5.1f%%", phase, (double)progress / 10);
    }
}

static int
run(const struct options *o)
{
    const char *host = o->host;
    const char *action = o->command;
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
    if (strcmp(action, "check") == 0 || strcmp(action, "move") == 0)
        host = o->from;
    if (!open_connection(o, host, &w, &err)) {
        free(reply);
        return fail(o, err.code, err.message);
    }
    agent_request_begin(&w, &req, action);
    if (strcmp(action, "check") == 0 || strcmp(action, "move") == 0) {
        vsm_message_add_text(&req, VSM_TAG_VM, o->arg);
        if (o->from)
            vsm_message_add_text(&req, VSM_TAG_FROM, o->from);
        vsm_message_add_text(&req, VSM_TAG_TO, o->to);
    } else if (strcmp(action, "cancel") == 0) {
        vsm_message_add_text(&req, VSM_TAG_JOB, o->arg);
    }
    if (!agent_call(&w, &req, show_event, (void *)o, reply, &buf, o->timeout_ms, &err)) {
        vs_writer_free(&req);
        wire_close(&w);
        free(reply);
        return fail(o, err.code, err.message);
    }
    vs_writer_free(&req);
    vsm_message_u64(reply, VSM_TAG_RESULT, &result);
    vsm_message_text(reply, VSM_TAG_MESSAGE, message, sizeof message);
    bool has_items = false;
    for (size_t i = 0; i < reply->n; i++)
        has_items |= reply->fields[i].tag == VSM_TAG_ITEM;
    if (strcmp(action, "check") == 0 && has_items)
        rc = show_check(o, reply);
    else if (result != 0)
        rc = fail(o, (enum vs_errcode)result, message[0] ? message : "the request failed");
    else if (strcmp(action, "status") == 0)
        rc = show_status(o, reply);
    else if (strcmp(action, "list") == 0)
        rc = show_list(o, reply, host);
    else {
        if (o->json)
            printf("{\"ok\":true}\n");
        else
            printf("%s: done\n", action);
        rc = VS_EXIT_OK;
    }
    free(buf);
    free(reply);
    wire_close(&w);
    return rc;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "host", required_argument, NULL, 'H' }, { "from", required_argument, NULL, 'F' },
        { "to", required_argument, NULL, 'T' }, { "json", no_argument, NULL, 'j' },
        { "port", required_argument, NULL, 'p' }, { "spn", required_argument, NULL, 's' },
        { "socket", required_argument, NULL, 'S' }, { "timeout", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },
        { "peer", required_argument, NULL, 'P' }, { "share", required_argument, NULL, 'D' },
        { "config", required_argument, NULL, 'C' },
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
        struct doctor_options d = { .config = o.config, .peers = o.peers, .npeers = o.npeers,
                                    .share = o.share, .json = o.json };
        if (optind != argc) {
            fprintf(stderr, "vsmigrate: unexpected argument '%s'\n", argv[optind]);
            return VS_EXIT_USAGE;
        }
        return doctor_run(&d);
    }
    if (o.npeers || o.share) {
        fprintf(stderr, "vsmigrate: --peer and --share are for doctor\n");
        return VS_EXIT_USAGE;
    }
    bool needs_arg = strcmp(o.command, "check") == 0 || strcmp(o.command, "move") == 0 ||
                     strcmp(o.command, "cancel") == 0;
    bool known = needs_arg || strcmp(o.command, "status") == 0 || strcmp(o.command, "list") == 0;
    if (!known) {
        fprintf(stderr, "vsmigrate: unknown command '%s' (status, list, check, move, cancel, doctor; "
                "see vsmigrate --help)\n", o.command);
        return VS_EXIT_USAGE;
    }
    if (needs_arg) {
        if (optind >= argc) {
            fprintf(stderr, "vsmigrate: %s needs %s\n", o.command,
                    strcmp(o.command, "cancel") == 0 ? "a job id" : "a VM name");
            return VS_EXIT_USAGE;
        }
        o.arg = argv[optind++];
    }
    if (optind != argc) {
        fprintf(stderr, "vsmigrate: unexpected argument '%s'\n", argv[optind]);
        return VS_EXIT_USAGE;
    }
    if ((strcmp(o.command, "check") == 0 || strcmp(o.command, "move") == 0) && o.to == NULL) {
        fprintf(stderr, "vsmigrate: %s needs --to HOST (and --from HOST unless run on the "
                "source host)\n", o.command);
        return VS_EXIT_USAGE;
    }
    if (o.host && (strcmp(o.command, "check") == 0 || strcmp(o.command, "move") == 0)) {
        fprintf(stderr, "vsmigrate: %s takes --from, not --host\n", o.command);
        return VS_EXIT_USAGE;
    }
    return run(&o);
}
