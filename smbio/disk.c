/* smbio/disk.c: one VM disk file on an SMB3 share, through libsmbclient.
 *
 * A lane is one SMB connection. Its holder is the one thread that may use
 * its libsmbclient context at a time: either for one blocking call (open,
 * size, flush, promote, release, reconnect, or any request when serial), or
 * as the pipeline's leader, which sends the requests other threads queued on
 * the lane with Samba's asynchronous calls and runs the lane's tevent loop
 * until its own request is answered; it then hands the loop to a thread
 * whose request is still in flight. Nobody else ever touches the context,
 * which libsmbclient needs (it is not thread-safe within a context), and no
 * extra thread sits in the path: with one request at a time, the caller
 * sends and receives it itself.
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
#include <linux/futex.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <talloc.h>
#include <tevent.h>

#include "smbio/disk.h"
#include "smbio/libsmb.h"
#include "smbio/threads.h"

/* A read fills the first lanes first: another lane is opened only once this
 * many requests wait on each before it. A connection used now and then
 * restarts TCP slow start after each pause (a QD1 sequential read ran at 40%
 * of libsmbclient's speed when requests rotated over 8 connections), and one
 * connection carries 8 pipelined reads faster than 8 connections one each. */
#define LANE_SPREAD 4

/* One read or write, or a blocking request, on a lane. Lives on its
 * caller's stack; the fields below "lane" change under the lane's lock. */
struct op {
    enum { OP_READ, OP_WRITE, OP_SIZE, OP_FLUSH } kind;
    char *buf;
    size_t len;
    uint64_t off;
    uint64_t size;            /* OP_SIZE's answer */
    struct lane *lane;
    size_t done;              /* bytes read or written so far */
    unsigned gen;             /* the lane connection it went out on */
    int err;                  /* once finished: 0, an errno, or -1 (with a vs_error) */
    /* OP_FINISHED, OP_LEAD (its thread was handed the lane), OP_ASLEEP: set
     * under the lane's lock, read without it, so that the thread of a
     * finished request returns without touching the lock (it would only
     * contend with the holder that just woke it) */
    _Atomic uint32_t state;
    struct op *next;          /* in the lane's queue or in-flight list */
};

enum { OP_FINISHED = 1, OP_LEAD = 2, OP_ASLEEP = 4 };

struct lane {
    struct smbio_disk *disk;
    pthread_mutex_t lock;
    pthread_cond_t free;      /* held went false */
    bool held;                /* a thread holds the lane (see the top of the file) */
    unsigned blocking_waiting;/* threads waiting to hold it for a blocking call */
    bool leader_asleep;       /* the holder waits in tevent: wake it to send more */
    struct op *queue, **queue_end;   /* not sent yet */
    struct op *sent;          /* in flight */
    unsigned nsent;
    _Atomic unsigned load;    /* queued + in flight: for choosing a lane */
    unsigned gen;             /* counts the lane's connections */
    /* the holder's alone: */
    SMBCCTX *ctx;
    SMBCFILE *reader;
    SMBCFILE *writer;         /* lane 0 only, while active */
    struct tevent_context *ev;/* pipelined: the lane's event loop */
    int wake_fd;              /* pipelined: an eventfd the loop watches */
    TALLOC_CTX *answered;     /* pipelined: answered requests, freed after the loop turn */
};

/* Read-ahead, for a client that reads one request at a time in order: while
 * the answer to one read travels to the client and the client asks for the
 * next, the next is already on its way from the server, read by the disk's
 * read-ahead thread (which also takes in the answer, so that its decoding
 * is not in the next request's path). Only while active: then no other
 * client can write the file (the share mode), so the data read ahead can
 * only be changed by our own writes, and any write started after it was
 * asked for discards it, as does a release or a reconnect. Standby reads
 * always go to the server. Pipelined lanes only: the read-ahead goes out on
 * the same connection as the read that asked for it. */
