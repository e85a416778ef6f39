/* SPDX-License-Identifier: GPL-3.0-or-later */
/* nbdkit-smbio-plugin: one VM disk on an SMB3 share, exported over NBD.
 *
 *   nbdkit --unix SOCKET smbio url=smb://fs/vms/web01/disk0.raw \
 *          ccache=FILE:/run/vsmigrate/host.cc | keytab=/etc/krb5.keytab principal='HOSTA$@REALM' \
 *          mode=standby|active control=/run/vsmigrate/disks/web01-disk0.ctl
 *
 * The export lives as long as its VM and runs apart from the agent. The
 * agent (or vsmigrate-disk) talks to it through the control socket: one
 * line in ("status", "release", "promote"), one JSON line out.
 *
 * smbio/disk.c is thread-safe (several SMB connections, each with several
 * requests in flight, one writer), so the plugin runs PARALLEL. With keytab=, a renewal thread keeps the tickets
 * fresh; the disk reconnects with them when a session expires. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define NBDKIT_API_VERSION 2
#include <nbdkit-plugin.h>

#include "common/cfgfile.h"
#include "smbio/control.h"
#include "smbio/creds.h"
#include "smbio/disk.h"

#define THREAD_MODEL NBDKIT_THREAD_MODEL_PARALLEL

static char *url;
static char *ccache;
static char *keytab;
static char *principal;
static char *control_path;
static enum smbio_mode start_mode = SMBIO_STANDBY;
static struct smbio_disk_options disk_opts = { .connections = 4, .reconnect_timeout_ms = 60000 };
static unsigned ticket_lifetime_s;

static struct smbio_disk *disk;
static struct smbio_creds *creds;
static struct smbio_stats stats;   /* counters: updated with atomics */
static int control_fd = -1;
static pthread_t control_thread;
static bool control_running;

/* the ticket renewal thread, with keytab= */
static pthread_t renew_thread;
static bool renew_running;
static pthread_mutex_t renew_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t renew_wake = PTHREAD_COND_INITIALIZER;
static bool renew_stop;

/* writer-journal=PATH: one JSON line appended each time this export takes or
 * lets go of the disk's writer handle, so that a test (or an admin) can line
 * up the hosts' journals and see who held the writer when */
static char *journal_path;
static int journal_fd = -1;

