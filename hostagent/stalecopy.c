/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/stalecopy.c: a source's copy that a failed move left paused is
 * turned off once a peer says it runs the VM holding its writer
 * (stalecopy.h). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/crashtrace.h"
#include "common/hostname.h"
#include "common/json.h"
#include "common/log.h"
#include "common/smallfile.h"
#include "hostagent/client.h"
#include "hostagent/daemon.h"
#include "hostagent/domxml.h"
#include "hostagent/exports.h"
#include "hostagent/repeats.h"
#include "hostagent/stalecopy.h"
#include "hostagent/virt.h"
#include "smbio/control_client.h"

/* ---- the answer: does the VM run here, holding its writer? ---------------------------------- */

/* Does every vsmigrate disk of vm have a live export holding the writer?
 * false with why (also when vm has no vsmigrate disk). */
static bool
exports_hold_writer(const struct settings *s, const struct domxml_info *vm, char *why,
                    size_t whylen)
{
    size_t held = 0;

    for (size_t i = 0; i < vm->ndisks; i++) {
        const struct domxml_lease *l = export_lease_of(vm, &vm->disks[i]);
        struct export e;
        struct vs_error err;
        char reply[2048], mode[32], failed[512];

        if (l == NULL)
            continue;
        if (!export_paths(s->cfg->runtime_dir, vm, &vm->disks[i], l, &e, &err)) {
            snprintf(why, whylen, "%s", err.message);
            return false;
        }
        if (smbio_line_call(e.ctl, "status\n", 2000, reply, sizeof reply, failed,
                            sizeof failed) != SMBIO_LINE_ANSWERED) {
            snprintf(why, whylen, "its disk export %s does not answer: %s", e.ctl, failed);
            return false;
        }
        if (json_field(reply, "mode", mode, sizeof mode) == NULL || strcmp(mode, "active") != 0) {
            snprintf(why, whylen, "its disk export %s does not hold the writer", e.ctl);
            return false;
        }
        held++;
    }
    if (held == 0)
        snprintf(why, whylen, "%s has no vsmigrate disk", vm->name);
    return held > 0;
}

bool
stalecopy_runs_here(struct agent *a, const struct settings *s, const char *vm, char *why,
                    size_t whylen)
{
    struct job j;
    struct vs_error err;
    char *xml = NULL, state[64];
    bool ok = false;

    if (jobs_find_vm(&a->jobs, vm, JOB_SOURCE, &j) ||
        jobs_find_vm(&a->jobs, vm, JOB_DESTINATION, &j)) {
        snprintf(why, whylen, "a move of %s is under way on %s (job %s)", vm, a->host, j.id);
        return false;
    }
    if (!virt_running(s->cfg->libvirt_uri, vm)) {
        snprintf(why, whylen, "%s does not run on %s", vm, a->host);
        return false;
    }
    struct domxml_info *info = calloc(1, sizeof *info);
    if (info == NULL) {
        snprintf(why, whylen, "out of memory");
        return false;
    }
    if (!virt_domain_xml(s->cfg->libvirt_uri, vm, &xml, state, sizeof state, &err) ||
        !domxml_parse(xml, strlen(xml), info, &err))
        snprintf(why, whylen, "%s", err.message);
    else
        ok = exports_hold_writer(s, info, why, whylen);
    domxml_free(info);
    free(info);
    free(xml);
    return ok;
}

/* ---- arrivals: which host a VM last came from -------------------------------------------- */

/* RUNTIME/arrivals/<vm>; false for a name that is no file name */
static bool
arrival_path(const char *runtime_dir, const char *vm, char *path, size_t len)
{
    if (vm[0] == '\0' || vm[0] == '.' || strchr(vm, '/') != NULL)
        return false;
    return (size_t)snprintf(path, len, "%s/arrivals/%s", runtime_dir, vm) < len;
}

bool
stalecopy_note_arrival(const char *runtime_dir, const char *vm, const char *from,
                       struct vs_error *err)
{
    char dir[512], path[800];