#define READAHEAD_MAX (2u << 20)

struct readahead {
    pthread_mutex_t lock;     /* everything below */
    pthread_cond_t changed;
    uint64_t next_off;        /* where the last read ended: a read here is in order */
    enum { RA_IDLE, RA_ASKED, RA_SENT, RA_READY } state;
    bool claimed;             /* a read waits for it */
    bool stop;
    uint64_t off;
    size_t len;
    struct lane *lane;
    uint64_t writes_at_ask;   /* d->writes_started when it was asked for */
    int err;                  /* when READY */
    char *buf;                /* READAHEAD_MAX bytes */
    pthread_t thread;
    bool running;
};

struct smbio_disk {
    char *principal;
    char url[SMBIO_URL_MAX];
    struct smbio_url parts;
    struct smbio_disk_options opts;
    bool pipelined;
    /* Whether the disk should hold the writer: survives a lost session, so
     * the reconnect re-takes it. Changed only while lane 0 is held. */
    _Atomic bool want_active;
    _Atomic uint64_t reconnects, writer_lost, max_in_flight;
    /* writes sent and answered; a mode change counts as both */
    _Atomic uint64_t writes_started, writes_done;
    _Atomic uint64_t readahead_hits;
    struct readahead ra;
    unsigned nlanes;
    struct lane lanes[SMBIO_CONNECTIONS_MAX];
};

static void
auth_fn(SMBCCTX *c, const char *srv, const char *shr, char *wg, int wglen, char *un, int unlen,
        char *pw, int pwlen)
{
    /* Kerberos only: no password is ever offered. libsmbclient treats an
     * empty user name as "anonymous", so it gets the ccache's principal,
     * which Kerberos authentication then ignores in favour of the ticket. */
    const char *principal = smbc_getOptionUserData(c);

    (void)srv; (void)shr; (void)wg; (void)wglen;
    if (unlen > 0)
        snprintf(un, (size_t)unlen, "%s", principal ? principal : "kerberos");
    if (pwlen > 0)
        pw[0] = '\0';
}

/* The ccache's default principal: the user name libsmbclient asks for. */
static char *
ccache_principal(const char *ccache)
{
    krb5_context k;
    krb5_ccache cc = NULL;
    krb5_principal p = NULL;
    char *text = NULL, *copy = NULL;

    if (krb5_init_context(&k) != 0)
        return NULL;
    if (krb5_cc_resolve(k, ccache, &cc) == 0 && krb5_cc_get_principal(k, cc, &p) == 0 &&
        krb5_unparse_name(k, p, &text) == 0)
        copy = strdup(text);
    krb5_free_unparsed_name(k, text);
    if (p)
        krb5_free_principal(k, p);
    if (cc)
        krb5_cc_close(k, cc);
    krb5_free_context(k);
    return copy;
}

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
    return f;
}

/* A new context for a lane, with the reader open (and the writer, when
 * asked). On failure the lane is left without a context. */
