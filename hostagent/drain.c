/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/drain.c: `vsmigrate drain`, every running VM off one host.
 *
 *   vsmigrate drain HOST [--to H1,H2...] [--json]      as an admin, from anywhere
 *   vsmigrate drain --on-shutdown [--within SECONDS]   on the host, as root
 *
 * A drain is the CLI driving itself: it runs `vsmigrate list`, `check` and
 * `move` as child processes with --json and reads their JSON, so each step
 * is the same request, with the same authorisation and audit, as an admin's
 * own. It
 *   1. lists the VMs running on HOST;
 *   2. asks the pre-flight of each toward each peer (--to, else HOST's
 *      configured peers) and keeps the peers that pass, with the free
 *      memory each reports (the memory check's typed value);
 *   3. gives the largest VM first to the passing peer with the most memory
 *      left after what it has been given already;
 *   4. starts every move at once: each host's own limit (max_simultaneous)
 *      and queue keep it within bounds, first come first served;
 *   5. reports per VM, and exits 1 if any VM stayed.
 * With --on-shutdown, moves still running when --within runs out are
 * cancelled (the VM stays, and is reported): a host going down waits no
 * longer than its unit allows. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/error.h"
#include "common/json.h"
#include "hostagent/drain.h"
#include "hostagent/wire.h"

#define DRAIN_VMS_MAX 64
#define DRAIN_PEERS_MAX 16
#define CHILD_OUTPUT_MAX (1024 * 1024)

struct drain_vm {
    char name[256];
    unsigned long long memory_mib;
    int peer;                         /* chosen peer, -1: none passed */
    char why[1024];                   /* why it stays */
    /* its move */
    pid_t pid;
    int fd;
    char *out;
    size_t outlen;
    char job[64];
    int status;
    bool done, cancelled;
};

struct drain {
    const struct drain_options *o;
    char self[4096];
    char peers[DRAIN_PEERS_MAX][256];
    unsigned long long free_mib[DRAIN_PEERS_MAX];
    size_t npeers;
    struct drain_vm vms[DRAIN_VMS_MAX];
    size_t nvms;
};


/* argv[0] of a child: this very program */
static pid_t
spawn(const struct drain *d, char *const argv[], int *fd)
{
    int p[2];
    pid_t pid;

    if (pipe2(p, O_CLOEXEC) != 0)
        return -1;
    pid = fork();
    if (pid == 0) {
        dup2(p[1], STDOUT_FILENO);
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, STDERR_FILENO);   /* the JSON result says why */
        execv(d->self, argv);
        _exit(127);
    }
    close(p[1]);
    if (pid < 0) {
        close(p[0]);
        return -1;
    }
    *fd = p[0];
    return pid;
}

/* Read what is there from fd into *buf; false at its end (or on error). */
static bool
read_some(int fd, char **buf, size_t *len)
{
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof chunk);

    if (n <= 0)
        return n < 0 && errno == EINTR;
    if (*len + (size_t)n > CHILD_OUTPUT_MAX)
        return false;
    char *grown = realloc(*buf, *len + (size_t)n + 1);
    if (grown == NULL)
        return false;
    memcpy(grown + *len, chunk, (size_t)n);
    *len += (size_t)n;
    grown[*len] = '\0';
    *buf = grown;
    return true;
}

/* Run this program with argv to its end: its stdout (malloc'd) and status. */
static char *
run_child(const struct drain *d, char *const argv[], int *status)
{
    char *out = NULL;
    size_t len = 0;
    int fd;
    pid_t pid = spawn(d, argv, &fd);

    *status = -1;
    if (pid < 0)
        return NULL;
    while (read_some(fd, &out, &len))
        ;
    close(fd);
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
    *status = WIFEXITED(*status) ? WEXITSTATUS(*status) : 128;
    return out;
}

/* The last JSON object line of out, parsed; NULL if none. */
static json_t *
last_json(const char *out)
{
    const char *line = out, *last = NULL;

    for (const char *p = out; out && *p; p++)
        if (*p == '\n' && p[1])
            line = p + 1, last = line;
    return json_loads(last ? last : out ? out : "", 0, NULL);
}

