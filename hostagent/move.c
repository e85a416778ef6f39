/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/move.c: a move, on its source host.
 *
 *   1. pre-flight: the check; any failure stops the move, nothing changed;
 *   2. the destination's agent registers the job (move-prepare, asked as
 *      the admin through S4U2Proxy, or as this host for a local caller) and
 *      keeps it while this connection lasts;
 *   3. this host listens on RUNTIME/jobs/JOB/{libvirt,migration}.sock for
 *      libvirtd (root only) and carries each connection to the destination's
 *      agent in a tunnel (tunnel.h); libvirt migrates peer to peer with
 *      qemu+unix:///system?socket=.../libvirt.sock and unix://.../migration.sock
 *      (the destination's QEMU listens on the same path there), so no
 *      libvirt or QEMU TCP port is ever opened;
 *   4. the hand-off happens inside libvirt's Finish, driven by the
 *      destination's lock plugin (handoff.h); a refusal there rolls back and
 *      the VM runs on here;
 *   5. the reply and the audit say who, from, to, the result, the downtime
 *      on host clocks (this host's STOP event to the destination's take-over)
 *      and libvirt's own, the total time, bytes and passes.
 * Progress goes to the caller as EVENTs every half second; `vsmigrate
 * cancel JOB` aborts the memory copy. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <uuid/uuid.h>

#include "common/crashtrace.h"
#include "common/hostname.h"
#include "common/log.h"
#include "common/testhook.h"
#include "hostagent/client.h"
#include "hostagent/daemon.h"
#include "hostagent/domxml.h"
#include "hostagent/handoff.h"
#include "hostagent/leftover.h"
#include "hostagent/move.h"
#include "hostagent/netpick.h"
#include "hostagent/placement.h"
#include "hostagent/report.h"
#include "hostagent/tunnel.h"
#include "hostagent/virt.h"

#define STREAMS_MAX 32
#define TICK_MS 500
#define PEER_TIMEOUT_MS 30000
#define HOLD_START_MIB 16              /* a test build's memory copy, until the hold */
/* libvirt's "no cap" for QEMU: the largest MiB/s it takes */
#define BANDWIDTH_NO_CAP_MIB ((unsigned long long)INT64_MAX >> 20)

struct move {
    struct agent *agent;
    struct settings *s;
    struct job job;
    char dir[256];
    char sock[2][300];                 /* [0] libvirt, [1] migration */
    int lfd[2];
    int stop[2];                       /* a byte here stops the acceptor */
    pthread_t acceptor;
    bool acceptor_on;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int streams;                       /* stream threads running */
    int fds[STREAMS_MAX];              /* their local ends, to cut at the end */
    char stream_error[VS_ERROR_MESSAGE_MAX + 64];
    /* libvirt */
    virConnectPtr conn;
    virDomainPtr dom;
    int callback;
    bool migrate_done;
    int migrate_rc;
    char migrate_error[1024];
    int64_t stopped_at;                /* unix ms: the STOP event */
    unsigned parallel;                 /* multifd channels; 0: one stream */
    /* the move's options: the request's, else this host's [migration] */
    unsigned long long bandwidth_mib;  /* 0: no cap */
    long long max_downtime_ms;
    bool blackout_cancel;
    bool compress;
    bool downtime_set;                 /* max_downtime handed to libvirt */
    bool not_converged;                /* cancelled by the blackout policy */
    bool held;                         /* a test hook slowed the copy down */
    long long queued_ms;               /* waited for a slot here */
    int64_t turn_at;                   /* unix ms: it got its slot */
    /* the destination's migration networks, in its order, and the one the
     * tunnels use (-1: none chosen yet; none listed: its host name) */
    struct netpick_address addrs[NETPICK_MAX];
    size_t naddrs;
    int chosen;
    char network[160];                 /* "CIDR via ADDRESS", for the report */
    long long migration_ms;            /* virDomainMigrateToURI3 alone */
    /* the definition on the share, written back once the VM moved */
    char folder[1300];                 /* smb://SERVER/SHARE/<vm> (placement.h) */
    char *definition;                  /* the persistent definition before the move */
    bool definition_saved;
    struct vs_error definition_error;
};

int64_t
move_unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool
move_controls_from_xml(const struct domxml_info *vm, struct job *j, struct vs_error *err)
{
    j->ncontrols = 0;
    for (size_t i = 0; i < vm->nleases; i++) {
        if (strcmp(vm->leases[i].lockspace, "vsmigrate") != 0)
            continue;
        if (j->ncontrols == JOB_DISKS_MAX || strlen(vm->leases[i].path) >= JOB_CONTROL_MAX) {
            vs_error_set(err, VS_ERR_INVALID, "%s has more than %d vsmigrate disks, or a lease "
                         "path longer than %d bytes", vm->name, JOB_DISKS_MAX, JOB_CONTROL_MAX - 1);
            return false;
        }
        snprintf(j->controls[j->ncontrols++], JOB_CONTROL_MAX, "%s", vm->leases[i].path);
    }
    if (j->ncontrols == 0 || j->ncontrols < vm->ndisks) {
        vs_error_set(err, VS_ERR_INVALID, "%s has %zu disk%s and %zu vsmigrate lease%s: every disk "
                     "needs its export's lease (lockspace vsmigrate) for the writer hand-off; "
                     "start the VM with 'vsmigrate start' from a definition that has them (see "
                     "vsmigrate-hook(8))", vm->name, vm->ndisks, vm->ndisks == 1 ? "" : "s",
                     j->ncontrols, j->ncontrols == 1 ? "" : "s");
        return false;
    }
    return true;
}

/* ---- the tunnel's source end ------------------------------------------------------------ */

struct stream {
    struct move *m;
    int fd;
    int slot;
    enum tunnel_channel channel;
};

static void
stream_note_error(struct move *m, const char *what, const struct vs_error *err)
{
    pthread_mutex_lock(&m->lock);
    if (m->stream_error[0] == '\0')
        snprintf(m->stream_error, sizeof m->stream_error, "%s: %s", what, err->message);
    pthread_mutex_unlock(&m->lock);
    vs_info("job %s: %s: %s", m->job.id, what, err->message);
}

#define NETWORK_CONNECT_TIMEOUT_MS 3000

/* Connect a stream to the destination, as this host: over the migration
 * network chosen already; else over the first of the destination's that
 * connects (the first stream chooses, the others follow); else, when the
 * destination lists none, to its host name. */
static bool
stream_connect(struct move *m, struct agent_target *t, struct wire *w, struct vs_error *err)
{
    enum agent_open_stage stage;
    char tried[512] = "";
    size_t used = 0;

    pthread_mutex_lock(&m->lock);
    int chosen = m->chosen;
    pthread_mutex_unlock(&m->lock);
    if (m->naddrs == 0)
        return agent_open(w, t, NULL, m->s->acc, &stage, err);
    if (chosen >= 0) {
        t->address = m->addrs[chosen].address;
        return agent_open(w, t, NULL, m->s->acc, &stage, err);
    }
    for (size_t i = 0; i < m->naddrs; i++) {
        t->address = m->addrs[i].address;
        t->connect_timeout_ms = NETWORK_CONNECT_TIMEOUT_MS;
        if (agent_open(w, t, NULL, m->s->acc, &stage, err)) {
            pthread_mutex_lock(&m->lock);
            if (m->chosen < 0) {
                m->chosen = (int)i;
                snprintf(m->network, sizeof m->network, "%s via %s", m->addrs[i].network,
                         m->addrs[i].address);
            }
            pthread_mutex_unlock(&m->lock);
            if (i > 0)
                vs_info("job %s: migration network %s", m->job.id, m->network);
            return true;
        }
        int k = snprintf(tried + used, sizeof tried - used, "%s%s (%s): %.100s", used ? "; " : "",
                         m->addrs[i].address, m->addrs[i].network, err->message);
        used += k > 0 && (size_t)k < sizeof tried - used ? (size_t)k : 0;
        if (stage != AGENT_STAGE_CONNECT)
            break;   /* it connected and then failed: not a network to fall back from */
    }
    vs_error_set(err, VS_ERR_UNAVAILABLE, "none of %s's migration networks carried the move: %s",
                 m->job.to, tried);
    return false;
}

/* Open the tunnel for one stream: authenticate to the destination as this
 * host, name the job and the channel, switch to TLS under the derived key. */
static bool
stream_open(struct move *m, enum tunnel_channel ch, struct wire *w, struct tunnel_tls **tls,
            struct vs_error *err)
{
    const struct agent_config *c = m->s->cfg;
    struct agent_target t = { .host = m->job.to, .port = c->peer_port,
                              .confidential = c->confidentiality, .timeout_ms = PEER_TIMEOUT_MS };
    struct vsm_message *reply = malloc(sizeof *reply);
    struct vs_writer req;
    uint8_t psk[TUNNEL_PSK_LEN];
    void *buf = NULL;
    bool ok = false;

    if (reply == NULL || !stream_connect(m, &t, w, err)) {
        if (reply == NULL)
            vs_error_set(err, VS_ERR_NOMEM, "out of memory");
        free(reply);
        return false;
    }
    agent_request_begin(w, &req, "tunnel");
    vsm_message_add_text(&req, VSM_TAG_JOB, m->job.id);
    vsm_message_add_text(&req, VSM_TAG_CHANNEL, tunnel_channel_name(ch));
    if (!agent_call_ok(w, &req, reply, &buf, PEER_TIMEOUT_MS, err))
        vs_error_prefix(err, "%s refused the tunnel", m->job.to);
    else
        ok = tunnel_psk(w->ctx, m->job.id, ch, psk, err) &&
             tunnel_tls_start(w->fd, true, psk, PEER_TIMEOUT_MS, tls, err);
    memset(psk, 0, sizeof psk);
    vs_writer_free(&req);
    free(buf);
    free(reply);
    return ok;
}

static void *
stream_run(void *arg)
{
    struct stream *st = arg;
    struct move *m = st->m;
    struct tunnel_tls *tls = NULL;
    struct vs_error err;
    struct wire w;

    wire_init(&w, -1, m->job.to);
    if (!stream_open(m, st->channel, &w, &tls, &err))
        stream_note_error(m, "opening a tunnel", &err);
    else if (!tunnel_relay(st->fd, tls, NULL, &err) && st->channel == TUNNEL_MIGRATION)
        stream_note_error(m, "the migration stream", &err);
    tunnel_tls_free(tls);
    wire_close(&w);
    pthread_mutex_lock(&m->lock);
    m->fds[st->slot] = -1;
    close(st->fd);
    m->streams--;
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->lock);
    free(st);
    return NULL;
}

