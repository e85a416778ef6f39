/* SPDX-License-Identifier: GPL-3.0-or-later */
/* smbio/disk.c: one VM disk file on an SMB3 share, through libsmbclient.
 *
 * The connections ("lanes") and how requests go out on them are in
 * smbio/lane.c; the read-ahead in smbio/readahead.c.
 *
 * Flushing: libsmbclient 4.17 exports no fsync, and Samba's cli_flush speaks
 * SMB1 only. A write-through (smbio_libsmb_write_through) makes the server
 * fsync the file. When that call or the handle's layout check fails, flush
 * fails loudly rather than claim a durability it does not have (the fix:
 * "sync always = yes" on the share). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libsmbclient.h>
#include <krb5/krb5.h>
#include <talloc.h>
#include <tevent.h>

#include "common/krb5util.h"
#include "smbio/context.h"
#include "smbio/disk.h"
#include "smbio/lane.h"
#include "smbio/libsmb.h"
#include "smbio/threads.h"

/* errno from libsmbclient, as a sentence for this disk. */
static void
open_error(const struct smbio_disk *d, int e, bool writer, struct vs_error *err)
{
    switch (e) {
    case ENOENT:
    case ENOTDIR:
        vs_error_set(err, VS_ERR_NOTFOUND, "%s does not exist on the share: check the path, or "
                     "create the disk first", d->url);
        break;
    case EACCES:
    case EPERM:
        vs_error_set(err, VS_ERR_DENIED, "the file server refused %s access to %s for %s: "
                     "grant that account (for a host, its computer account NAME$) Modify on the "
                     "share or the VM's folder (vsmigrate-share provision)",
                     writer ? "read-write" : "read", d->url,
                     d->principal ? d->principal : "these credentials");
        break;
    case EBUSY:
    case ETXTBSY:
        vs_error_set(err, VS_ERR_BUSY, "another client holds the writer handle of %s (the file "
                     "server refused a second writer): release it there first, or wait until a "
                     "dead host's handle times out (smbstatus on the server shows the holder)",
                     d->url);
        break;
    case ECONNREFUSED:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case ETIMEDOUT:
    case ECONNRESET:
        vs_error_set(err, VS_ERR_UNAVAILABLE, "cannot reach the file server %s: %s (is smbd "
                     "running, and TCP port 445 open?)", d->parts.server, strerror(e));
        break;
    default:
        vs_error_set(err, VS_ERR_IO, "opening %s failed: %s (check the Kerberos ticket in the "
                     "ccache and that the server offers SMB3)", d->url, strerror(e));
    }
}

/* The writer handle was taken (held) or let go: tell the owner (a journal
 * of who wrote when, kept by the export). */
static void
writer_event(struct smbio_disk *d, bool held, const char *why)
{
    if (d->opts.on_writer)
        d->opts.on_writer(d->opts.opaque, held, why);
}

static SMBCFILE *
open_handle(struct smbio_disk *d, struct lane *l, bool writer, struct vs_error *err)
{
    SMBCFILE *f;
    int e;

    smbio_setup_lock();
    smbc_setOptionOpenShareMode(l->ctx, writer ? SMBC_SHAREMODE_DENY_WRITE : SMBC_SHAREMODE_DENY_NONE);
    f = smbc_getFunctionOpen(l->ctx)(l->ctx, d->url, writer ? O_RDWR : O_RDONLY, 0);
    e = errno;
    smbio_setup_unlock();
    if (f == NULL)
        open_error(d, e, writer, err);
    else if (writer)
        writer_event(d, true, "taken");
    return f;
}

/* A new context for a lane, with the reader open (and the writer, when
 * asked). On failure the lane is left without a context. */