/* argv for `vsmigrate VERB [VM] (--from HOST | local) [--to PEER] --json` */
static void
child_argv(const struct drain *d, const char *verb, const char *vm, const char *peer,
           const char *argv[12])
{
    int n = 0;

    argv[n++] = "vsmigrate";
    argv[n++] = verb;
    if (vm)
        argv[n++] = vm;
    if (d->o->host) {   /* an admin: over TCP with the admin's tickets */
        argv[n++] = strcmp(verb, "list") == 0 || strcmp(verb, "status") == 0 ? "--host" : "--from";
        argv[n++] = d->o->host;
    }
    if (peer) {
        argv[n++] = "--to";
        argv[n++] = peer;
    }
    argv[n++] = "--json";
    argv[n] = NULL;
}

static bool
drain_peers(struct drain *d, struct vs_error *err)
{
    char list[4096];

    if (d->o->to) {
        snprintf(list, sizeof list, "%s", d->o->to);
    } else {   /* HOST's own peers, from its status */
        const char *argv[12];
        int status;
        child_argv(d, "status", NULL, NULL, argv);
        char *out = run_child(d, (char *const *)argv, &status);
        json_t *j = status == 0 ? last_json(out) : NULL;
        const char *peers = j ? json_string_value(json_object_get(j, "peers")) : NULL;
        snprintf(list, sizeof list, "%s", peers && strcmp(peers, "none") != 0 ? peers : "");
        json_decref(j);
        free(out);
        if (status != 0) {
            vs_error_set(err, VS_ERR_UNAVAILABLE, "vsmigrate status of %s failed (exit %d): run it "
                         "by hand to see why", d->o->host ? d->o->host : "this host", status);
            return false;
        }
    }
    for (char *save = NULL, *p = strtok_r(list, ", ", &save); p; p = strtok_r(NULL, ", ", &save)) {
        if (d->npeers == DRAIN_PEERS_MAX) {
            vs_error_set(err, VS_ERR_INVALID, "more than %d peers to drain to", DRAIN_PEERS_MAX);
            return false;
        }
        snprintf(d->peers[d->npeers++], sizeof d->peers[0], "%s", p);
    }
    if (d->npeers == 0) {
        vs_error_set(err, VS_ERR_INVALID, "no host to drain to: name them with --to H1,H2, or "
                     "set peers in [auth] of the host's vsmigrated.conf");
        return false;
    }
    return true;
}

static bool
drain_list(struct drain *d, struct vs_error *err)
{
    const char *argv[12];
    int status;
    size_t i;
    json_t *vm;

    child_argv(d, "list", NULL, NULL, argv);
    char *out = run_child(d, (char *const *)argv, &status);
    json_t *j = status == 0 ? last_json(out) : NULL;
    free(out);
    if (j == NULL) {
        vs_error_set(err, VS_ERR_UNAVAILABLE, "vsmigrate list of %s failed (exit %d): run it by "
                     "hand to see why", d->o->host ? d->o->host : "this host", status);
        return false;
    }
    json_array_foreach(json_object_get(j, "vms"), i, vm) {
        const char *state = json_string_value(json_object_get(vm, "state"));
        if (state == NULL || strcmp(state, "running") != 0 || d->nvms == DRAIN_VMS_MAX)
            continue;
        struct drain_vm *v = &d->vms[d->nvms++];
        snprintf(v->name, sizeof v->name, "%s", json_string_value(json_object_get(vm, "name")));
        v->memory_mib = (unsigned long long)json_integer_value(json_object_get(vm, "memory_mib"));
        v->peer = -1;
        v->fd = -1;
    }
    json_decref(j);
    return true;
}

/* The pre-flight of v toward each peer: which pass, and their free memory. */
static void
drain_check(struct drain *d, struct drain_vm *v, bool passes[])
{
    char reasons[1024] = "";

    for (size_t p = 0; p < d->npeers; p++) {
        const char *argv[12];
        int status;
        size_t i;
        json_t *c;

        child_argv(d, "check", v->name, d->peers[p], argv);
        char *out = run_child(d, (char *const *)argv, &status);
        json_t *j = last_json(out);
        free(out);
        passes[p] = status == 0 && j && json_is_true(json_object_get(j, "passed"));
        json_array_foreach(json_object_get(j, "checks"), i, c) {
            const char *name = json_string_value(json_object_get(c, "name"));
            if (name && strcmp(name, "memory") == 0 && json_object_get(c, "value"))
                d->free_mib[p] = (unsigned long long)json_integer_value(json_object_get(c, "value"));
        }
        if (!passes[p]) {
            const char *summary = j ? json_string_value(json_object_get(j, "summary")) : NULL;
            size_t used = strlen(reasons);
            snprintf(reasons + used, sizeof reasons - used, "%s%s: %s", used ? "; " : "",
                     d->peers[p], summary ? summary : "the check could not run");
        }
        json_decref(j);
    }
    snprintf(v->why, sizeof v->why, "no peer passed the pre-flight (%.900s)", reasons);
}