static void
journal_writer(void *opaque, bool held, const char *why)
{
    struct timespec ts;
    char host[256] = "", line[1024];
    int n;

    (void)opaque;
    if (journal_fd < 0)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    gethostname(host, sizeof host - 1);
    n = snprintf(line, sizeof line, "{\"t_ms\":%lld,\"host\":\"%s\",\"pid\":%d,\"writer\":%s,\"why\":\"%s\"}\n",
                 (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, host, (int)getpid(),
                 held ? "true" : "false", why);
    /* one write of one short line to an O_APPEND file: lines never mix */
    if (n > 0 && (size_t)n < sizeof line && write(journal_fd, line, (size_t)n) != n)
        nbdkit_debug("writer-journal: %m");
}

/* A duration parameter ("60s", "5m", as in the config files) within
 * [min_ms, max_ms]; false (and nbdkit_error with the fix) otherwise. */
static bool
duration_param(const char *key, const char *value, long long min_ms, long long max_ms,
               const char *why, long long *ms)
{
    if (!cfg_parse_duration_ms(value, ms) || *ms < min_ms || *ms > max_ms) {
        nbdkit_error("%s must be a duration such as 60s or 5m, from %lld s to %lld s%s, not '%s'",
                     key, min_ms / 1000, max_ms / 1000, why, value);
        return false;
    }
    return true;
}

static int
smbio_config(const char *key, const char *value)
{
    char **slot = NULL;

    unsigned n;
    long long ms;

    if (strcmp(key, "url") == 0)
        slot = &url;
    else if (strcmp(key, "ccache") == 0)
        slot = &ccache;
    else if (strcmp(key, "keytab") == 0)
        slot = &keytab;
    else if (strcmp(key, "principal") == 0)
        slot = &principal;
    else if (strcmp(key, "control") == 0)
        slot = &control_path;
    else if (strcmp(key, "writer-journal") == 0)
        slot = &journal_path;
    else if (strcmp(key, "mode") == 0) {
        if (strcmp(value, "standby") == 0)
            start_mode = SMBIO_STANDBY;
        else if (strcmp(value, "active") == 0)
            start_mode = SMBIO_ACTIVE;
        else {
            nbdkit_error("mode must be standby or active, not '%s'", value);
            return -1;
        }
        return 0;
    } else if (strcmp(key, "flush") == 0) {
        if (strcmp(value, "write-through") == 0)
            disk_opts.flush = SMBIO_FLUSH_WRITE_THROUGH;
        else if (strcmp(value, "server") == 0)
            disk_opts.flush = SMBIO_FLUSH_SERVER;
        else {
            nbdkit_error("flush must be write-through or server, not '%s'", value);
            return -1;
        }
        return 0;
    } else if (strcmp(key, "io") == 0) {
        if (strcmp(value, "auto") == 0)
            disk_opts.io = SMBIO_IO_AUTO;
        else if (strcmp(value, "pipelined") == 0)
            disk_opts.io = SMBIO_IO_PIPELINED;
        else if (strcmp(value, "serial") == 0)
            disk_opts.io = SMBIO_IO_SERIAL;
        else {
            nbdkit_error("io must be auto, pipelined or serial, not '%s'", value);
            return -1;
        }
        return 0;
    } else if (strcmp(key, "connections") == 0) {
        if (nbdkit_parse_unsigned("connections", value, &n) == -1)
            return -1;
        if (n == 0 || n > SMBIO_CONNECTIONS_MAX) {
            nbdkit_error("connections must be from 1 to %d, not %u", SMBIO_CONNECTIONS_MAX, n);
            return -1;
        }
        disk_opts.connections = n;
        return 0;
    } else if (strcmp(key, "reconnect-timeout") == 0) {
        if (!duration_param(key, value, 1000, 86400000, "", &ms))
            return -1;
        disk_opts.reconnect_timeout_ms = (unsigned)ms;
        return 0;
    } else if (strcmp(key, "ticket-lifetime") == 0) {
        /* Samba refuses a TGT with under 5 min left, so renewal needs room */
        if (!duration_param(key, value, 360000, 7 * 86400000LL,
                            " (Samba's client refuses tickets with less than 5 minutes left)", &ms))
            return -1;
        ticket_lifetime_s = (unsigned)(ms / 1000);
        return 0;
    } else {
        nbdkit_error("unknown parameter '%s' (smbio takes url=, ccache= or keytab= with principal=, "
                     "mode=, flush=, io=, connections=, reconnect-timeout=, ticket-lifetime=, control= and writer-journal=)", key);
        return -1;
    }
    free(*slot);
    *slot = strdup(value);
    return *slot ? 0 : -1;
}

static int
smbio_config_complete(void)
{
    struct smbio_url parts;
    struct vs_error err;

    if (url == NULL || (ccache == NULL) == (keytab == NULL)) {
        nbdkit_error("smbio needs url=smb://SERVER/SHARE/PATH and either ccache=FILE:PATH or "
                     "keytab=PATH with principal='HOST$@REALM'");
        return -1;
    }
    if ((keytab == NULL) != (principal == NULL)) {
        nbdkit_error("principal= goes with keytab=: the keytab's principal to get tickets for");
        return -1;
    }
    if (!smbio_url_parse(url, &parts, &err)) {
        nbdkit_error("%s", err.message);
        return -1;
    }
    if (control_path != NULL && strlen(control_path) >= sizeof ((struct sockaddr_un *)0)->sun_path) {
        nbdkit_error("control=%s is longer than a unix socket path may be", control_path);
        return -1;
    }
    return 0;
}

#define smbio_config_help \
    "url=smb://SERVER/SHARE/PATH  (required) the disk file on the share\n" \
    "ccache=FILE:PATH             Kerberos tickets of the host's machine account, kept fresh by the caller\n" \
    "keytab=PATH principal=P      or: get and renew tickets for P (e.g. 'HOSTA$@REALM') from the keytab\n" \
    "mode=standby|active          standby: read-only, others may write (default)\n" \
    "control=PATH                 unix socket for vsmigrate-disk release|promote|status\n" \
    "writer-journal=PATH          append a JSON line each time the writer handle is taken or let go\n" \
    "flush=write-through|server   server: the share has 'sync always = yes'; flush sends nothing\n" \
    "io=auto|pipelined|serial     pipelined: several requests in flight per connection (default: where Samba allows)\n" \
    "connections=N                SMB connections for reads (default 4, max 16)\n" \
    "reconnect-timeout=DURATION   how long to retry a lost SMB session before failing I/O (default 60s)\n" \
    "ticket-lifetime=DURATION     with keytab=: the TGT lifetime to ask for (default: the KDC's)"

/* ---- counters --------------------------------------------------------------- */

static void
count(uint64_t *counter, uint64_t n)
{
    __atomic_add_fetch(counter, n, __ATOMIC_RELAXED);
}

static void
stats_snapshot(struct smbio_stats *out)
{
    struct smbio_disk_counters dc;

    out->reads = __atomic_load_n(&stats.reads, __ATOMIC_RELAXED);
    out->writes = __atomic_load_n(&stats.writes, __ATOMIC_RELAXED);
    out->flushes = __atomic_load_n(&stats.flushes, __ATOMIC_RELAXED);
    out->bytes_read = __atomic_load_n(&stats.bytes_read, __ATOMIC_RELAXED);
    out->bytes_written = __atomic_load_n(&stats.bytes_written, __ATOMIC_RELAXED);
    out->errors = __atomic_load_n(&stats.errors, __ATOMIC_RELAXED);
    smbio_disk_counters(disk, &dc);
    out->connections = disk_opts.connections;
    out->reconnects = dc.reconnects;
    out->writer_lost = dc.writer_lost;
    out->pipelined = dc.pipelined;
    out->max_in_flight = dc.max_in_flight;
    out->readahead_hits = dc.readahead_hits;
    out->ticket_renewals = creds ? smbio_creds_renewals(creds) : 0;
    out->ticket_expires = creds ? (int64_t)smbio_creds_expires(creds) : 0;
}

/* ---- control socket --------------------------------------------------------- */

static void
control_serve_one(int fd)
{
    char line[SMBIO_CONTROL_LINE_MAX], reply[2048];
    enum smbio_command cmd;
    size_t used = 0;
    ssize_t n;

    /* one bounded line */
    while (used < sizeof line - 1 && (n = read(fd, line + used, sizeof line - 1 - used)) > 0) {
        used += (size_t)n;
        if (memchr(line, '\n', used))
            break;
    }
    line[used] = '\0';
    if (!smbio_control_parse(line, &cmd)) {
        smbio_control_reply_error(reply, sizeof reply, "unknown command: send status, release or promote");
    } else {
        struct vs_error err = { 0 };
        bool ok = true;

        struct smbio_stats now;

        if (cmd == SMBIO_CMD_RELEASE)
            ok = smbio_disk_release(disk, &err);
        else if (cmd == SMBIO_CMD_PROMOTE)
            ok = smbio_disk_promote(disk, &err);
        if (!ok)
            count(&stats.errors, 1);
        stats_snapshot(&now);
        smbio_control_reply(reply, sizeof reply, ok, ok ? NULL : &err, smbio_disk_mode(disk), &now);
        if (cmd != SMBIO_CMD_STATUS)
            nbdkit_debug("control: %s -> %s", line, reply);
    }
    if (write(fd, reply, strlen(reply)) < 0)
        nbdkit_debug("control: the client went away before the reply");
}

static void *
control_loop(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(control_fd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            return NULL;   /* the socket was closed: unload */
        }
        struct timeval tv = { 5, 0 };   /* a stalled client cannot block the control socket */
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        control_serve_one(fd);
        close(fd);
    }
}