static void
stream_start(struct move *m, int fd, enum tunnel_channel ch)
{
    struct ucred cr;
    socklen_t len = sizeof cr;
    struct stream *st;
    pthread_t th;
    int slot = -1;

    /* the job's directory is root's alone; the kernel says who connected */
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 || cr.uid != 0) {
        close(fd);
        return;
    }
    pthread_mutex_lock(&m->lock);
    for (int i = 0; i < STREAMS_MAX && slot < 0; i++)
        if (m->fds[i] < 0)
            slot = i;
    if (slot >= 0) {
        m->fds[slot] = fd;
        m->streams++;
    }
    pthread_mutex_unlock(&m->lock);
    if (slot < 0) {
        vs_warn("job %s: more than %d streams at once; one refused", m->job.id, STREAMS_MAX);
        close(fd);
        return;
    }
    st = malloc(sizeof *st);
    if (st != NULL) {
        *st = (struct stream){ .m = m, .fd = fd, .slot = slot, .channel = ch };
        if (crashtrace_thread_create(&th, NULL, stream_run, st) == 0) {
            pthread_detach(th);
            return;
        }
        free(st);
    }
    pthread_mutex_lock(&m->lock);
    m->fds[slot] = -1;
    m->streams--;
    pthread_mutex_unlock(&m->lock);
    close(fd);
}