/* Largest VM first, to the passing peer with the most memory left. */
static void
drain_place(struct drain *d)
{
    bool (*passes)[DRAIN_PEERS_MAX] = calloc(DRAIN_VMS_MAX, sizeof *passes);
    size_t order[DRAIN_VMS_MAX];

    if (passes == NULL)
        return;
    for (size_t i = 0; i < d->nvms; i++) {
        drain_check(d, &d->vms[i], passes[i]);
        order[i] = i;
    }
    for (size_t i = 1; i < d->nvms; i++)
        for (size_t k = i; k > 0 && d->vms[order[k - 1]].memory_mib < d->vms[order[k]].memory_mib; k--) {
            size_t t = order[k];
            order[k] = order[k - 1];
            order[k - 1] = t;
        }
    for (size_t i = 0; i < d->nvms; i++) {
        struct drain_vm *v = &d->vms[order[i]];
        int best = -1;
        for (size_t p = 0; p < d->npeers; p++)
            if (passes[order[i]][p] && d->free_mib[p] >= v->memory_mib &&
                (best < 0 || d->free_mib[p] > d->free_mib[best]))
                best = (int)p;
        if (best >= 0) {
            v->peer = best;
            d->free_mib[best] -= v->memory_mib;
            v->why[0] = '\0';
        }
    }
    free(passes);
}

static void
drain_start_moves(struct drain *d)
{
    for (size_t i = 0; i < d->nvms; i++) {
        struct drain_vm *v = &d->vms[i];
        const char *argv[12];
        if (v->peer < 0) {
            v->done = true;
            continue;
        }
        child_argv(d, "move", v->name, d->peers[v->peer], argv);
        v->pid = spawn(d, (char *const *)argv, &v->fd);
        if (v->pid < 0) {
            snprintf(v->why, sizeof v->why, "could not start its move: %s", strerror(errno));
            v->done = true;
        }
    }
}

/* The job id from the move's first event, once it came: the "job" field of
 * the first complete JSON line that has one. */
static void
note_job(struct drain_vm *v)
{
    const char *line = v->job[0] ? NULL : v->out, *end;

    for (; line && (end = strchr(line, '\n')) != NULL && !v->job[0]; line = end + 1) {
        json_t *ev = json_loadb(line, (size_t)(end - line), 0, NULL);
        const char *job = json_string_value(json_object_get(ev, "job"));
        if (job && strlen(job) < sizeof v->job)
            snprintf(v->job, sizeof v->job, "%s", job);
        json_decref(ev);
    }
}

/* With a deadline: the moves not ended by then are cancelled. */
static void
drain_cancel(struct drain *d, struct drain_vm *v)
{
    const char *argv[12] = { "vsmigrate", "cancel", v->job, "--json", NULL };
    int status;

    if (v->cancelled || !v->job[0])
        return;
    if (d->o->host) {
        argv[3] = "--host";
        argv[4] = d->o->host;
        argv[5] = "--json";
        argv[6] = NULL;
    }
    free(run_child(d, (char *const *)argv, &status));
    v->cancelled = true;
}