static int
control_start(void)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };

    if (control_path == NULL)
        return 0;
    snprintf(sun.sun_path, sizeof sun.sun_path, "%s", control_path);
    unlink(control_path);
    control_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (control_fd < 0 || bind(control_fd, (struct sockaddr *)&sun, sizeof sun) < 0 ||
        chmod(control_path, 0600) < 0 || listen(control_fd, 8) < 0) {
        nbdkit_error("cannot create the control socket %s: %m (does its directory exist?)", control_path);
        return -1;
    }
    if (pthread_create(&control_thread, NULL, control_loop, NULL) != 0) {
        nbdkit_error("cannot start the control thread: %m");
        return -1;
    }
    control_running = true;
    return 0;
}

/* ---- NBD ------------------------------------------------------------------- */

/* ---- tickets ---------------------------------------------------------------- */

static void
renew_now(void *opaque)
{
    struct vs_error err;

    (void)opaque;
    /* a failure here shows up as the reconnect's own error */
    if (creds && !smbio_creds_refresh(creds, false, &err))
        nbdkit_error("renewing the Kerberos tickets: %s", err.message);
}

/* Renew when due; a failure is retried every 30 s while the old tickets last. */
static void *
renew_loop(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&renew_lock);
    while (!renew_stop) {
        struct timespec wake = { .tv_sec = smbio_creds_refresh_due(creds) };
        struct vs_error err;

        if (wake.tv_sec > time(NULL)) {
            pthread_cond_timedwait(&renew_wake, &renew_lock, &wake);
            continue;
        }
        pthread_mutex_unlock(&renew_lock);
        if (smbio_creds_refresh(creds, false, &err)) {
            nbdkit_debug("renewed the Kerberos tickets; they now expire at %lld",
                         (long long)smbio_creds_expires(creds));
        } else {
            nbdkit_error("renewing the Kerberos tickets: %s", err.message);
            pthread_mutex_lock(&renew_lock);
            wake.tv_sec = time(NULL) + 30;
            if (!renew_stop)
                pthread_cond_timedwait(&renew_wake, &renew_lock, &wake);
            pthread_mutex_unlock(&renew_lock);
        }
        pthread_mutex_lock(&renew_lock);
    }
    pthread_mutex_unlock(&renew_lock);
    return NULL;
}