static void *
accept_run(void *arg)
{
    struct move *m = arg;

    for (;;) {
        struct pollfd p[3] = { { .fd = m->lfd[0], .events = POLLIN },
                               { .fd = m->lfd[1], .events = POLLIN },
                               { .fd = m->stop[0], .events = POLLIN } };
        if (poll(p, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[2].revents)
            break;
        for (int i = 0; i < 2; i++)
            if (p[i].revents & POLLIN) {
                int fd = accept4(m->lfd[i], NULL, NULL, SOCK_CLOEXEC);
                if (fd >= 0)
                    stream_start(m, fd, i == 0 ? TUNNEL_LIBVIRT : TUNNEL_MIGRATION);
            }
    }
    return NULL;
}

static int
listen_at(const char *path, struct vs_error *err)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0 || listen(fd, 16) != 0) {
        vs_error_set(err, VS_ERR_IO, "cannot listen on %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

bool
move_job_dir(const struct agent_config *c, const char *job, char *dir, size_t len,
             struct vs_error *err)
{
    char parent[256];

    snprintf(parent, sizeof parent, "%s/jobs", c->runtime_dir);
    if ((size_t)snprintf(dir, len, "%s/%s", parent, job) >= len || strlen(dir) + 20 > 107) {
        vs_error_set(err, VS_ERR_INVALID, "runtime_dir %s is too long for the move's sockets",
                     c->runtime_dir);
        return false;
    }
    /* root's alone: the sockets in it carry a VM's memory and a libvirt
     * connection with root's rights */
    if ((mkdir(parent, 0700) != 0 && errno != EEXIST) || chmod(parent, 0700) != 0 ||
        mkdir(dir, 0700) != 0) {
        vs_error_set(err, VS_ERR_IO, "cannot make %s: %s (vsmigrated runs as root and needs "
                     "runtime_dir in [agent] writable)", dir, strerror(errno));
        return false;
    }
    return true;
}

bool
move_job_note_incoming(const char *dir, const char *vm, struct vs_error *err)
{
    char path[400];
    FILE *f;

    snprintf(path, sizeof path, "%s/" MOVE_INCOMING_NOTE, dir);
    if ((f = fopen(path, "wx")) == NULL || fprintf(f, "%s\n", vm) < 0 || fclose(f) != 0) {
        vs_error_set(err, VS_ERR_IO, "cannot write %s: %s (vsmigrated needs runtime_dir in "
                     "[agent] writable)", path, strerror(errno));
        return false;
    }
    return true;
}

bool
move_job_incoming_vm(const char *dir, char *vm, size_t len)
{
    char path[400];
    FILE *f;
    bool ok;

    snprintf(path, sizeof path, "%s/" MOVE_INCOMING_NOTE, dir);
    if ((f = fopen(path, "r")) == NULL)
        return false;
    ok = fgets(vm, (int)len, f) != NULL;
    fclose(f);
    vm[ok ? strcspn(vm, "\n") : 0] = '\0';
    return ok && vm[0];
}

void
move_job_dir_remove(const char *dir)
{
    char path[400];
    static const char *const names[] = { "libvirt.sock", "migration.sock", "definition.xml",
                                         MOVE_INCOMING_NOTE };

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

static bool
tunnel_listen(struct move *m, struct vs_error *err)
{
    if (!move_job_dir(m->s->cfg, m->job.id, m->dir, sizeof m->dir, err))
        return false;
    snprintf(m->sock[0], sizeof m->sock[0], "%s/libvirt.sock", m->dir);
    snprintf(m->sock[1], sizeof m->sock[1], "%s/migration.sock", m->dir);
    if ((m->lfd[0] = listen_at(m->sock[0], err)) < 0 || (m->lfd[1] = listen_at(m->sock[1], err)) < 0)
        return false;
    if (pipe2(m->stop, O_CLOEXEC) != 0 ||
        crashtrace_thread_create(&m->acceptor, NULL, accept_run, m) != 0) {
        vs_error_set(err, VS_ERR_INTERNAL, "cannot start the move's tunnel");
        return false;
    }
    m->acceptor_on = true;
    return true;
}

/* Stop accepting; give the streams a moment to end by themselves (libvirt
 * closes them after Confirm), then cut what is left, and wait for all. */
static void
tunnel_close(struct move *m)
{
    if (m->acceptor_on) {
        if (write(m->stop[1], "x", 1) < 0)
            vs_debug("job %s: stopping the acceptor: %s", m->job.id, strerror(errno));
        pthread_join(m->acceptor, NULL);
    }
    for (int i = 0; i < 2; i++)
        if (m->lfd[i] >= 0)
            close(m->lfd[i]);
    for (int i = 0; i < 2; i++)
        if (m->stop[i] >= 0)
            close(m->stop[i]);
    pthread_mutex_lock(&m->lock);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    while (m->streams > 0 && pthread_cond_timedwait(&m->cond, &m->lock, &until) == 0)
        ;
    for (int i = 0; i < STREAMS_MAX; i++)
        if (m->fds[i] >= 0)
            shutdown(m->fds[i], SHUT_RDWR);
    while (m->streams > 0)
        pthread_cond_wait(&m->cond, &m->lock);
    pthread_mutex_unlock(&m->lock);
    if (m->dir[0])
        move_job_dir_remove(m->dir);
}

/* ---- libvirt ---------------------------------------------------------------------------------- */

static const char *
virt_error(void)
{
    virErrorPtr e = virGetLastError();
    return e && e->message ? e->message : "unknown libvirt error";
}

static void
on_lifecycle(virConnectPtr c, virDomainPtr d, int event, int detail, void *opaque)
{
    struct move *m = opaque;

    (void)c;
    (void)d;
    (void)detail;
    /* the source's vCPUs stop at the switch-over: the downtime starts here */
    if (event == VIR_DOMAIN_EVENT_SUSPENDED) {
        pthread_mutex_lock(&m->lock);
        if (m->stopped_at == 0)
            m->stopped_at = move_unix_ms();
        pthread_mutex_unlock(&m->lock);
    }
}

static void *
migrate_run(void *arg)
{
    struct move *m = arg;
    char dconn[400], uri[400];
    virTypedParameterPtr p = NULL;
    int np = 0, maxp = 0, rc;

    snprintf(dconn, sizeof dconn, "qemu+unix:///system?socket=%s", m->sock[0]);
    snprintf(uri, sizeof uri, "unix://%s", m->sock[1]);
    unsigned flags = VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_PERSIST_DEST |
                     VIR_MIGRATE_UNDEFINE_SOURCE;
    virTypedParamsAddString(&p, &np, &maxp, VIR_MIGRATE_PARAM_URI, uri);
    /* multifd: QEMU itself connects N+1 times to the same socket, and each
     * connection gets a tunnel of its own */
    if (m->parallel > 0) {
        flags |= VIR_MIGRATE_PARALLEL;
        virTypedParamsAddInt(&p, &np, &maxp, VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS, (int)m->parallel);
    }
    /* always said, "no cap" too: QEMU keeps a domain's last speed (an
     * admin's virsh migrate-setspeed, or a held copy that failed), and a
     * move must not inherit it */
    unsigned long long mib = m->bandwidth_mib > 0 ? m->bandwidth_mib : BANDWIDTH_NO_CAP_MIB;
    if (m->bandwidth_mib == 0 && test_hook_waiting(m->s->cfg->runtime_dir, "memory-copy"))
        /* a fast copy can end between two ticks, before the hold; this
         * pace gives the hold a few ticks while memory flows */
        mib = HOLD_START_MIB;
    virTypedParamsAddULLong(&p, &np, &maxp, VIR_MIGRATE_PARAM_BANDWIDTH, mib);
    if (m->compress) {
        /* one stream: XBZRLE (libvirt 9.0 offers no other that QEMU 10
         * keeps); multifd: zstd, checked available at the request */
        flags |= VIR_MIGRATE_COMPRESSED;
        virTypedParamsAddString(&p, &np, &maxp, VIR_MIGRATE_PARAM_COMPRESSION,
                                m->parallel > 0 ? "zstd" : "xbzrle");
    }
    long long t0 = wire_now_ms();
    rc = virDomainMigrateToURI3(m->dom, dconn, p, (unsigned)np, flags);
    virTypedParamsFree(p, np);
    pthread_mutex_lock(&m->lock);
    m->migration_ms = wire_now_ms() - t0;
    m->migrate_rc = rc;
    if (rc != 0)
        snprintf(m->migrate_error, sizeof m->migrate_error, "%s", virt_error());
    m->migrate_done = true;
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->lock);
    return NULL;
}

struct progress {
    uint64_t processed, remaining, total, bps, iterations;
    unsigned place;                    /* waiting: the place in the queue */
    bool held_by_mend;                 /* waiting: until the agent has mended the VM */
};

static void
progress_read(struct move *m, struct progress *pr)
{
    virTypedParameterPtr p = NULL;
    int np = 0, type = 0;
    unsigned long long v;

    if (virDomainGetJobStats(m->dom, &type, &p, &np, 0) != 0 || type == VIR_DOMAIN_JOB_NONE) {
        virTypedParamsFree(p, np);
        return;
    }
    if (virTypedParamsGetULLong(p, np, VIR_DOMAIN_JOB_MEMORY_PROCESSED, &v) == 1)
        pr->processed = v;
    if (virTypedParamsGetULLong(p, np, VIR_DOMAIN_JOB_MEMORY_REMAINING, &v) == 1)
        pr->remaining = v;
    if (virTypedParamsGetULLong(p, np, VIR_DOMAIN_JOB_MEMORY_TOTAL, &v) == 1)
        pr->total = v;
    if (virTypedParamsGetULLong(p, np, VIR_DOMAIN_JOB_MEMORY_BPS, &v) == 1)
        pr->bps = v;
    if (virTypedParamsGetULLong(p, np, VIR_DOMAIN_JOB_MEMORY_ITERATION, &v) == 1)
        pr->iterations = v;
    virTypedParamsFree(p, np);
}

static unsigned
per_mille(const struct progress *pr)
{
    if (pr->total == 0)
        return 0;
    uint64_t left = pr->remaining > pr->total ? pr->total : pr->remaining;
    unsigned pm = (unsigned)((pr->total - left) * 1000 / pr->total);
    return pm > 999 ? 999 : pm;
}

/* One progress EVENT to the caller; a caller gone away does not stop the move. */
static void
send_progress(struct request_ctx *r, struct move *m, const char *phase, const struct progress *pr,
              long long elapsed, bool *caller_gone)
{
    struct vs_writer w;
    struct vs_error err;

    jobs_set_phase(&m->agent->jobs, m->job.id, phase, per_mille(pr));
    if (*caller_gone)
        return;
    vs_writer_init(&w, 4096);
    vsm_message_begin(&w, VSM_MSG_EVENT, r->req->id);
    vsm_message_add_text(&w, VSM_TAG_JOB, m->job.id);
    vsm_message_add_text(&w, VSM_TAG_PHASE, phase);
    vsm_message_add_u64(&w, VSM_TAG_PROGRESS, per_mille(pr));
    vsm_message_add_u64(&w, VSM_TAG_BYTES, pr->processed);
    vsm_message_add_u64(&w, VSM_TAG_TOTAL_BYTES, pr->total);
    vsm_message_add_u64(&w, VSM_TAG_REMAINING, pr->remaining);
    vsm_message_add_u64(&w, VSM_TAG_RATE, pr->bps);
    vsm_message_add_u64(&w, VSM_TAG_ITERATIONS, pr->iterations);
    vsm_message_add_u64(&w, VSM_TAG_ELAPSED_MS, (uint64_t)elapsed);
    if (pr->place > 0) {
        vsm_message_add_u64(&w, VSM_TAG_QUEUE_PLACE, pr->place);
        vsm_message_add_u64(&w, VSM_TAG_QUEUE_STATE,
                            pr->held_by_mend ? VSM_QUEUE_MENDING : VSM_QUEUE_WAITING);
    }
    if (!wire_send_message(r->w, &w, 5000, &err)) {
        vs_info("job %s: the caller went away (%s); the move goes on", m->job.id, err.message);
        *caller_gone = true;
    }
    vs_writer_free(&w);
}

/* ---- the destination's half, over the control connection ------------------------------ */

/* The destination's migration networks from its move-prepare answer. */
static void
read_addresses(struct move *m, const struct vsm_message *reply)
{
    struct vsm_record rec;
    size_t pos = 0;

    m->naddrs = 0;
    while (vsm_record_next(reply, &pos, &rec) && m->naddrs < NETPICK_MAX) {
        struct netpick_address *a = &m->addrs[m->naddrs];
        if (rec.kind == VSM_RECORD_ADDRESS &&
            vsm_record_text(&rec, VSM_TAG_NAME, a->address, sizeof a->address) &&
            vsm_record_text(&rec, VSM_TAG_NETWORK, a->network, sizeof a->network))
            m->naddrs++;
    }
}

static bool
destination_prepare(struct request_ctx *r, struct move *m, const char *xml, struct wire *w,
                    struct vs_error *err)
{
    const struct agent_config *c = r->s->cfg;
    struct agent_target t = { .host = m->job.to, .port = c->peer_port,
                              .confidential = c->confidentiality, .timeout_ms = PEER_TIMEOUT_MS };
    struct vsm_message *reply = malloc(sizeof *reply);
    enum agent_open_stage stage;
    struct vs_writer req;
    void *buf = NULL;
    bool ok = false;

    if (reply == NULL) {
        vs_error_set(err, VS_ERR_NOMEM, "out of memory");
        return false;
    }
    /* as the admin (S4U2Proxy) when an admin asked over the network; as this
     * host for root on this host's socket */
    if (!agent_open(w, &t, r->accepted, r->accepted ? NULL : r->s->acc, &stage, err)) {
        free(reply);
        return false;
    }
    agent_request_begin(w, &req, "move-prepare");
    vsm_message_add_text(&req, VSM_TAG_JOB, m->job.id);
    vsm_message_add_text(&req, VSM_TAG_VM, m->job.vm);
    vsm_message_add_text(&req, VSM_TAG_FROM, r->agent->host);
    vsm_message_add_text(&req, VSM_TAG_TO, m->job.to);
    vsm_message_add_text(&req, VSM_TAG_ON_BEHALF_OF, r->caller);
    vsm_message_add_text(&req, VSM_TAG_DOMAIN_XML, xml);
    /* the destination may hold the request in its own queue */
    ok = agent_call_ok(w, &req, reply, &buf, c->queue_timeout_ms + c->request_timeout_ms, err);
    if (!ok)
        vs_error_prefix(err, "%s", m->job.to);
    else
        read_addresses(m, reply);
    vs_writer_free(&req);
    free(buf);
    free(reply);
    return ok;
}

struct destination_result {
    bool answered;                     /* move-end had an answer */
    bool handed_off;
    int64_t resumed_at;
    long long handoff_ms;
    long long libvirt_downtime_ms;
    char error[VS_ERROR_MESSAGE_MAX + 600];
};

/* Tell the destination the move is over (ok or not) and learn its side. */
static void
destination_end(struct move *m, struct wire *w, bool migrated, struct destination_result *out)
{
    struct vsm_message *reply = malloc(sizeof *reply);
    struct vs_writer req;
    struct vs_error err;
    void *buf = NULL;

    memset(out, 0, sizeof *out);
    out->libvirt_downtime_ms = -1;
    if (reply == NULL)
        return;
    agent_request_begin(w, &req, "move-end");
    vsm_message_add_text(&req, VSM_TAG_JOB, m->job.id);
    vsm_message_add_u64(&req, VSM_TAG_RESULT, migrated ? VS_OK : VS_ERR_INTERNAL);
    if (agent_call(w, &req, NULL, NULL, reply, &buf, PEER_TIMEOUT_MS, &err)) {
        uint64_t v;
        out->answered = true;
        if (vsm_message_u64(reply, VSM_TAG_RESUMED_AT, &v)) {
            out->resumed_at = (int64_t)v;
            out->handed_off = true;
        }
        if (vsm_message_u64(reply, VSM_TAG_HANDOFF_MS, &v))
            out->handoff_ms = (long long)v;
        if (vsm_message_u64(reply, VSM_TAG_LIBVIRT_DOWNTIME_MS, &v))
            out->libvirt_downtime_ms = (long long)v;
        vsm_message_text(reply, VSM_TAG_MESSAGE, out->error, sizeof out->error);
    } else {
        snprintf(out->error, sizeof out->error, "%s did not say how its side ended: %s",
                 m->job.to, err.message);
    }
    vs_writer_free(&req);
    free(buf);
    free(reply);
}

/* ---- the move ------------------------------------------------------------------------------ */

static void
reply_moved(struct request_ctx *r, struct move *m, const struct progress *pr, long long total,
            const struct destination_result *d)
{
    struct vs_writer w;
    char msg[4096];
    long long down = d->resumed_at && m->stopped_at ? d->resumed_at - m->stopped_at : -1;

    r->move = (struct audit_move){ .present = true, .downtime_ms = down,
                                   .libvirt_downtime_ms = d->libvirt_downtime_ms,
                                   .handoff_ms = d->handoff_ms, .total_ms = total,
                                   .bytes = (long long)pr->processed,
                                   .iterations = (long long)pr->iterations, .role = "source",
                                   .definition_saved = m->definition_saved,
                                   .queued_ms = m->queued_ms,
                                   .network = m->network[0] ? m->network : NULL };
    char downtime[32] = "unknown", lost_end[2048] = "";
    if (down >= 0)
        snprintf(downtime, sizeof downtime, "%lld ms", down);
    if (m->migrate_rc != 0)
        snprintf(lost_end, sizeof lost_end, "; libvirt on %s failed after %s resumed it (%s): "
                 "its copy here is turned off and undefined once libvirt answers again",
                 r->agent->host, m->job.to, m->migrate_error[0] ? m->migrate_error : "no reason");
    snprintf(msg, sizeof msg, "%s runs on %s: downtime %s (hand-off %lld ms; libvirt says "
             "%lld ms), %lld ms in all, %.1f MiB in %llu pass%s%s%s%s", m->job.vm, m->job.to,
             downtime, d->handoff_ms, d->libvirt_downtime_ms, total,
             (double)pr->processed / 1048576.0, (unsigned long long)pr->iterations,
             pr->iterations == 1 ? "" : "es", lost_end,
             m->definition_saved ? "" : "; but its definition on the share is NOT current: ",
             m->definition_saved ? "" : m->definition_error.message);
    reply_begin(r, &w);
    vsm_message_add_text(&w, VSM_TAG_JOB, m->job.id);
    if (down >= 0)
        vsm_message_add_u64(&w, VSM_TAG_DOWNTIME_MS, (uint64_t)down);
    if (d->libvirt_downtime_ms >= 0)
        vsm_message_add_u64(&w, VSM_TAG_LIBVIRT_DOWNTIME_MS, (uint64_t)d->libvirt_downtime_ms);
    vsm_message_add_u64(&w, VSM_TAG_HANDOFF_MS, (uint64_t)d->handoff_ms);
    vsm_message_add_u64(&w, VSM_TAG_ELAPSED_MS, (uint64_t)total);
    vsm_message_add_u64(&w, VSM_TAG_MIGRATION_MS, (uint64_t)m->migration_ms);
    vsm_message_add_u64(&w, VSM_TAG_BYTES, pr->processed);
    vsm_message_add_u64(&w, VSM_TAG_ITERATIONS, pr->iterations);
    vsm_message_add_u64(&w, VSM_TAG_DEFINITION_SAVED, m->definition_saved);
    vsm_message_add_u64(&w, VSM_TAG_QUEUED_MS, (uint64_t)m->queued_ms);
    if (m->network[0])
        vsm_message_add_text(&w, VSM_TAG_NETWORK, m->network);
    if (!m->definition_saved)
        vsm_message_add_text(&w, VSM_TAG_DEFINITION_ERROR, m->definition_error.message);
    reply_send(r, &w, VS_OK, msg);
}

/* Where is the VM now that the migration failed? Say it in words. */
static void
reply_not_moved(struct request_ctx *r, struct move *m, bool cancelled, bool timed_out,
                const struct destination_result *d)
{
    char msg[6144], where[3200];
    int state = 0, reason = 0;
    /* the destination's reason first (libvirt says only "resume operation
     * failed" for a refused take-over), then a broken stream, then libvirt's */
    const char *why = d->error[0] ? d->error : m->stream_error[0] ? m->stream_error
                                                                   : m->migrate_error;
    /* exit 1 (vsmigrate(1)): the move ran and failed, the VM stays */
    enum vs_errcode code = timed_out ? VS_ERR_TIMEOUT : VS_ERR_FAILED;

    bool known = virDomainGetState(m->dom, &state, &reason, 0) == 0;
    if (!known && d->answered && !d->handed_off)
        snprintf(where, sizeof where, "libvirt on %s lost track of %s, and %s did not take it: "
                 "it runs again here once libvirt answers ('vsmigrate list --host %s' says when)",
                 r->agent->host, m->job.vm, m->job.to, r->agent->host);
    else if (!known)
        snprintf(where, sizeof where, "libvirt on %s no longer knows %s: 'vsmigrate list "
                 "--host %s' and '--host %s' say where it runs", r->agent->host, m->job.vm,
                 r->agent->host, m->job.to);
    else if (state == VIR_DOMAIN_RUNNING)
        snprintf(where, sizeof where, "%s runs on %s, as before", m->job.vm, r->agent->host);
    else if (state == VIR_DOMAIN_PAUSED && d->answered && !d->handed_off)
        /* libvirt's resume after the failed Finish met a lock plugin that
         * could not take the writer back yet (a disk export died in the
         * move): leftover_resume_source tries again */
        snprintf(where, sizeof where, "%s is paused on %s: libvirt could not resume it, its "
                 "disks' writer could not be taken back yet; %s did not take it, so the agent "
                 "here resumes it as soon as it can, for a minute ('vsmigrate list --host %s' "
                 "says when; after that, 'virsh resume %s' there once the cause is fixed)",
                 m->job.vm, r->agent->host, m->job.to, r->agent->host, m->job.vm);
    else if (state == VIR_DOMAIN_PAUSED)
        /* libvirt resumed it after a failed Finish, and the lock plugin could
         * not take the writer back: either nobody can (a refusing file
         * server), or the destination holds it because it runs the VM and
         * its Finish never reached us (libvirt's own hole) */
        snprintf(where, sizeof where, "%s is PAUSED on %s: it could not take its disks' writer "
                 "back. If 'vsmigrate list --host %s' shows it running there, the destination "
                 "took it over but libvirt's Finish never answered: this paused copy is stale "
                 "and can never run, and the agent here turns it off and undefines it as soon "
                 "as %s confirms it runs the VM holding its writer (seconds after the hosts "
                 "hear each other again). Otherwise 'virsh resume %s' on %s once the file "
                 "server lets it write", m->job.vm, r->agent->host, m->job.to, m->job.to,
                 m->job.vm, r->agent->host);
    else
        snprintf(where, sizeof where, "%s is not running on %s (libvirt state %d): 'vsmigrate "
                 "list' on both hosts says where it is", m->job.vm, r->agent->host, state);
    if (cancelled && m->not_converged)
        snprintf(msg, sizeof msg, "job %s did not reach its downtime of %lld ms within "
                 "converge_timeout (%lld s) and was cancelled, as --blackout-policy cancel asks "
                 "(the guest dirties memory faster than the link carries it: raise --bandwidth "
                 "or --max-downtime, or use --blackout-policy continue); %s", m->job.id,
                 m->max_downtime_ms, r->s->cfg->converge_timeout_ms / 1000, where);
    else if (cancelled)
        snprintf(msg, sizeof msg, "job %s was cancelled; %s", m->job.id, where);
    else if (timed_out)
        snprintf(msg, sizeof msg, "job %s ran past move_timeout in [migration] and was "
                 "cancelled; %s", m->job.id, where);
    else
        snprintf(msg, sizeof msg, "the move of %s to %s failed: %s; %s", m->job.vm, m->job.to,
                 why[0] ? why : "libvirt gave no reason", where);
    struct vs_writer w;
    reply_begin(r, &w);
    vsm_message_add_text(&w, VSM_TAG_JOB, m->job.id);
    reply_send(r, &w, code, msg);
}

/* The fault tests strike during the memory copy: a stream cannot stop
 * mid-way, so a test build slows the copy to 1 MiB/s (a dirtying guest then
 * never converges) while RUNTIME/test-hooks/pause-memory-copy exists, once
 * some memory has gone. */
static void
hold_memory_copy(struct request_ctx *r, struct move *m, const struct progress *pr)
{
    const char *dir = r->s->cfg->runtime_dir;

    if (!m->held && pr->processed >= 4u << 20 && test_hook_holding(dir, "memory-copy")) {
        if (virDomainMigrateSetMaxSpeed(m->dom, 1, 0) == 0)
            m->held = true;
    } else if (m->held && !test_hook_holding(dir, "memory-copy")) {
        virDomainMigrateSetMaxSpeed(m->dom, m->bandwidth_mib ? m->bandwidth_mib : BANDWIDTH_NO_CAP_MIB, 0);
        m->held = false;
    }
}

/* Run the migration, reporting progress, until it ends. */
static void
watch_migration(struct request_ctx *r, struct move *m, struct progress *pr, bool *cancelled,
                bool *timed_out)
{
    long long t0 = wire_now_ms();
    bool caller_gone = false, aborted = false;

    pthread_mutex_lock(&m->lock);
    while (!m->migrate_done) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += TICK_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&m->cond, &m->lock, &until);
        if (m->migrate_done)
            break;
        pthread_mutex_unlock(&m->lock);
        long long elapsed = wire_now_ms() - t0;
        /* the downtime limit is QEMU's migration parameter: set once the
         * migration runs (libvirt sets its own at the start) */
        if (!m->downtime_set && virDomainMigrateSetMaxDowntime(m->dom, (unsigned long long)m->max_downtime_ms, 0) == 0)
            m->downtime_set = true;
        if (!aborted && m->blackout_cancel && elapsed > r->s->cfg->converge_timeout_ms) {
            m->not_converged = true;   /* still copying: the downtime was not reached in time */
            *cancelled = true;
        }
        if (!aborted && jobs_cancelled(&m->agent->jobs, m->job.id))
            *cancelled = true;
        if (!aborted && elapsed > r->s->cfg->move_timeout_ms)
            *timed_out = true;
        if (!aborted && (*cancelled || *timed_out)) {
            /* QEMU stops the stream and libvirt resumes the VM here */
            aborted = true;
            if (virDomainAbortJob(m->dom) != 0)
                vs_warn("job %s: libvirt did not abort: %s", m->job.id, virt_error());
        }
        progress_read(m, pr);
        hold_memory_copy(r, m, pr);
        send_progress(r, m, aborted ? "cancelling" : "memory copy", pr, elapsed, &caller_gone);
        pthread_mutex_lock(&m->lock);
    }
    pthread_mutex_unlock(&m->lock);
}