static void
drain_wait(struct drain *d)
{
    long long deadline = d->o->within_s > 0 ? wire_now_ms() + d->o->within_s * 1000LL : 0;

    for (;;) {
        struct pollfd fds[DRAIN_VMS_MAX];
        size_t who[DRAIN_VMS_MAX], n = 0;
        for (size_t i = 0; i < d->nvms; i++)
            if (!d->vms[i].done && d->vms[i].fd >= 0) {
                fds[n] = (struct pollfd){ .fd = d->vms[i].fd, .events = POLLIN };
                who[n++] = i;
            }
        if (n == 0)
            break;
        if (deadline && wire_now_ms() > deadline)
            for (size_t k = 0; k < n; k++)
                drain_cancel(d, &d->vms[who[k]]);
        poll(fds, n, 500);
        for (size_t k = 0; k < n; k++) {
            struct drain_vm *v = &d->vms[who[k]];
            if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (read_some(v->fd, &v->out, &v->outlen)) {
                note_job(v);
                continue;
            }
            close(v->fd);
            v->fd = -1;
            while (waitpid(v->pid, &v->status, 0) < 0 && errno == EINTR)
                ;
            v->status = WIFEXITED(v->status) ? WEXITSTATUS(v->status) : 128;
            v->done = true;
        }
    }
}

static int
drain_report(struct drain *d)
{
    size_t stayed = 0;

    for (size_t i = 0; i < d->nvms; i++) {
        struct drain_vm *v = &d->vms[i];
        json_t *j = v->out ? last_json(v->out) : NULL;
        bool moved = v->peer >= 0 && v->status == 0 && j && json_is_true(json_object_get(j, "ok"));
        const char *msg = j ? json_string_value(json_object_get(j, "message")) : NULL;
        if (!moved && v->peer >= 0)
            snprintf(v->why, sizeof v->why, "its move to %s failed%s: %s", d->peers[v->peer],
                     v->cancelled ? " (cancelled: --within ran out)" : "",
                     msg ? msg : j ? json_string_value(json_object_get(j, "error")) ?: "no reason given"
                               : "no answer");
        stayed += !moved;
        if (d->o->json) {
            json_t *r = json_pack("{s:s,s:b,s:s?}", "vm", v->name, "moved", moved, "to",
                                  moved ? d->peers[v->peer] : NULL);
            if (moved && json_object_get(j, "downtime_ms"))
                json_object_set(r, "downtime_ms", json_object_get(j, "downtime_ms"));
            if (!moved)
                json_object_set_new(r, "reason", json_string(v->why));
            json_print_line(stdout, r);
        } else if (moved) {
            printf("%-32s -> %s: %s\n", v->name, d->peers[v->peer], msg ? msg : "moved");
        } else {
            printf("%-32s stays: %s\n", v->name, v->why);
        }
        json_decref(j);
        free(v->out);
    }
    if (d->o->json)
        json_print_line(stdout, json_pack("{s:s,s:I,s:I,s:b}", "drain", d->o->host ? d->o->host : "local",
                                          "vms", (json_int_t)d->nvms, "stayed", (json_int_t)stayed,
                                          "ok", stayed == 0));
    else
        printf("drain %s: %zu of %zu VM%s moved%s\n", d->o->host ? d->o->host : "(this host)",
               d->nvms - stayed, d->nvms, d->nvms == 1 ? "" : "s",
               stayed ? "; the others stay (see above)" : "");
    return stayed ? VS_EXIT_FAILED : VS_EXIT_OK;
}

int
drain_run(const struct drain_options *o)
{
    struct drain *d = calloc(1, sizeof *d);
    struct vs_error err;
    ssize_t n;
    int rc;

    if (d == NULL) {
        fprintf(stderr, "vsmigrate: drain: out of memory\n");
        return VS_EXIT_FAILED;
    }
    d->o = o;
    n = readlink("/proc/self/exe", d->self, sizeof d->self - 1);
    if (n <= 0) {
        fprintf(stderr, "vsmigrate: drain: cannot find its own program (/proc/self/exe)\n");
        free(d);
        return VS_EXIT_FAILED;
    }
    d->self[n] = '\0';
    if (!drain_peers(d, &err) || !drain_list(d, &err)) {
        fprintf(stderr, "vsmigrate: drain: %s\n", err.message);
        free(d);
        return vs_exit_for(err.code);
    }
    if (!o->json)
        printf("drain %s: %zu running VM%s, toward %zu peer%s\n", o->host ? o->host : "(this host)",
               d->nvms, d->nvms == 1 ? "" : "s", d->npeers, d->npeers == 1 ? "" : "s");
    fflush(stdout);
    drain_place(d);
    drain_start_moves(d);
    drain_wait(d);
    rc = drain_report(d);
    free(d);
    return rc;
}