static bool
lane_connect(struct smbio_disk *d, struct lane *l, bool writer, struct vs_error *err)
{
    smbio_setup_lock();
    l->ctx = smbio_context_new(d->principal, err);
    smbio_setup_unlock();
    if (l->ctx == NULL)
        return false;
    l->reader = open_handle(d, l, false, err);
    if (l->reader != NULL && writer)
        l->writer = open_handle(d, l, true, err);
    if (l->reader == NULL || (writer && l->writer == NULL)) {
        smbio_setup_lock();
        smbc_free_context(l->ctx, 1);   /* closes whatever it opened */
        smbio_setup_unlock();
        l->ctx = NULL;
        l->reader = l->writer = NULL;
        return false;
    }
    return true;
}

/* Drop a lane's connection. Freeing the context closes its TCP connection,
 * so the server lets go of its handles (and of a stale writer's share mode,
 * which would otherwise refuse our own re-take). */
static void
lane_disconnect(struct smbio_disk *d, struct lane *l)
{
    if (l->ctx == NULL)
        return;
    smbio_setup_lock();
    if (l->writer)
        smbc_getFunctionClose(l->ctx)(l->ctx, l->writer);
    bool had_writer = l->writer != NULL;
    if (l->reader)
        smbc_getFunctionClose(l->ctx)(l->ctx, l->reader);
    smbc_free_context(l->ctx, 1);
    smbio_setup_unlock();
    l->ctx = NULL;
    l->reader = l->writer = NULL;
    if (had_writer)   /* the connection is gone: so is the server's handle */
        writer_event(d, false, "disconnected");
}

bool
smbio_errno_is_session_lost(int e)
{
    switch (e) {
    case ECONNABORTED:   /* the server closed the connection (restart, kill) */
    case ECONNRESET:
    case ENETRESET:      /* the server ended a connection we could not reach */
    case ENETDOWN:
    case EHOSTDOWN:
    case EPIPE:
    case ENOTCONN:
    case ETIMEDOUT:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case ECONNREFUSED:
    case EINVAL:         /* NT_STATUS_NETWORK_SESSION_EXPIRED: the ticket ran out */
    case EIO:
    case EBADF:
        return true;
    default:
        return false;
    }
}

static uint64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Reconnect a lane whose session died, with the lane held. Backs off from
 * 50 ms to 2 s between attempts until the reconnect timeout. Lane 0 re-takes
 * the writer if the disk is active; if the server refuses because another
 * client took it in the gap, the disk drops to standby: the fence held. */
bool
lane_reconnect(struct smbio_disk *d, struct lane *l, struct vs_error *err)
{
    uint64_t deadline = now_ms() + d->opts.reconnect_timeout_ms;
    unsigned delay = 50;
    uint64_t busy_until = now_ms() + (d->opts.reconnect_timeout_ms < 5000 ? d->opts.reconnect_timeout_ms : 5000);
    bool writer_lane = l == &d->lanes[0];

    for (;;) {
        bool want_writer = writer_lane && d->want_active;
        struct vs_error e;

        if (d->opts.before_reconnect)
            d->opts.before_reconnect(d->opts.opaque);
        lane_disconnect(d, l);
        if (lane_connect(d, l, want_writer, &e)) {
            d->reconnects++;
            /* another client may have written while we were away: what was
             * read ahead before is stale */
            d->writes_started++;
            d->writes_done++;
            return true;
        }
        /* Our own dead connection's handle may outlive it for a moment on
         * the server; only a refusal that lasts means another writer. */
        if (want_writer && e.code == VS_ERR_BUSY && now_ms() < busy_until)
            goto again;
        if (want_writer && e.code == VS_ERR_BUSY && lane_connect(d, l, false, &e)) {
            d->want_active = false;
            d->writer_lost++;
            d->reconnects++;
            vs_error_set(err, VS_ERR_BUSY, "the SMB session to %s was lost, and while it was "
                         "down another client took the writer handle of %s: this export is "
                         "standby now (promote it again only after the other writer released it)",
                         d->parts.server, d->url);
            return false;
        }
        if (e.code == VS_ERR_NOTFOUND || e.code == VS_ERR_DENIED) {
            *err = e;   /* not transient: the file or our access to it went */
            vs_error_prefix(err, "reconnecting after a lost SMB session");
            return false;
        }
        if (now_ms() >= deadline) {
            *err = e;
            vs_error_prefix(err, "the SMB session to %s was lost and reconnecting failed for "
                            "%u ms (raise reconnect-timeout= if the server needs longer)",
                            d->parts.server, d->opts.reconnect_timeout_ms);
            return false;
        }
    again:
        /* the last wait ends at the deadline, for one last attempt there */
        if (now_ms() + delay > deadline)
            delay = (unsigned)(deadline - now_ms()) + 1;
        usleep(delay * 1000);
        delay = delay * 2 > 2000 ? 2000 : delay * 2;
    }
}