static struct move *
move_new(struct request_ctx *r)
{
    struct move *m = calloc(1, sizeof *m);

    if (m == NULL)
        return NULL;
    m->agent = r->agent;
    m->s = r->s;
    m->lfd[0] = m->lfd[1] = m->stop[0] = m->stop[1] = -1;
    m->callback = -1;
    m->chosen = -1;
    for (int i = 0; i < STREAMS_MAX; i++)
        m->fds[i] = -1;
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->cond, NULL);
    return m;
}

static void
move_free(struct move *m)
{
    if (m->callback >= 0)
        virConnectDomainEventDeregisterAny(m->conn, m->callback);
    tunnel_close(m);
    if (m->dom)
        virDomainFree(m->dom);
    if (m->conn)
        virConnectClose(m->conn);
    free(m->definition);
    pthread_mutex_destroy(&m->lock);
    pthread_cond_destroy(&m->cond);
    free(m);
}

/* The job: its id, VM, ends, and the VM's export control sockets; the
 * VM's folder on the share. */
static bool
job_make(struct request_ctx *r, const char *xml, struct job *j, char *folder, size_t folderlen,
         struct vs_error *err)
{
    const struct agent_config *c = r->s->cfg;
    struct domxml_info *vm = calloc(1, sizeof *vm);
    uuid_t u;
    bool ok;