    snprintf(dir, sizeof dir, "%s/arrivals", runtime_dir);
    if (!arrival_path(runtime_dir, vm, path, sizeof path)) {
        vs_error_set(err, VS_ERR_INVALID, "'%s' cannot name a file", vm);
        return false;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        vs_error_set(err, VS_ERR_IO, "cannot make %s: %s", dir, strerror(errno));
        return false;
    }
    /* written whole, then renamed: a reader never sees half a name */
    return vs_smallfile_replace(path, from, strlen(from), err);
}

void
stalecopy_forget_arrival(const char *runtime_dir, const char *vm)
{
    char path[800];

    if (arrival_path(runtime_dir, vm, path, sizeof path))
        unlink(path);
}

bool
stalecopy_arrived_from(const char *runtime_dir, const char *vm, char *from, size_t len)
{
    char path[800];
    size_t n;
    struct vs_error err;

    return len > 0 && arrival_path(runtime_dir, vm, path, sizeof path) &&
           vs_smallfile_read(path, from, len, &n, &err) && n > 0;
}

/* ---- vm-state ------------------------------------------------------------------------------- */

void
do_vm_state(struct request_ctx *r)
{
    struct vs_writer w;
    char why[1024] = "", from[256];

    if (!vsm_message_text(r->req, VSM_TAG_VM, r->vm, sizeof r->vm) || r->vm[0] == '\0') {
        reply_error(r, VS_ERR_INVALID, "vm-state needs the VM's name");
        return;
    }
    snprintf(r->from, sizeof r->from, "%s", r->who->via);
    /* told only to the host the VM came from: others learn nothing of it */
    bool told = r->who->via[0] != '\0' &&
                stalecopy_arrived_from(r->s->cfg->runtime_dir, r->vm, from, sizeof from) &&
                vs_host_same(from, r->who->via);
    bool runs = told && stalecopy_runs_here(r->agent, r->s, r->vm, why, sizeof why);
    if (!told)
        snprintf(why, sizeof why, "not told to a host asking as itself, unless the VM's last "
                 "move here came from it");
    reply_begin(r, &w);
    vsm_message_add_u64(&w, VSM_TAG_RUNS_HERE, runs);
    /* the result is the question's (it was answered); the message says why not */
    reply_send(r, &w, VS_OK, runs ? NULL : why);
}

/* ---- the question: which peer runs it? ------------------------------------------------------- */

/* One copy's peers are asked at a time: the answer is rarely needed, and a
 * cut link makes each question last STALECOPY_PEER_TIMEOUT_MS. */
static pthread_mutex_t asking_lock = PTHREAD_MUTEX_INITIALIZER;
static bool asking;

/* When each copy's peers were last asked, and how often (the supervisor's
 * thread only). A copy no peer claims is asked about less and less often:
 * each question is an audit record on every peer. */
#define ASK_QUICKLY 12   /* the first minute: every STALECOPY_ASK_S */
#define ASK_SOON 32      /* then every 30 s for 10 minutes, then every 5 */
static struct repeats asked;

struct question {
    struct agent *agent;
    char vm[256];
    unsigned tries;   /* questions about this copy before this one */
};

static time_t
monotonic_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec;
}

/* the wait after the question that had `before` questions before it */
static time_t
ask_interval(unsigned before)
{
    return before < ASK_QUICKLY ? STALECOPY_ASK_S : before < ASK_SOON ? 30 : 300;
}

void
stalecopy_forget(const char *vm)
{
    repeats_forget(&asked, vm);
}

/* Does peer say it runs vm holding its writer? Anything else, an error
 * included, is no (logged at debug: the copy is asked about again). */