static bool
lane_connect(struct smbio_disk *d, struct lane *l, bool writer, struct vs_error *err)
{
    smbio_setup_lock();
    l->ctx = smbc_new_context();
    if (l->ctx != NULL) {
        smbc_setOptionUserData(l->ctx, d->principal);
        smbc_setOptionUseKerberos(l->ctx, 1);
        smbc_setOptionUseCCache(l->ctx, 1);
        smbc_setOptionFallbackAfterKerberos(l->ctx, 0);
        smbc_setOptionNoAutoAnonymousLogin(l->ctx, 1);
        smbc_setOptionProtocols(l->ctx, "SMB3", "SMB3");
        smbc_setFunctionAuthDataWithContext(l->ctx, auth_fn);
        if (smbc_init_context(l->ctx) == NULL) {
            smbc_free_context(l->ctx, 1);
            l->ctx = NULL;
        }
    }
    smbio_setup_unlock();
    if (l->ctx == NULL) {
        vs_error_set(err, VS_ERR_INTERNAL, "cannot create an SMB client context: %s (libsmbclient "
                     "reads /etc/samba/smb.conf at this point: check that it parses, testparm -s)",
                     strerror(errno));
        return false;
    }
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
lane_disconnect(struct lane *l)
{
    if (l->ctx == NULL)
        return;
    smbio_setup_lock();
    if (l->writer)
        smbc_getFunctionClose(l->ctx)(l->ctx, l->writer);
    if (l->reader)
        smbc_getFunctionClose(l->ctx)(l->ctx, l->reader);
    smbc_free_context(l->ctx, 1);
    smbio_setup_unlock();
    l->ctx = NULL;
    l->reader = l->writer = NULL;
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
static bool
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
        lane_disconnect(l);
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
lane_init(struct smbio_disk *d, struct lane *l)
{
    l->disk = d;
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->free, NULL);
    l->queue_end = &l->queue;
    l->wake_fd = -1;
}

/* The eventfd drained: the leader now looks at the queue again. */
static void
lane_woken(struct tevent_context *ev, struct tevent_fd *fde, uint16_t flags, void *private_data)
{
    struct lane *l = private_data;
    uint64_t n;

    (void)ev; (void)fde; (void)flags;
    if (read(l->wake_fd, &n, sizeof n) < 0 && errno != EAGAIN)
        return;   /* nothing to do: the leader checks the queue after every wake */
}

/* A pipelined lane's event loop, which outlives its connections. */
static bool
lane_loop_create(struct smbio_disk *d, struct lane *l, struct vs_error *err)
{
    if (!d->pipelined)
        return true;
    l->ev = tevent_context_init(NULL);
    l->answered = talloc_new(NULL);
    l->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (l->ev == NULL || l->answered == NULL || l->wake_fd < 0 ||
        tevent_add_fd(l->ev, l->ev, l->wake_fd, TEVENT_FD_READ, lane_woken, l) == NULL) {
        vs_error_set(err, VS_ERR_NOMEM, "cannot set up an SMB connection's event loop: %s",
                     strerror(errno));
        return false;
    }
    return true;
}

static void
lane_fini(struct lane *l)
{
    lane_disconnect(l);
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

/* ---- holding a lane ---------------------------------------------------------- */

/* Wake a leader asleep in the lane's event loop, so it sends what was
 * queued. With the lane's lock. */
static void
lane_wake_leader(struct lane *l)
{
    uint64_t one = 1;

    if (!l->leader_asleep)
        return;
    l->leader_asleep = false;
    if (write(l->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
        abort();   /* an eventfd write cannot fail but by overflow (EAGAIN) */
}

/* Set a state bit of op and wake its thread if it sleeps. The thread may
 * return and its op go out of scope as soon as it sees the bit, so the wake
 * may hit a stale address: harmless, as FUTEX_WAKE writes no memory (glibc's
 * mutexes rely on the same). */
static void
op_ring(struct op *op, uint32_t bit)
{
    if (atomic_fetch_or(&op->state, bit) & OP_ASLEEP)
        syscall(SYS_futex, &op->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Wait, without the lane's lock, until op is finished or its thread is
 * handed the lane; OP_LEAD comes first (and is cleared) when both are set. */
static uint32_t
op_wait(struct op *op)
{
    for (;;) {
        uint32_t s = atomic_load(&op->state);

        if (s & OP_LEAD) {
            atomic_fetch_and(&op->state, ~(uint32_t)(OP_LEAD | OP_ASLEEP));
            return OP_LEAD;
        }
        if (s & OP_FINISHED)
            return OP_FINISHED;
        if (!(s & OP_ASLEEP) && !atomic_compare_exchange_strong(&op->state, &s, s | OP_ASLEEP))
            continue;
        syscall(SYS_futex, &op->state, FUTEX_WAIT_PRIVATE, s | OP_ASLEEP, NULL, NULL, 0);
    }
}

static bool
op_finished(struct op *op)
{
    return atomic_load(&op->state) & OP_FINISHED;
}

/* The holder lets go, with the lane's lock: to a thread whose request is in
 * flight (it runs the loop on), else to the first queued request, else to
 * nobody. A thread waiting for a blocking call goes before the queue, or it
 * could wait for ever under a steady load. */
static void
lane_pass(struct lane *l)
{
    struct op *next = l->sent;

    if (next == NULL && l->blocking_waiting == 0)
        next = l->queue;
    if (next) {
        op_ring(next, OP_LEAD);
        return;
    }
    l->held = false;
    pthread_cond_broadcast(&l->free);
}

/* Hold the lane for a blocking call: once nothing is in flight on it. */
static void
lane_hold(struct lane *l)
{
    pthread_mutex_lock(&l->lock);
    l->blocking_waiting++;
    while (l->held)
        pthread_cond_wait(&l->free, &l->lock);
    l->blocking_waiting--;
    l->held = true;
    pthread_mutex_unlock(&l->lock);
}

static void
lane_let_go(struct lane *l)
{
    pthread_mutex_lock(&l->lock);
    lane_pass(l);
    pthread_mutex_unlock(&l->lock);
}

/* ---- one request, blocking (libsmbclient's own calls) -------------------------- */

/* libsmbclient has no pread/pwrite: the offset lives in the handle. */
static int
seek(struct lane *l, SMBCFILE *f, uint64_t off)
{
    if (off > INT64_MAX)
        return EOVERFLOW;   /* not EINVAL: that one means "session expired" here */
    return smbc_getFunctionLseek(l->ctx)(l->ctx, f, (off_t)off, SEEK_SET) < 0 ? errno : 0;
}

/* One attempt at a read on a connected lane: 0 or an errno. */
static int
lane_read(struct lane *l, void *buf, size_t len, uint64_t off)
{
    size_t got = 0;
    int e;

    if (l->ctx == NULL)
        return ENOTCONN;
    if ((e = seek(l, l->reader, off)) != 0)
        return e;
    while (got < len) {
        ssize_t n = smbc_getFunctionRead(l->ctx)(l->ctx, l->reader, (char *)buf + got, len - got);
        if (n < 0)
            return errno;
        if (n == 0) {   /* past the end of the file: zeros, as a sparse disk reads */
            memset((char *)buf + got, 0, len - got);
            break;
        }
        got += (size_t)n;
    }
    return 0;
}

static int
lane_write(struct lane *l, const void *buf, size_t len, uint64_t off)
{
    size_t put = 0;
    int e;

    if (l->ctx == NULL || l->writer == NULL)
        return ENOTCONN;
    if ((e = seek(l, l->writer, off)) != 0)
        return e;
    while (put < len) {
        ssize_t n = smbc_getFunctionWrite(l->ctx)(l->ctx, l->writer, (const char *)buf + put, len - put);
        if (n < 0)
            return errno;
        if (n == 0)
            return EIO;
        put += (size_t)n;
    }
    return 0;
}

/* The write-through that makes the server fsync: 0, an errno, or -1 with
 * err set when this libsmbclient gives no way to flush. */
static int
lane_flush(struct smbio_disk *d, struct lane *l, struct vs_error *err)
{
    void *cli;
    uint16_t fnum;
    uint8_t byte;
    size_t written = 0;
    uint32_t status;
    int e;

    if (l->ctx == NULL || l->writer == NULL)
        return ENOTCONN;
    if (!smbio_libsmb_handle(l->writer, d->url, &cli, &fnum)) {
        vs_error_set(err, VS_ERR_INTERNAL, "this libsmbclient offers no way to flush %s (its file "
                     "handle layout changed): set 'sync always = yes' on the share and start the "
                     "export with flush=server", d->url);
        return -1;
    }
    /* Samba 4.17's cli_flush speaks SMB1 only. A write-through write of one
     * byte, rewritten as it is, makes the server fsync the file, and fsync
     * covers every earlier write to it, from any handle. The lane is held,
     * so no write of ours to that byte can come in between. */
    if ((e = lane_read(l, &byte, 1, 0)) != 0)
        return e;
    status = smbio_libsmb_write_through(cli, fnum, &byte, 0, 1, &written);
    if (status == 0 && written == 1)
        return 0;
    if (status == 0xffffffff) {
        vs_error_set(err, VS_ERR_INTERNAL, "this libsmbclient offers no way to flush %s (Samba's "
                     "cli_writeall is missing): set 'sync always = yes' on the share and start the "
                     "export with flush=server", d->url);
        return -1;
    }
    if ((e = smbio_errno_from_ntstatus(status)) != EIO && smbio_errno_is_session_lost(e))
        return e;   /* an expired session or a dead connection: reconnect */
    vs_error_set(err, VS_ERR_IO, "the file server refused the write-through that flushes %s "
                 "(NTSTATUS 0x%08x)", d->url, status);
    return -1;
}

/* A request on a held lane, blocking: 0, an errno, or -1 with err set. */
static int
op_blocking(struct smbio_disk *d, struct lane *l, struct op *op, struct vs_error *err)
{
    struct stat st;

    op->gen = l->gen;
    switch (op->kind) {
    case OP_READ:
        return lane_read(l, op->buf, op->len, op->off);
    case OP_WRITE:
        if (!d->want_active)
            return EROFS;   /* released while the write waited for the lane */
        return lane_write(l, op->buf, op->len, op->off);
    case OP_FLUSH:
        return lane_flush(d, l, err);
    case OP_SIZE:
        if (l->ctx == NULL)
            return ENOTCONN;
        if (smbc_getFunctionFstat(l->ctx)(l->ctx, l->reader, &st) < 0)
            return errno;
        op->size = (uint64_t)st.st_size;
        return 0;
    }
    return EINVAL;
}

/* ---- pipelined reads and writes ------------------------------------------------ */

static void op_answered(struct tevent_req *req);

static void
op_finish(struct lane *l, struct op *op, int e)
{
    op->err = e;
    l->load--;
    op_ring(op, OP_FINISHED);
}

/* Send (the rest of) an op with the lane's lock, by its holder: 0 or an errno. */
static int
op_send(struct smbio_disk *d, struct lane *l, struct op *op)
{
    struct tevent_req *req;
    void *cli;
    uint16_t fnum;

    if (op->kind == OP_WRITE && !d->want_active)
        return EROFS;   /* released while the write waited in the queue */
    if (l->ctx == NULL)
        return ENOTCONN;
    if (!smbio_libsmb_handle(op->kind == OP_WRITE ? l->writer : l->reader, d->url, &cli, &fnum))
        return op->kind == OP_WRITE && l->writer == NULL ? ENOTCONN : EBADF;
    if (op->off + op->done > INT64_MAX)
        return EOVERFLOW;
    if (op->kind == OP_READ)
        req = smbio_libsmb_read_send(l->ev, cli, fnum, op->buf + op->done, op->off + op->done,
                                     op->len - op->done);
    else
        req = smbio_libsmb_write_send(l->ev, cli, fnum, op->buf, op->off, op->len);
    if (req == NULL)
        return ENOMEM;
    op->gen = l->gen;
    tevent_req_set_callback(req, op_answered, op);
    return 0;
}

/* Send what is queued, up to the lane's depth, with the lane's lock. */
static void
lane_send_queued(struct smbio_disk *d, struct lane *l)
{
    while (l->queue && l->nsent < SMBIO_LANE_DEPTH && l->blocking_waiting == 0) {
        struct op *op = l->queue;
        int e;

        l->queue = op->next;
        if (l->queue == NULL)
            l->queue_end = &l->queue;
        if ((e = op_send(d, l, op)) != 0) {
            op_finish(l, op, e);
            continue;
        }
        op->next = l->sent;
        l->sent = op;
        if (++l->nsent > d->max_in_flight)
            d->max_in_flight = l->nsent;
    }
}

static void
lane_unlink_sent(struct lane *l, struct op *op)
{
    for (struct op **p = &l->sent; *p; p = &(*p)->next)
        if (*p == op) {
            *p = op->next;
            l->nsent--;
            return;
        }
}

/* An answer, in the holder's thread, inside tevent_loop_once. */
static void
op_answered(struct tevent_req *req)
{
    struct op *op = tevent_req_callback_data_void(req);   /* not a talloc chunk */
    struct lane *l = op->lane;
    size_t n = 0;
    int e;

    e = op->kind == OP_READ ? smbio_libsmb_read_recv(req, &n) : smbio_libsmb_write_recv(req, &n);
    /* Samba calls this from inside its own subrequest's callback, which
     * still runs: freeing req here would free it under Samba's feet */
    talloc_steal(l->answered, req);
    pthread_mutex_lock(&l->lock);
    if (e == 0 && op->kind == OP_READ) {
        if (n > op->len - op->done) {
            e = EIO;   /* more than asked: not a server to trust */
        } else if (n == 0) {   /* past the end of the file: zeros, as a sparse disk reads */
            memset(op->buf + op->done, 0, op->len - op->done);
            op->done = op->len;
        } else {
            op->done += n;
        }
        /* the server or the credits may answer a part: ask for the rest */
        if (e == 0 && op->done < op->len && (e = op_send(l->disk, l, op)) == 0) {
            pthread_mutex_unlock(&l->lock);
            return;
        }
    } else if (e == 0 && n != op->len) {
        e = EIO;   /* a short write that Samba's writeall did not finish */
    }
    lane_unlink_sent(l, op);
    if (e == EAGAIN && l->nsent > 0) {
        /* no credits left just now: send it again once others are answered */
        op->next = l->queue;
        l->queue = op;
        if (op->next == NULL)
            l->queue_end = &op->next;
        pthread_mutex_unlock(&l->lock);
        return;
    }
    op_finish(l, op, e);
    pthread_mutex_unlock(&l->lock);
}

/* The holder's loop, with the lane's lock: send what is queued and wait for
 * answers until me is answered, then pass the lane on. If a blocking call
 * waits and me is not sent yet, the lane goes to it first, and me waits to
 * be handed the lane again. */
static void
lane_lead(struct smbio_disk *d, struct lane *l, struct op *me)
{
    for (;;) {
        lane_send_queued(d, l);
        if (op_finished(me) || l->nsent == 0)
            break;   /* nothing sent with me unanswered: only a blocking call does that */
        l->leader_asleep = true;
        pthread_mutex_unlock(&l->lock);
        tevent_loop_once(l->ev);
        talloc_free_children(l->answered);
        pthread_mutex_lock(&l->lock);
        l->leader_asleep = false;
    }
    lane_pass(l);
}

static void
lane_enqueue(struct lane *l, struct op *op)
{
    op->next = NULL;
    *l->queue_end = op;
    l->queue_end = &op->next;
}

/* Queue op on the lane and wait for its answer, leading when the lane is
 * free or handed over. */
static void
lane_pipeline(struct smbio_disk *d, struct lane *l, struct op *op)
{
    bool lead;

    pthread_mutex_lock(&l->lock);
    lane_enqueue(l, op);
    lead = !l->held;
    l->held = true;
    if (!lead)
        lane_wake_leader(l);
    pthread_mutex_unlock(&l->lock);
    while (lead || op_wait(op) == OP_LEAD) {
        lead = false;
        pthread_mutex_lock(&l->lock);
        lane_lead(d, l, op);
        pthread_mutex_unlock(&l->lock);
    }
}

/* ---- requests, with reconnects ------------------------------------------------- */

/* Run op on the lane, as one attempt: pipelined for reads and writes where
 * the lane pipelines, else holding the lane for a blocking call. */
static int
lane_run(struct smbio_disk *d, struct lane *l, struct op *op, struct vs_error *err)
{
    op->lane = l;
    op->done = 0;
    op->err = 0;
    op->state = 0;
    l->load++;
    if (d->pipelined && (op->kind == OP_READ || op->kind == OP_WRITE)) {
        lane_pipeline(d, l, op);
        return op->err;
    }
    lane_hold(l);
    op->err = op_blocking(d, l, op, err);
    pthread_mutex_lock(&l->lock);
    l->load--;
    lane_pass(l);
    pthread_mutex_unlock(&l->lock);
    return op->err;
}

/* Run op; when the session turns out to be lost, reconnect (unless another
 * request on the lane already did) and try again, twice at most: a session
 * that dies again right after a reconnect is not coming back soon. 0, an
 * errno, or -1 with err set; the caller words an errno, so the hot path
 * formats nothing. */
static int
run_with_reconnect(struct smbio_disk *d, struct lane *l, struct op *op, struct vs_error *err)
{
    int e = lane_run(d, l, op, err);

    for (int tries = 0; e > 0 && smbio_errno_is_session_lost(e) && tries < 2; tries++) {
        bool ok = true;

        lane_hold(l);
        if (l->gen == op->gen || l->ctx == NULL) {
            ok = lane_reconnect(d, l, err);
            l->gen++;
        }
        lane_let_go(l);
        if (!ok)
            return -1;
        e = lane_run(d, l, op, err);
    }
    return e;
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

/* The lane for a read: the first one, counting from lane 1 and taking the
 * writer's lane 0 last, with fewer than LANE_SPREAD requests on it (one,
 * serial), else the least loaded. */
static struct lane *
lane_for_read(struct smbio_disk *d)
{
    unsigned spread = d->pipelined ? LANE_SPREAD : 1, best = 0, best_load = UINT32_MAX;

    for (unsigned i = 1; i <= d->nlanes; i++) {
        unsigned k = i % d->nlanes, load = d->lanes[k].load;
        if (load < spread)
            return &d->lanes[k];
        if (load < best_load) {
            best = k;
            best_load = load;
        }
    }
    return &d->lanes[best];
}

static void
op_init(struct op *op, int kind, void *buf, size_t len, uint64_t off)
{
    memset(op, 0, sizeof *op);
    op->kind = kind;
    op->buf = buf;
    op->len = len;
    op->off = off;
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

/* ---- read-ahead ------------------------------------------------------------------ */

/* Before a read of [off, off+len) on lane l: when reads come in order and
 * the disk is the only writer with no write in flight, ask the read-ahead
 * thread for the next [off+len, off+2*len). */
static void
readahead_ask(struct smbio_disk *d, struct lane *l, uint64_t off, size_t len)
{
    struct readahead *ra = &d->ra;
    uint64_t started, done;

    pthread_mutex_lock(&ra->lock);
    started = d->writes_started;
    done = d->writes_done;
    /* one read-ahead nobody took (the reader went elsewhere) makes way */
    if (!ra->claimed && (ra->state == RA_READY || ra->state == RA_ASKED))
        ra->state = RA_IDLE;
    if (off == ra->next_off && ra->state == RA_IDLE && d->want_active && len <= READAHEAD_MAX &&
        off + 2 * (uint64_t)len <= INT64_MAX && started == done) {
        ra->state = RA_ASKED;
        ra->off = off + len;
        ra->len = len;
        ra->lane = l;
        ra->writes_at_ask = started;
        pthread_cond_broadcast(&ra->changed);
    }
    ra->next_off = off + len;
    pthread_mutex_unlock(&ra->lock);
}

static void *
readahead_loop(void *arg)
{
    struct smbio_disk *d = arg;
    struct readahead *ra = &d->ra;

    pthread_mutex_lock(&ra->lock);
    for (;;) {
        struct vs_error err;
        struct op op;

        while (!ra->stop && ra->state != RA_ASKED)
            pthread_cond_wait(&ra->changed, &ra->lock);
        if (ra->stop)
            break;
        ra->state = RA_SENT;
        op_init(&op, OP_READ, ra->buf, ra->len, ra->off);
        pthread_mutex_unlock(&ra->lock);
        /* one attempt: after a lost session, the next real read reconnects */
        lane_run(d, ra->lane, &op, &err);
        pthread_mutex_lock(&ra->lock);
        ra->err = op.err;
        ra->state = RA_READY;
        pthread_cond_broadcast(&ra->changed);
    }
    pthread_mutex_unlock(&ra->lock);
    return NULL;
}

static bool
readahead_start(struct smbio_disk *d, struct vs_error *err)
{
    struct readahead *ra = &d->ra;

    if (!d->pipelined)
        return true;
    ra->buf = malloc(READAHEAD_MAX);
    if (ra->buf == NULL || pthread_create(&ra->thread, NULL, readahead_loop, d) != 0) {
        vs_error_set(err, VS_ERR_NOMEM, "cannot start the read-ahead: %s", strerror(errno));
        return false;
    }
    ra->running = true;
    return true;
}

static void
readahead_stop(struct smbio_disk *d)
{
    struct readahead *ra = &d->ra;

    if (ra->running) {
        pthread_mutex_lock(&ra->lock);
        ra->stop = true;
        pthread_cond_broadcast(&ra->changed);
        pthread_mutex_unlock(&ra->lock);
        pthread_join(ra->thread, NULL);   /* after its read in flight, if any */
        ra->running = false;
    }
    free(ra->buf);
    ra->buf = NULL;
}

/* Answer a read from the read-ahead, when it is that read and still valid,
 * and ask for the next: true when buf was filled. */
static bool
readahead_take(struct smbio_disk *d, void *buf, size_t len, uint64_t off)
{
    struct readahead *ra = &d->ra;
    struct lane *l;
    bool good;

    pthread_mutex_lock(&ra->lock);
    if (ra->state == RA_IDLE || ra->claimed || ra->off != off || ra->len != len) {
        pthread_mutex_unlock(&ra->lock);
        return false;
    }
    ra->claimed = true;
    while (ra->state != RA_READY)
        pthread_cond_wait(&ra->changed, &ra->lock);
    /* no write of ours started since it was asked for, and still the only writer */
    good = ra->err == 0 && d->want_active && d->writes_started == ra->writes_at_ask;
    if (good) {
        memcpy(buf, ra->buf, len);
        d->readahead_hits++;
    }
    ra->state = RA_IDLE;
    ra->claimed = false;
    l = ra->lane;
    pthread_mutex_unlock(&ra->lock);
    if (good)
        readahead_ask(d, l, off, len);
    return good;
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
    rc = l->writer ? smbc_getFunctionClose(l->ctx)(l->ctx, l->writer) : 0;
    smbio_setup_unlock();
    l->writer = NULL;
    d->want_active = false;
    d->writes_started++;   /* from now on others may write: nothing read ahead stays */
    d->writes_done++;
    if (rc < 0) {
        /* The close was not acknowledged, so the server may still hold the
         * handle: dropping the connection makes sure it lets go. */
        lane_disconnect(l);
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
    d->principal = ccache_principal(ccache);
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
        lane_fini(&d->lanes[i]);
    pthread_cond_destroy(&d->ra.changed);
    pthread_mutex_destroy(&d->ra.lock);
    free(d->principal);
    free(d);
}