static int
smbio_after_fork(void)
{
    struct vs_error err;
    const char *cc = ccache;

    /* after nbdkit forks: the SMB connections must belong to this process */
    if (keytab) {
        if (!smbio_creds_from_keytab(keytab, principal, ticket_lifetime_s, NULL, &creds, &err)) {
            nbdkit_error("%s", err.message);
            return -1;
        }
        cc = smbio_creds_ccache(creds);
        disk_opts.before_reconnect = renew_now;
        /* the condvar waits on CLOCK_REALTIME: due times are wall-clock */
        if (pthread_create(&renew_thread, NULL, renew_loop, NULL) != 0) {
            nbdkit_error("cannot start the ticket renewal thread: %m");
            return -1;
        }
        renew_running = true;
    }
    if (journal_path) {
        journal_fd = open(journal_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (journal_fd < 0) {
            nbdkit_error("cannot open writer-journal=%s: %m", journal_path);
            return -1;
        }
        disk_opts.on_writer = journal_writer;
    }
    if (!smbio_disk_open(url, cc, start_mode, &disk_opts, &disk, &err)) {
        nbdkit_error("%s", err.message);
        return -1;
    }
    return control_start();
}

static void
smbio_unload(void)
{
    if (control_fd >= 0) {
        /* wakes accept(): the control thread ends after any command in hand */
        shutdown(control_fd, SHUT_RDWR);
        if (control_running)
            pthread_join(control_thread, NULL);
        close(control_fd);
        unlink(control_path);
    }
    if (renew_running) {
        pthread_mutex_lock(&renew_lock);
        renew_stop = true;
        pthread_cond_signal(&renew_wake);
        pthread_mutex_unlock(&renew_lock);
        pthread_join(renew_thread, NULL);
    }
    if (disk) {
        struct vs_error err;
        /* nothing may be lost: flush before the writer handle goes */
        if (!smbio_disk_release(disk, &err))
            nbdkit_error("%s", err.message);
        smbio_disk_close(disk);
        disk = NULL;
    }
    smbio_creds_destroy(creds);   /* tickets do not outlive the export */
    creds = NULL;
    if (journal_fd >= 0)
        close(journal_fd);
    journal_fd = -1;
    free(journal_path);
    free(url);
    free(ccache);
    free(keytab);
    free(principal);
    free(control_path);
}

static void *
smbio_open(int readonly)
{
    (void)readonly;
    return disk;
}

static int64_t
smbio_get_size(void *handle)
{
    struct vs_error err;
    uint64_t size;
    bool ok;

    (void)handle;
    ok = smbio_disk_size(disk, &size, &err);
    if (!ok) {
        nbdkit_error("%s", err.message);
        return -1;
    }
    return (int64_t)size;
}

static int
smbio_can_write(void *handle)
{
    (void)handle;
    return 1;   /* a standby export refuses writes with EROFS, request by request */
}

static int
smbio_can_fua(void *handle)
{
    (void)handle;
    return NBDKIT_FUA_EMULATE;   /* nbdkit follows a FUA write with our flush */
}

static int
smbio_can_flush(void *handle)
{
    (void)handle;
    return 1;
}

/* After a request: count it, and on failure report it the nbdkit way. A
 * write refused in standby is EROFS; anything else EIO. */
static int
request_done(bool ok, const struct vs_error *err, uint64_t *counter, uint64_t *bytes, uint32_t len)
{
    if (ok) {
        count(counter, 1);
        if (bytes)
            count(bytes, len);
        return 0;
    }
    count(&stats.errors, 1);
    nbdkit_error("%s", err->message);
    nbdkit_set_error(smbio_disk_mode(disk) == SMBIO_STANDBY && err->code == VS_ERR_DENIED ? EROFS : EIO);
    return -1;
}

static int
smbio_pread(void *handle, void *buf, uint32_t len, uint64_t offset, uint32_t flags)
{
    struct vs_error err;

    (void)handle;
    (void)flags;
    return request_done(smbio_disk_pread(disk, buf, len, offset, &err), &err, &stats.reads,
                        &stats.bytes_read, len);
}

static int
smbio_pwrite(void *handle, const void *buf, uint32_t len, uint64_t offset, uint32_t flags)
{
    struct vs_error err;

    (void)handle;
    (void)flags;
    return request_done(smbio_disk_pwrite(disk, buf, len, offset, &err), &err, &stats.writes,
                        &stats.bytes_written, len);
}

static int
smbio_flush(void *handle, uint32_t flags)
{
    struct vs_error err;

    (void)handle;
    (void)flags;
    return request_done(smbio_disk_flush(disk, &err), &err, &stats.flushes, NULL, 0);
}

/* No .zero: nbdkit writes zeroes through .pwrite, which is correct and as
 * durable as any write. No .trim: SMB's way to punch a hole
 * (FSCTL_SET_ZERO_DATA) is not reachable through libsmbclient's API, so the
 * export does not offer trim and nbdkit refuses trim requests. */

static struct nbdkit_plugin plugin = {
    .name = "smbio",
    .longname = "vsmigrate smbio: a VM disk on an SMB3 share",
    .version = PACKAGE_VERSION,
    .description = "Exports one disk file from an SMB3 share, with a writer hand-off",
    .config = smbio_config,
    .config_complete = smbio_config_complete,
    .config_help = smbio_config_help,
    .magic_config_key = "url",
    .after_fork = smbio_after_fork,
    .unload = smbio_unload,
    .open = smbio_open,
    .get_size = smbio_get_size,
    .can_write = smbio_can_write,
    .can_flush = smbio_can_flush,
    .can_fua = smbio_can_fua,
    .pread = smbio_pread,
    .pwrite = smbio_pwrite,
    .flush = smbio_flush,
    .errno_is_preserved = 0,
};

NBDKIT_REGISTER_PLUGIN(plugin)