static bool
peer_runs(const struct settings *s, const char *peer, const char *vm)
{
    struct agent_target t = { .host = peer, .port = s->cfg->peer_port,
                              .confidential = s->cfg->confidentiality,
                              .timeout_ms = STALECOPY_PEER_TIMEOUT_MS };
    struct vsm_message *reply;
    struct vs_error err;
    void *buf;
    uint64_t runs = 0;

    if (!agent_ask_as_host(&t, s->acc, "vm-state", NULL, vm, STALECOPY_PEER_TIMEOUT_MS, &reply,
                           &buf, &err)) {
        vs_debug("%s: %s did not say whether it runs it: %s", vm, peer, err.message);
        return false;
    }
    if (!vsm_message_u64(reply, VSM_TAG_RUNS_HERE, &runs) || runs != 1) {
        char why[1024] = "";
        vsm_message_text(reply, VSM_TAG_MESSAGE, why, sizeof why);
        vs_debug("%s: %s does not run it holding its writer: %s", vm, peer, why);
        runs = 0;
    }
    free(buf);
    free(reply);
    return runs == 1;
}

/* peer runs vm holding its writer: the paused copy here goes, if it is
 * still the copy a migration left paused and no move of it began since */
static void
settle(struct agent *a, const struct settings *s, const char *vm, const char *peer)
{
    struct vs_error err;
    bool active = false;

    /* no move of it may begin meanwhile; one under way leaves it alone */
    if (!jobs_mend_begin(&a->jobs, vm))
        return;
    if (!virt_turn_off_migration_paused(s->cfg->libvirt_uri, vm, &err)) {
        if (err.code != VS_ERR_NOTFOUND)
            vs_warn("%s: its stale paused copy here could not be turned off (%s runs it, "
                    "holding its writer): %s", vm, peer, err.message);
        jobs_mend_end(&a->jobs, vm);
        return;
    }
    jobs_mend_end(&a->jobs, vm);
    if (!virt_undefine_if_off(s->cfg->libvirt_uri, vm, &active, &err))
        vs_warn("%s: turned off its stale paused copy here, but %s", vm, err.message);
    else
        vs_warn("%s: a failed move left a stale copy paused here, and %s runs the VM holding "
                "its disks' writer: turned the copy off and undefined it", vm, peer);
}

static void *
ask_peers(void *arg)
{
    struct question *q = arg;
    struct settings *s = settings_get(q->agent);
    const char *runner = NULL;

    /* with auth = local this host has no name to ask its peers as */
    for (size_t i = 0; s->acc != NULL && i < s->cfg->npeers && runner == NULL; i++)
        if (peer_runs(s, s->cfg->peers[i], q->vm))
            runner = s->cfg->peers[i];
    if (runner != NULL)
        settle(q->agent, s, q->vm, runner);
    else if (q->tries + 1 == ASK_QUICKLY)
        vs_warn("%s: a migration left it paused here, and for a minute no peer has said it "
                "runs it holding its writer: asked again every 30 s, then every 5 minutes "
                "('vsmigrate list' on the peers says where it runs; if none does, 'virsh "
                "resume %s' here, whose lock plugin takes the writer if the fence allows)",
                q->vm, q->vm);
    settings_put(q->agent, s);
    pthread_mutex_lock(&asking_lock);
    asking = false;
    pthread_mutex_unlock(&asking_lock);
    free(q);
    return NULL;
}

void
stalecopy_consider(struct agent *a, const char *vm)
{
    struct question *q;
    pthread_t th;
    bool busy;

    pthread_mutex_lock(&asking_lock);
    busy = asking;
    pthread_mutex_unlock(&asking_lock);
    unsigned tries;
    if (busy || (q = calloc(1, sizeof *q)) == NULL)
        return;
    if (!repeats_backoff_due(&asked, vm, monotonic_s(), ask_interval, &tries)) {
        free(q);
        return;
    }
    q->agent = a;
    q->tries = tries;
    snprintf(q->vm, sizeof q->vm, "%s", vm);
    pthread_mutex_lock(&asking_lock);
    asking = true;
    pthread_mutex_unlock(&asking_lock);
    if (crashtrace_thread_create(&th, NULL, ask_peers, q) != 0) {
        pthread_mutex_lock(&asking_lock);
        asking = false;
        pthread_mutex_unlock(&asking_lock);
        free(q);
        return;
    }
    pthread_detach(th);
}