/* Pipelined or serial, as asked and as this Samba allows. */
static bool
io_choose(struct smbio_disk *d, struct vs_error *err)
{
    const char *why = NULL;
    bool can = smbio_libsmb_async_available(&why);

    if (d->opts.io == SMBIO_IO_PIPELINED && !can) {
        vs_error_set(err, VS_ERR_INVALID, "io=pipelined is not possible here: %s (use "
                     "io=serial, or leave io= out to fall back by itself)", why);
        return false;
    }
    d->pipelined = can && d->opts.io != SMBIO_IO_SERIAL;
    return true;
}

static void
lane_fini(struct smbio_disk *d, struct lane *l)
{
    lane_disconnect(d, l);
    talloc_free(l->ev);   /* with its fd event */
    l->ev = NULL;
    talloc_free(l->answered);
    l->answered = NULL;
    if (l->wake_fd >= 0)
        close(l->wake_fd);
    l->wake_fd = -1;
    pthread_cond_destroy(&l->free);
    pthread_mutex_destroy(&l->lock);
}

enum smbio_mode
smbio_disk_mode(const struct smbio_disk *d)
{
    return d->want_active ? SMBIO_ACTIVE : SMBIO_STANDBY;
}

void
smbio_disk_counters(const struct smbio_disk *d, struct smbio_disk_counters *c)
{
    c->reconnects = d->reconnects;
    c->writer_lost = d->writer_lost;
    c->max_in_flight = d->max_in_flight;
    c->readahead_hits = d->readahead_hits;
    c->pipelined = d->pipelined;
}

/* A request's errno as a sentence; false, so callers can return it. */
static bool
request_failed(const struct smbio_disk *d, const struct op *op, int e, struct vs_error *err)
{
    static const char *const what[] = { "read of", "write of", "reading the size of", "flushing" };

    if (e <= 0)
        return false;   /* err is set already */
    if (op->kind == OP_READ || op->kind == OP_WRITE)
        vs_error_set(err, VS_ERR_IO, "%s %zu bytes at %llu %s %s failed: %s (the file server's "
                     "answer; its log, or smbstatus, tells more)", what[op->kind], op->len,
                     (unsigned long long)op->off, op->kind == OP_READ ? "from" : "to", d->url, strerror(e));
    else
        vs_error_set(err, VS_ERR_IO, "%s %s failed: %s (the file server's answer; its log, or "
                     "smbstatus, tells more)", what[op->kind], d->url, strerror(e));
    return false;
}

bool
smbio_disk_size(struct smbio_disk *d, uint64_t *size, struct vs_error *err)
{
    struct op op;
    int e;

    op_init(&op, OP_SIZE, NULL, 0, 0);
    e = run_with_reconnect(d, lane_for_read(d), &op, err);
    if (e != 0)
        return request_failed(d, &op, e, err);
    *size = op.size;
    return true;
}