    if (vm == NULL) {
        vs_error_set(err, VS_ERR_NOMEM, "out of memory");
        return false;
    }
    memset(j, 0, sizeof *j);
    uuid_generate_random(u);
    uuid_unparse_lower(u, j->id);
    j->role = JOB_SOURCE;
    snprintf(j->vm, sizeof j->vm, "%s", r->vm);
    snprintf(j->from, sizeof j->from, "%s", r->agent->host);
    snprintf(j->to, sizeof j->to, "%s", r->to);
    snprintf(j->user, sizeof j->user, "%s", r->caller);
    snprintf(j->phase, sizeof j->phase, "prepare");
    ok = domxml_parse(xml, strlen(xml), vm, err) && move_controls_from_xml(vm, j, err) &&
         placement_check(vm, r->vm, c->shares, c->nshares, folder, folderlen, err);
    domxml_free(vm);
    free(vm);
    return ok;
}

/* Wait for this job's turn in this host's queue (max_simultaneous), telling
 * the caller its place; false after replying (cancelled, queue_timeout). */
static bool
queue_wait(struct request_ctx *r, struct move *m)
{
    const struct agent_config *c = r->s->cfg;
    long long t0 = wire_now_ms();
    struct progress pr = { 0 };
    bool gone = false;
    char msg[1024];

    for (;;) {
        enum jobs_turn turn = jobs_wait_turn(&r->agent->jobs, m->job.id, TICK_MS, &pr.place);
        if (turn == JOBS_TURN_GO) {
            m->turn_at = move_unix_ms();
            m->queued_ms = wire_now_ms() - t0;
            return true;
        }
        if (turn != JOBS_TURN_WAIT) {
            snprintf(msg, sizeof msg, "job %s was cancelled while it waited for a migration slot "
                     "on %s; %s stays on %s", m->job.id, r->agent->host, m->job.vm, r->agent->host);
            reply_error(r, VS_ERR_FAILED, msg);
            return false;
        }
        if (wire_now_ms() - t0 >= c->queue_timeout_ms) {
            snprintf(msg, sizeof msg, "job %s waited queue_timeout (%lld s) for a migration slot "
                     "on %s and was still at place %u (max_simultaneous = %d): try again later, "
                     "or raise max_simultaneous or queue_timeout in [migration]; %s stays on %s",
                     m->job.id, c->queue_timeout_ms / 1000, r->agent->host, pr.place,
                     c->max_simultaneous, m->job.vm, r->agent->host);
            reply_error(r, VS_ERR_TIMEOUT, msg);
            return false;
        }
        struct job now;
        pr.held_by_mend = jobs_find(&r->agent->jobs, m->job.id, &now) && now.held_by_mend;
        send_progress(r, m, "queued", &pr, wire_now_ms() - t0, &gone);
    }
}

