/* nbdkit-smbio-plugin: one VM disk on an SMB3 share, exported over NBD.
 *
 *   nbdkit --unix SOCKET smbio url=smb://fs/vms/web01/disk0.raw \
 *          ccache=FILE:/run/vsmigrate/host.cc mode=standby|active \
 *          control=/run/vsmigrate/disks/web01-disk0.ctl
 *
 * The export lives as long as its VM and runs apart from the agent. The
 * agent (or vsmigrate-disk) talks to it through the control socket: one
 * line in ("status", "release", "promote"), one JSON line out.
 *
 * libsmbclient is one context per process and not thread-safe, so every
 * disk access (NBD requests and control commands) holds disk_lock. */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define NBDKIT_API_VERSION 2
#include <nbdkit-plugin.h>

#include "smbio/disk.h"
#include "smbio/control.h"

#define THREAD_MODEL NBDKIT_THREAD_MODEL_SERIALIZE_ALL_REQUESTS

static char *url;
static char *ccache;
static char *control_path;
static enum smbio_mode start_mode = SMBIO_STANDBY;
static enum smbio_flush flush_policy = SMBIO_FLUSH_WRITE_THROUGH;

static struct smbio_disk *disk;
static pthread_mutex_t disk_lock = PTHREAD_MUTEX_INITIALIZER;
static struct smbio_stats stats;
static int control_fd = -1;
static pthread_t control_thread;
static bool control_running;

static int
smbio_config(const char *key, const char *value)
{
    char **slot = NULL;

    if (strcmp(key, "url") == 0)
        slot = &url;
    else if (strcmp(key, "ccache") == 0)
        slot = &ccache;
    else if (strcmp(key, "control") == 0)
        slot = &control_path;
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
            flush_policy = SMBIO_FLUSH_WRITE_THROUGH;
        else if (strcmp(value, "server") == 0)
            flush_policy = SMBIO_FLUSH_SERVER;
        else {
            nbdkit_error("flush must be write-through or server, not '%s'", value);
            return -1;
        }
        return 0;
    } else {
        nbdkit_error("unknown parameter '%s' (smbio takes url=, ccache=, mode=, flush= and control=)", key);
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

    if (url == NULL || ccache == NULL) {
        nbdkit_error("smbio needs url=smb://SERVER/SHARE/PATH and ccache=FILE:PATH");
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
    "ccache=FILE:PATH             (required) Kerberos tickets of the host's machine account\n" \
    "mode=standby|active          standby: read-only, others may write (default)\n" \
    "control=PATH                 unix socket for vsmigrate-disk release|promote|status\n" \
    "flush=write-through|server   server: the share has 'sync always = yes'; flush sends nothing"

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

        pthread_mutex_lock(&disk_lock);
        if (cmd == SMBIO_CMD_RELEASE)
            ok = smbio_disk_release(disk, &err);
        else if (cmd == SMBIO_CMD_PROMOTE)
            ok = smbio_disk_promote(disk, &err);
        if (!ok)
            stats.errors++;
        smbio_control_reply(reply, sizeof reply, ok, ok ? NULL : &err, smbio_disk_mode(disk), &stats);
        pthread_mutex_unlock(&disk_lock);
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

static int
smbio_after_fork(void)
{
    struct vs_error err;

    /* after nbdkit forks: the SMB connection must belong to this process */
    if (!smbio_disk_open(url, ccache, start_mode, &disk, &err)) {
        nbdkit_error("%s", err.message);
        return -1;
    }
    smbio_disk_set_flush(disk, flush_policy);
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
    if (disk) {
        struct vs_error err;
        /* nothing may be lost: flush before the writer handle goes */
        pthread_mutex_lock(&disk_lock);
        if (!smbio_disk_release(disk, &err))
            nbdkit_error("%s", err.message);
        smbio_disk_close(disk);
        disk = NULL;
        pthread_mutex_unlock(&disk_lock);
    }
    free(url);
    free(ccache);
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
    pthread_mutex_lock(&disk_lock);
    ok = smbio_disk_size(disk, &size, &err);
    pthread_mutex_unlock(&disk_lock);
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

/* After a request, with disk_lock held: count it, and on failure report it
 * the nbdkit way. A write refused in standby is EROFS; anything else EIO. */
static int
request_done(bool ok, const struct vs_error *err, uint64_t *counter, uint64_t *bytes, uint32_t count)
{
    int error = smbio_disk_mode(disk) == SMBIO_STANDBY && err->code == VS_ERR_DENIED ? EROFS : EIO;

    if (ok) {
        (*counter)++;
        if (bytes)
            *bytes += count;
    } else {
        stats.errors++;
    }
    pthread_mutex_unlock(&disk_lock);
    if (ok)
        return 0;
    nbdkit_error("%s", err->message);
    nbdkit_set_error(error);
    return -1;
}

static int
smbio_pread(void *handle, void *buf, uint32_t count, uint64_t offset, uint32_t flags)
{
    struct vs_error err;

    (void)handle;
    (void)flags;
    pthread_mutex_lock(&disk_lock);
    return request_done(smbio_disk_pread(disk, buf, count, offset, &err), &err, &stats.reads,
                        &stats.bytes_read, count);
}

static int
smbio_pwrite(void *handle, const void *buf, uint32_t count, uint64_t offset, uint32_t flags)
{
    struct vs_error err;

    (void)handle;
    (void)flags;
    pthread_mutex_lock(&disk_lock);
    return request_done(smbio_disk_pwrite(disk, buf, count, offset, &err), &err, &stats.writes,
                        &stats.bytes_written, count);
}

static int
smbio_flush(void *handle, uint32_t flags)
{
    struct vs_error err;

    (void)handle;
    (void)flags;
    pthread_mutex_lock(&disk_lock);
    return request_done(smbio_disk_flush(disk, &err), &err, &stats.flushes, NULL, 0);
}

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