bool
smbio_disk_pread(struct smbio_disk *d, void *buf, size_t len, uint64_t off, struct vs_error *err)
{
    struct lane *l;
    struct op op;
    int e;

    if (d->pipelined && readahead_take(d, buf, len, off))
        return true;
    l = lane_for_read(d);
    if (d->pipelined)
        readahead_ask(d, l, off, len);
    op_init(&op, OP_READ, buf, len, off);
    e = run_with_reconnect(d, l, &op, err);
    return e == 0 || request_failed(d, &op, e, err);
}

static bool
refuse_standby(struct smbio_disk *d, struct vs_error *err)
{
    vs_error_set(err, VS_ERR_DENIED, "%s is in standby (read-only): promote it before writing", d->url);
    errno = EROFS;
    return false;
}

bool
smbio_disk_pwrite(struct smbio_disk *d, const void *buf, size_t len, uint64_t off, struct vs_error *err)
{
    struct op op;
    int e;

    if (!d->want_active)
        return refuse_standby(d, err);
    op_init(&op, OP_WRITE, (void *)buf, len, off);
    d->writes_started++;   /* before it is sent: a read-ahead sent from now on is stale */
    e = run_with_reconnect(d, &d->lanes[0], &op, err);
    d->writes_done++;
    if (e == EROFS)
        return refuse_standby(d, err);
    return e == 0 || request_failed(d, &op, e, err);
}

/* With lane 0 held. */
static bool
flush_held(struct smbio_disk *d, struct vs_error *err)
{
    struct op op;
    int e;

    if (!d->want_active || d->opts.flush == SMBIO_FLUSH_SERVER)
        return true;   /* standby never wrote; or the server syncs every write */
    op_init(&op, OP_FLUSH, NULL, 0, 0);
    op.lane = &d->lanes[0];
    e = op_blocking(d, &d->lanes[0], &op, err);
    for (int tries = 0; e > 0 && smbio_errno_is_session_lost(e) && tries < 2; tries++) {
        if (!lane_reconnect(d, &d->lanes[0], err)) {
            e = -1;
            break;
        }
        d->lanes[0].gen++;
        e = op_blocking(d, &d->lanes[0], &op, err);
    }
    return e == 0 || request_failed(d, &op, e, err);
}

bool
smbio_disk_flush(struct smbio_disk *d, struct vs_error *err)
{
    bool ok;

    lane_hold(&d->lanes[0]);
    ok = flush_held(d, err);
    lane_let_go(&d->lanes[0]);
    return ok;
}

bool
smbio_disk_promote(struct smbio_disk *d, struct vs_error *err)
{
    struct lane *l = &d->lanes[0];
    bool ok = true;

    lane_hold(l);
    if (l->writer == NULL) {
        if (l->ctx == NULL) {
            ok = lane_reconnect(d, l, err);
            l->gen++;
        }
        if (ok && l->writer == NULL)
            ok = (l->writer = open_handle(d, l, true, err)) != NULL;
    }
    if (ok) {
        d->writes_started++;   /* others wrote while we were standby */
        d->writes_done++;
        d->want_active = true;
    }
    lane_let_go(l);
    return ok;
}

bool
smbio_disk_release(struct smbio_disk *d, struct vs_error *err)
{
    struct lane *l = &d->lanes[0];
    bool ok = true;
    int rc;

    lane_hold(l);
    if (!d->want_active)
        goto out;
    if (!flush_held(d, err)) {
        ok = false;   /* stay active: nothing may be lost */
        goto out;
    }
    smbio_setup_lock();
    bool had_writer = l->writer != NULL;
    rc = had_writer ? smbc_getFunctionClose(l->ctx)(l->ctx, l->writer) : 0;
    smbio_setup_unlock();
    l->writer = NULL;
    if (had_writer && rc == 0)
        writer_event(d, false, "released");
    d->want_active = false;
    d->writes_started++;   /* from now on others may write: nothing read ahead stays */
    d->writes_done++;
    if (rc < 0) {
        /* The close was not acknowledged, so the server may still hold the
         * handle: dropping the connection makes sure it lets go. */
        lane_disconnect(d, l);
        writer_event(d, false, "released");   /* with the connection it was on */
        l->gen++;
        if (!lane_connect(d, l, false, err))
            ok = false;
    }
out:
    lane_let_go(l);
    return ok;
}

