/* smbio/disk.c: one VM disk file on an SMB3 share, through libsmbclient.
 *
 * Flushing: libsmbclient 4.17 exports no fsync, and Samba's cli_flush speaks
 * SMB1 only. Samba's client library, which libsmbclient has loaded, exports
 * cli_writeall, which can ask for SMB2 write-through; the server then fsyncs
 * the file. To call it we need the connection and file number behind an
 * SMBCFILE, whose layout is private (source3/include/libsmb_internal.h:
 * {int cli_fd; struct cli_state *targetcli; char *fname; ...}). We use that
 * layout only after checking it: fname must be the URL we opened. When the
 * check or the symbol fails, flush fails loudly rather than claim a
 * durability it does not have (the fix: "sync always = yes" on the share). */
#include <config.h>

#include <dlfcn.h>
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

#include "smbio/disk.h"
#include "smbio/threads.h"

/* The start of libsmbclient's private struct _SMBCFILE (Samba 4.x). */
struct smbcfile_head {
    int cli_fd;
    void *targetcli;
    char *fname;
};

typedef uint32_t (*cli_writeall_fn)(void *cli, uint16_t fnum, uint16_t mode, const uint8_t *buf,
                                   off_t offset, size_t size, size_t *written);
#define WRITE_THROUGH 0x0001   /* cli_writeall's mode bit: SMB2_WRITEFLAG_WRITE_THROUGH */

struct lane {
    pthread_mutex_t lock;
    SMBCCTX *ctx;
    SMBCFILE *reader;
    SMBCFILE *writer;   /* lane 0 only, while active */
};

