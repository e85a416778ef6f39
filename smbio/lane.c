/* SPDX-License-Identifier: GPL-3.0-or-later */
/* smbio/lane.c: holding a lane (one SMB connection of a disk) and sending
 * requests on it: pipelined with Samba's asynchronous calls, or one at a
 * time with libsmbclient's own. See smbio/lane.h for who may touch what. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "smbio/lane.h"
#include "smbio/libsmb.h"

void
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
    /* EAGAIN (already drained) is as good as a read: the count is not needed */
    (void)!read(l->wake_fd, &n, sizeof n);
}

/* A pipelined lane's event loop, which outlives its connections. */
bool
lane_loop_create(struct smbio_disk *d, struct lane *l, struct vs_error *err)
{
    if (!d->pipelined)
        return true;
    l->ev = tevent_context_init(NULL);
    l->answered = talloc_new(NULL);
    l->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (l->ev == NULL || l->answered == NULL || l->wake_fd < 0 ||
        tevent_add_fd(l->ev, l->ev, l->wake_fd, TEVENT_FD_READ, lane_woken, l) == NULL) {
        vs_error_set(err, VS_ERR_NOMEM, "cannot set up an SMB connection's event loop: %s "
                     "(out of memory or of file descriptors: raise the export's open files "
                     "limit, or start it with fewer connections=)", strerror(errno));
        return false;
    }
    return true;
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
void
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

void
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
int
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
int
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
int
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

/* The lane for a read: the first one, counting from lane 1 and taking the
 * writer's lane 0 last, with fewer than LANE_SPREAD requests on it (one,
 * serial), else the least loaded. */
struct lane *
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

void
op_init(struct op *op, int kind, void *buf, size_t len, uint64_t off)
{
    memset(op, 0, sizeof *op);
    op->kind = kind;
    op->buf = buf;
    op->len = len;
    op->off = off;
}