/* ---- opening and closing ------------------------------------------------------ */

bool
smbio_disk_open(const char *url, const char *ccache, enum smbio_mode mode,
                const struct smbio_disk_options *opts, struct smbio_disk **out, struct vs_error *err)
{
    struct smbio_disk *d;

    *out = NULL;
    d = calloc(1, sizeof *d);
    if (d == NULL) {
        vs_error_set(err, VS_ERR_NOMEM, "out of memory");
        return false;
    }
    if (opts)
        d->opts = *opts;
    if (d->opts.connections == 0)
        d->opts.connections = 4;
    if (d->opts.reconnect_timeout_ms == 0)
        d->opts.reconnect_timeout_ms = 60000;
    if (d->opts.connections > SMBIO_CONNECTIONS_MAX) {
        vs_error_set(err, VS_ERR_INVALID, "connections=%u is more than %d", d->opts.connections,
                     SMBIO_CONNECTIONS_MAX);
        free(d);
        return false;
    }
    if (!smbio_url_parse(url, &d->parts, err)) {
        free(d);
        return false;
    }
    snprintf(d->url, sizeof d->url, "%s", url);
    if (ccache == NULL || strncmp(ccache, "FILE:", 5) != 0 || access(ccache + 5, R_OK) != 0) {
        vs_error_set(err, VS_ERR_AUTH, "the Kerberos ccache '%s' is not a readable FILE: ccache "
                     "(libsmbclient cannot read MEMORY: ccaches)", ccache ? ccache : "");
        free(d);
        return false;
    }
    /* before libsmbclient's first call; only several connections need it */
    if (!smbio_threads_init(err) && d->opts.connections > 1) {
        free(d);
        return false;
    }
    char principal[512];
    /* the ccache's default principal: the user name libsmbclient asks for */
    d->principal = vs_krb5_ccache_principal(ccache, principal, sizeof principal) ? strdup(principal) : NULL;
    if (d->principal == NULL) {
        vs_error_set(err, VS_ERR_AUTH, "the Kerberos ccache '%s' holds no principal: fill it with "
                     "the host's tickets first (kinit -k -t KEYTAB 'HOST$@REALM' -c %s)", ccache, ccache);
        free(d);
        return false;
    }
    /* libsmbclient takes its ccache from the environment, process-wide */
    setenv("KRB5CCNAME", ccache, 1);
    if (!io_choose(d, err)) {
        free(d->principal);
        free(d);
        return false;
    }
    d->want_active = mode == SMBIO_ACTIVE;
    pthread_mutex_init(&d->ra.lock, NULL);
    pthread_cond_init(&d->ra.changed, NULL);
    d->ra.next_off = UINT64_MAX;
    d->nlanes = d->opts.connections;
    for (unsigned i = 0; i < d->nlanes; i++)
        lane_init(d, &d->lanes[i]);
    for (unsigned i = 0; i < d->nlanes; i++) {
        if (!lane_loop_create(d, &d->lanes[i], err) ||
            !lane_connect(d, &d->lanes[i], i == 0 && mode == SMBIO_ACTIVE, err)) {
            smbio_disk_close(d);
            return false;
        }
    }
    if (!readahead_start(d, err)) {
        smbio_disk_close(d);
        return false;
    }
    *out = d;
    return true;
}

void
smbio_disk_close(struct smbio_disk *d)
{
    if (d == NULL)
        return;
    readahead_stop(d);
    for (unsigned i = 0; i < d->nlanes; i++)
        lane_fini(d, &d->lanes[i]);
    pthread_cond_destroy(&d->ra.changed);
    pthread_mutex_destroy(&d->ra.lock);
    free(d->principal);
    free(d);
}