/* Everything up to the memory copy; false after replying. */
static bool
move_prepare(struct request_ctx *r, struct move *m, struct wire *dest, bool *dest_open)
{
    struct report *rep;
    struct vs_error err;
    char *xml = NULL;

    rep = preflight_report(r, &xml);
    if (rep == NULL) {
        free(xml);
        reply_error(r, VS_ERR_NOMEM, "out of memory");
        return false;
    }
    if (report_failures(rep) > 0) {   /* nothing has changed anywhere */
        reply_report(r, rep);
        free(xml);
        return false;
    }
    free(rep);
    test_hook_pause(r->s->cfg->runtime_dir, "pre-flight");
    if (!job_make(r, xml, &m->job, m->folder, sizeof m->folder, &err) ||
        !jobs_add(&r->agent->jobs, &m->job, &err)) {
        free(xml);
        reply_error(r, err.code, err.message);
        return false;
    }
    snprintf(r->job, sizeof r->job, "%s", m->job.id);
    if (!queue_wait(r, m)) {
        jobs_remove(&r->agent->jobs, m->job.id);
        free(xml);
        return false;
    }
    /* from here on the supervisor leaves the VM to the move (it mends a VM
     * whose move waits, and the move waits for it): one that an I/O error
     * paused since the supervisor's last look would go paused, and its
     * export would come back only after the move; it stays, and is mended
     * here. Looked at once its turn came, just before anything starts */
    if (virt_io_error_paused(r->s->cfg->libvirt_uri, r->vm)) {
        jobs_remove(&r->agent->jobs, m->job.id);
        free(xml);
        char msg[1024];
        snprintf(msg, sizeof msg, "%s stays on %s, nothing moved: an I/O error on its disks "
                 "paused it (a disk export died; the agent there starts it again and resumes "
                 "the VM within seconds, see vsmigrated(8)); move it again once 'vsmigrate list "
                 "--host %s' shows it running", r->vm, r->agent->host, r->agent->host);
        reply_error(r, VS_ERR_UNAVAILABLE, msg);
        return false;
    }
    /* tests: two moves toward each other, each holding its slot here */
    test_hook_pause(r->s->cfg->runtime_dir, "destination-prepare");
    jobs_set_awaiting_destination(&r->agent->jobs, m->job.id, true);
    *dest_open = destination_prepare(r, m, xml, dest, &err);
    jobs_set_awaiting_destination(&r->agent->jobs, m->job.id, false);
    free(xml);
    if (!*dest_open || !tunnel_listen(m, &err)) {
        jobs_remove(&r->agent->jobs, m->job.id);
        vs_error_prefix(&err, "%s stays on %s", r->vm, r->agent->host);
        reply_error(r, err.code, err.message);
        return false;
    }
    m->conn = virConnectOpen(r->s->cfg->libvirt_uri);
    m->dom = m->conn ? virDomainLookupByName(m->conn, r->vm) : NULL;
    if (m->dom)
        m->callback = virConnectDomainEventRegisterAny(m->conn, m->dom, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                                       VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), m, NULL);
    if (m->dom == NULL) {
        jobs_remove(&r->agent->jobs, m->job.id);
        snprintf(err.message, sizeof err.message, "libvirt on %s lost %s: %s", r->agent->host,
                 r->vm, virt_error());
        reply_error(r, VS_ERR_NOTFOUND, err.message);
        return false;
    }
    /* what the destination will hold (libvirt carries it in the cookie),
     * secrets included, as the share's copy had them */
    m->definition = virDomainGetXMLDesc(m->dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
    if (m->definition == NULL)
        vs_error_set(&m->definition_error, VS_ERR_UNAVAILABLE, "libvirt on %s did not give its "
                     "persistent definition: %s", r->agent->host, virt_error());
    return true;
}