struct smbio_disk {
    char *principal;
    char url[SMBIO_URL_MAX];
    struct smbio_url parts;
    struct smbio_disk_options opts;
    cli_writeall_fn cli_writeall;
    /* Whether the disk should hold the writer: survives a lost session, so
     * the reconnect re-takes it. Changed only with lane 0 locked. */
    _Atomic bool want_active;
    _Atomic uint64_t reconnects, writer_lost;
    _Atomic unsigned next_lane;
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

/* Reconnect a lane whose session died, with lane locked. Backs off from
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
    d->cli_writeall = (cli_writeall_fn)(uintptr_t)dlsym(RTLD_DEFAULT, "cli_writeall");
    d->want_active = mode == SMBIO_ACTIVE;
    d->nlanes = d->opts.connections;
    for (unsigned i = 0; i < d->nlanes; i++)
        pthread_mutex_init(&d->lanes[i].lock, NULL);
    for (unsigned i = 0; i < d->nlanes; i++) {
        if (!lane_connect(d, &d->lanes[i], i == 0 && mode == SMBIO_ACTIVE, err)) {
            smbio_disk_close(d);
            return false;
        }
    }
    *out = d;
    return true;
}

void
smbio_disk_close(struct smbio_disk *d)
{
    if (d == NULL)
        return;
    for (unsigned i = 0; i < d->nlanes; i++) {
        lane_disconnect(&d->lanes[i]);
        pthread_mutex_destroy(&d->lanes[i].lock);
    }
    free(d->principal);
    free(d);
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
}

/* A lane for a read, returned locked: the first free one, counting from
 * lane 1 and taking the writer's lane 0 last, or else wait for the one a
 * rotation picks. Reads go to as few connections as the load needs: a
 * connection used now and then restarts TCP slow start after each pause
 * (here a QD1 sequential read ran at 40% of libsmbclient's speed when
 * requests rotated over 8 connections). */
static struct lane *
lane_for_read(struct smbio_disk *d)
{
    unsigned pick;

    for (unsigned i = 1; i <= d->nlanes; i++) {
        struct lane *l = &d->lanes[i % d->nlanes];
        if (pthread_mutex_trylock(&l->lock) == 0)
            return l;
    }
    pick = d->next_lane++ % d->nlanes;
    pthread_mutex_lock(&d->lanes[pick].lock);
    return &d->lanes[pick];
}

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

static int lane_flush(struct smbio_disk *d, struct lane *l, struct vs_error *err);

/* One request on a lane, as one attempt: 0, an errno, or -1 with err set. */
struct request {
    enum { REQ_READ, REQ_WRITE, REQ_SIZE, REQ_FLUSH } op;
    void *buf;
    size_t len;
    uint64_t off;
    uint64_t size;   /* REQ_SIZE's answer */
};

static int
lane_request(struct smbio_disk *d, struct lane *l, struct request *rq, struct vs_error *err)
{
    struct stat st;

    switch (rq->op) {
    case REQ_READ:
        return lane_read(l, rq->buf, rq->len, rq->off);
    case REQ_WRITE:
        return lane_write(l, rq->buf, rq->len, rq->off);
    case REQ_FLUSH:
        return lane_flush(d, l, err);
    case REQ_SIZE:
        if (l->ctx == NULL)
            return ENOTCONN;
        if (smbc_getFunctionFstat(l->ctx)(l->ctx, l->reader, &st) < 0)
            return errno;
        rq->size = (uint64_t)st.st_size;
        return 0;
    }
    return EINVAL;
}

/* Run a request on a locked lane; when the session turns out to be lost,
 * reconnect and try again (twice at most: a session that dies again right
 * after a reconnect is not coming back soon). 0, an errno, or -1 with err
 * set; the caller words an errno, so the hot path formats nothing. */
static int
run_on_lane(struct smbio_disk *d, struct lane *l, struct request *rq, struct vs_error *err)
{
    int e = lane_request(d, l, rq, err);

    for (int tries = 0; e > 0 && smbio_errno_is_session_lost(e) && tries < 2; tries++) {
        if (!lane_reconnect(d, l, err))
            return -1;
        e = lane_request(d, l, rq, err);
    }
    return e;
}

/* A request's errno as a sentence; false, so callers can return it. */
static bool
request_failed(const struct smbio_disk *d, const struct request *rq, int e, struct vs_error *err)
{
    static const char *const what[] = { "read of", "write of", "reading the size of", "flushing" };

    if (e <= 0)
        return false;   /* err is set already */
    if (rq->op == REQ_READ || rq->op == REQ_WRITE)
        vs_error_set(err, VS_ERR_IO, "%s %zu bytes at %llu %s %s failed: %s (the file server's "
                     "answer; its log, or smbstatus, tells more)", what[rq->op], rq->len,
                     (unsigned long long)rq->off, rq->op == REQ_READ ? "from" : "to", d->url, strerror(e));
    else
        vs_error_set(err, VS_ERR_IO, "%s %s failed: %s (the file server's answer; its log, or "
                     "smbstatus, tells more)", what[rq->op], d->url, strerror(e));
    return false;
}

bool
smbio_disk_size(struct smbio_disk *d, uint64_t *size, struct vs_error *err)
{
    struct lane *l = lane_for_read(d);
    struct request rq = { .op = REQ_SIZE };
    int e = run_on_lane(d, l, &rq, err);

    pthread_mutex_unlock(&l->lock);
    if (e != 0)
        return request_failed(d, &rq, e, err);
    *size = rq.size;
    return true;
}

bool
smbio_disk_pread(struct smbio_disk *d, void *buf, size_t len, uint64_t off, struct vs_error *err)
{
    struct lane *l = lane_for_read(d);
    struct request rq = { .op = REQ_READ, .buf = buf, .len = len, .off = off };
    int e = run_on_lane(d, l, &rq, err);

    pthread_mutex_unlock(&l->lock);
    return e == 0 || request_failed(d, &rq, e, err);
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
    struct lane *l = &d->lanes[0];
    struct request rq = { .op = REQ_WRITE, .buf = (void *)buf, .len = len, .off = off };
    int e;

    pthread_mutex_lock(&l->lock);
    if (!d->want_active) {
        pthread_mutex_unlock(&l->lock);
        return refuse_standby(d, err);
    }
    e = run_on_lane(d, l, &rq, err);
    pthread_mutex_unlock(&l->lock);
    return e == 0 || request_failed(d, &rq, e, err);
}

/* The write-through that makes the server fsync: 0, an errno, or -1 with
 * err set when this libsmbclient gives no way to flush. */
static int
lane_flush(struct smbio_disk *d, struct lane *l, struct vs_error *err)
{
    const struct smbcfile_head *head = (const void *)l->writer;
    uint8_t byte;
    size_t written = 0;
    uint32_t status;
    int e;

    if (l->ctx == NULL || l->writer == NULL)
        return ENOTCONN;
    if (d->cli_writeall == NULL || head->fname == NULL || strcmp(head->fname, d->url) != 0 ||
        head->targetcli == NULL || head->cli_fd < 0 || head->cli_fd > 0xffff) {
        vs_error_set(err, VS_ERR_INTERNAL, "this libsmbclient offers no way to flush %s (Samba's "
                     "cli_writeall is missing or its file handle layout changed): set 'sync always "
                     "= yes' on the share and start the export with flush=server", d->url);
        return -1;
    }
    /* Samba 4.17's cli_flush speaks SMB1 only. A write-through write of one
     * byte, rewritten as it is, makes the server fsync the file, and fsync
     * covers every earlier write to it, from any handle. */
    if ((e = lane_read(l, &byte, 1, 0)) != 0)
        return e;
    status = d->cli_writeall(head->targetcli, (uint16_t)head->cli_fd, WRITE_THROUGH, &byte, 0, 1, &written);
    if (status == 0 && written == 1)
        return 0;
    /* NT_STATUS_NETWORK_SESSION_EXPIRED or a dead connection: reconnect */
    if (status == 0xc000035c || status == 0xc000020c || status == 0xc000023c)
        return ECONNABORTED;
    vs_error_set(err, VS_ERR_IO, "the file server refused the write-through that flushes %s "
                 "(NTSTATUS 0x%08x)", d->url, status);
    return -1;
}

/* With lane 0 locked. */
static bool
flush_locked(struct smbio_disk *d, struct vs_error *err)
{
    struct request rq = { .op = REQ_FLUSH };
    int e;

    if (!d->want_active || d->opts.flush == SMBIO_FLUSH_SERVER)
        return true;   /* standby never wrote; or the server syncs every write */
    e = run_on_lane(d, &d->lanes[0], &rq, err);
    return e == 0 || request_failed(d, &rq, e, err);
}

bool
smbio_disk_flush(struct smbio_disk *d, struct vs_error *err)
{
    bool ok;

    pthread_mutex_lock(&d->lanes[0].lock);
    ok = flush_locked(d, err);
    pthread_mutex_unlock(&d->lanes[0].lock);
    return ok;
}

bool
smbio_disk_promote(struct smbio_disk *d, struct vs_error *err)
{
    struct lane *l = &d->lanes[0];
    bool ok = true;

    pthread_mutex_lock(&l->lock);
    if (l->writer == NULL) {
        if (l->ctx == NULL && !lane_reconnect(d, l, err))
            ok = false;
        else if (l->writer == NULL)
            ok = (l->writer = open_handle(d, l, true, err)) != NULL;
    }
    if (ok)
        d->want_active = true;
    pthread_mutex_unlock(&l->lock);
    return ok;
}

bool
smbio_disk_release(struct smbio_disk *d, struct vs_error *err)
{
    struct lane *l = &d->lanes[0];
    bool ok = true;
    int rc;

    pthread_mutex_lock(&l->lock);
    if (!d->want_active)
        goto out;
    if (!flush_locked(d, err)) {
        ok = false;   /* stay active: nothing may be lost */
        goto out;
    }
    smbio_setup_lock();
    rc = l->writer ? smbc_getFunctionClose(l->ctx)(l->ctx, l->writer) : 0;
    smbio_setup_unlock();
    l->writer = NULL;
    d->want_active = false;
    if (rc < 0) {
        /* The close was not acknowledged, so the server may still hold the
         * handle: dropping the connection makes sure it lets go. */
        lane_disconnect(l);
        if (!lane_connect(d, l, false, err))
            ok = false;
    }
out:
    pthread_mutex_unlock(&l->lock);
    return ok;
}