/* The move's options: the request's, else this host's defaults; false
 * after replying. */
static bool
move_options(struct request_ctx *r, struct move *m)
{
    const struct agent_config *c = r->s->cfg;
    uint64_t v;
    char policy[16] = "";

    m->bandwidth_mib = (unsigned long long)c->bandwidth_mib;
    m->max_downtime_ms = c->max_downtime_ms;
    m->blackout_cancel = c->blackout_cancel;
    m->compress = c->compress;
    if (vsm_message_u64(r->req, VSM_TAG_BANDWIDTH, &v))
        m->bandwidth_mib = v;
    if (vsm_message_u64(r->req, VSM_TAG_MAX_DOWNTIME_MS, &v))
        m->max_downtime_ms = (long long)v;
    if (vsm_message_u64(r->req, VSM_TAG_COMPRESS, &v))
        m->compress = v != 0;
    if (vsm_message_text(r->req, VSM_TAG_BLACKOUT_POLICY, policy, sizeof policy))
        m->blackout_cancel = strcmp(policy, "cancel") == 0;
    if (m->bandwidth_mib > 1000000 || m->max_downtime_ms < 1 || m->max_downtime_ms > 60000 ||
        (policy[0] && strcmp(policy, "cancel") != 0 && strcmp(policy, "continue") != 0)) {
        reply_error(r, VS_ERR_INVALID, "--bandwidth takes 1 to 1000000 MiB/s, --max-downtime 1 "
                    "to 60000 ms, --blackout-policy cancel or continue");
        return false;
    }
    /* multifd compression (zlib, zstd) came with libvirt 9.4; XBZRLE, the
     * one-stream method, is refused with multifd */
    unsigned long lib = 0;
    if (m->compress && m->parallel > 0 && (virGetVersion(&lib, NULL, NULL) != 0 || lib < 9004000)) {
        reply_error(r, VS_ERR_INVALID, "--compress with --parallel needs multifd compression, "
                    "which libvirt offers from 9.4 on; this host has an older one: use one of "
                    "the two");
        return false;
    }
    return true;
}

void
do_move(struct request_ctx *r)
{
    struct move *m;
    struct wire dest;
    struct progress pr = { 0 };
    struct destination_result d;
    bool dest_open = false, cancelled = false, timed_out = false;
    pthread_t th;
    long long t0 = wire_now_ms();

    uint64_t parallel = 0;
    if (!request_vm_route(r, "move"))
        return;
    if (vsm_message_u64(r->req, VSM_TAG_PARALLEL, &parallel) &&
        (parallel < 1 || parallel > VSM_PARALLEL_MAX)) {
        reply_error(r, VS_ERR_INVALID, "--parallel takes 1 to 8 channels");
        return;
    }
    m = move_new(r);
    if (m == NULL) {
        reply_error(r, VS_ERR_NOMEM, "out of memory");
        return;
    }
    m->parallel = (unsigned)parallel;
    if (!move_options(r, m))
        goto out_free;
    wire_init(&dest, -1, r->to);
    if (!move_prepare(r, m, &dest, &dest_open))
        goto out;
    send_progress(r, m, "memory copy", &pr, 0, &(bool){ false });
    if (crashtrace_thread_create(&th, NULL, migrate_run, m) != 0) {
        reply_error(r, VS_ERR_INTERNAL, "cannot start the migration's thread");
        jobs_remove(&r->agent->jobs, m->job.id);
        goto out;
    }
    watch_migration(r, m, &pr, &cancelled, &timed_out);
    pthread_join(th, NULL);
    if (m->migrate_rc == 0)   /* the VM runs on the destination; nothing said yet */
        test_hook_pause(r->s->cfg->runtime_dir, "after-resume");
    destination_end(m, &dest, m->migrate_rc == 0, &d);
    if (m->migrate_rc != 0 && d.handed_off) {
        /* libvirt here failed after the destination took the writer and
         * resumed the VM (libvirtd died between Finish and Confirm, so
         * VIR_MIGRATE_UNDEFINE_SOURCE never ran): the VM moved, and what
         * libvirt here keeps of it can never run again */
        vs_warn("job %s: libvirt failed after %s resumed %s (%s): the VM moved; its copy here "
                "goes", m->job.id, m->job.to, m->job.vm, m->migrate_error);
        leftover_forget(r->s->cfg, &r->agent->jobs, m->job.vm, m->job.id, true);
    }
    if (m->migrate_rc != 0 && !d.handed_off && d.answered)
        /* the destination's job is over without the writer: it never takes
         * the VM, so the copy here is the VM, even if libvirt here lost
         * track of the migration */
        leftover_resume_source(r->s->cfg, &r->agent->jobs, m->job.vm, m->job.id);
    if (m->migrate_rc == 0 || d.handed_off) {
        long long total = wire_now_ms() - t0;
        send_progress(r, m, "saving definition", &pr, total, &(bool){ false });
        m->definition_saved = m->definition &&
                              definition_save(r, m->folder, m->definition, m->dir, &m->definition_error);
        if (!m->definition_saved)
            vs_warn("job %s: %s", m->job.id, m->definition_error.message);
        reply_moved(r, m, &pr, total, &d);
        /* the slot is let go just below: its end, for the audit */
        r->move.slot_from = m->turn_at;
        r->move.slot_until = move_unix_ms();
    } else
        reply_not_moved(r, m, cancelled, timed_out, &d);
    jobs_remove(&r->agent->jobs, m->job.id);
out:
    if (dest_open)
        wire_close(&dest);
out_free:
    move_free(m);
}

/* The destination asks this host, as itself, to let the writer go. */
void
do_handoff_release(struct request_ctx *r)
{
    struct job j;
    struct vs_error err;
    char msg[1024];

    vsm_message_text(r->req, VSM_TAG_JOB, r->job, sizeof r->job);
    if (!jobs_find(&r->agent->jobs, r->job, &j) || j.role != JOB_SOURCE ||
        !vs_host_same(j.to, r->who->via)) {
        snprintf(msg, sizeof msg, "%s has no move %s toward %s", r->agent->host, r->job,
                 r->who->via);
        reply_error(r, VS_ERR_DENIED, msg);
        return;
    }
    snprintf(r->vm, sizeof r->vm, "%s", j.vm);
    snprintf(r->to, sizeof r->to, "%s", j.to);
    if (handoff_release_writer(r->agent, &j, &err))
        reply_error(r, VS_OK, NULL);
    else
        reply_error(r, err.code, err.message);
}
