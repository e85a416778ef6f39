/* SPDX-License-Identifier: GPL-3.0-or-later */
/* smbio/libsmb.c: Samba's own client calls behind libsmbclient.
 *
 * The prototypes below are Samba 4.17's (source3/libsmb/proto.h); Samba does
 * not install that header. A private symbol whose signature changed would be
 * undefined behaviour, not an error, so the calls are used only on Samba
 * versions whose source was checked (SAMBA_CHECKED_*), and the SMBCFILE's
 * layout only after the file name in it matched. cli_writeall, the flush's
 * write-through, has kept its signature since Samba 4.0 and is used on any
 * version, behind the same layout check. */
#include <config.h>

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <talloc.h>
#include <tevent.h>

#include "smbio/libsmb.h"

typedef uint32_t NTSTATUS_t;

typedef struct tevent_req *(*cli_read_send_fn)(TALLOC_CTX *mem_ctx, struct tevent_context *ev,
                                               void *cli, uint16_t fnum, char *buf, off_t offset,
                                               size_t size);
typedef NTSTATUS_t (*cli_read_recv_fn)(struct tevent_req *req, size_t *received);
typedef struct tevent_req *(*cli_writeall_send_fn)(TALLOC_CTX *mem_ctx, struct tevent_context *ev,
                                                   void *cli, uint16_t fnum, uint16_t mode,
                                                   const uint8_t *buf, off_t offset, size_t size);
typedef NTSTATUS_t (*cli_writeall_recv_fn)(struct tevent_req *req, size_t *pwritten);
typedef NTSTATUS_t (*cli_writeall_fn)(void *cli, uint16_t fnum, uint16_t mode, const uint8_t *buf,
                                      off_t offset, size_t size, size_t *written);

#define WRITE_THROUGH 0x0001   /* cli_write*'s mode bit: SMB2_WRITEFLAG_WRITE_THROUGH */

/* The Samba releases whose cli_read_send/cli_writeall_send signatures and
 * SMBCFILE head were read in their source. */
#define SAMBA_CHECKED_MAJOR 4
#define SAMBA_CHECKED_MINOR_FIRST 17
#define SAMBA_CHECKED_MINOR_LAST 17

/* The start of libsmbclient's private struct _SMBCFILE (Samba 4.x,
 * source3/include/libsmb_internal.h). */
struct smbcfile_head {
    int cli_fd;
    void *targetcli;
    char *fname;
};

static pthread_once_t resolve_once = PTHREAD_ONCE_INIT;
static cli_read_send_fn read_send;
static cli_read_recv_fn read_recv;
static cli_writeall_send_fn write_send;
static cli_writeall_recv_fn write_recv;
static cli_writeall_fn writeall;
static bool layout_ok;   /* the SMBCFILE head may be read: a checked release */
static bool async_ok;
static char async_why[160];

static void *
lookup(const char *name)
{
    return dlsym(RTLD_DEFAULT, name);
}

static void
resolve(void)
{
    const char *version = smbc_version();
    unsigned major = 0, minor = 0;

    writeall = (cli_writeall_fn)(uintptr_t)lookup("cli_writeall");
    if (version == NULL || sscanf(version, "%u.%u", &major, &minor) != 2 ||
        major != SAMBA_CHECKED_MAJOR || minor < SAMBA_CHECKED_MINOR_FIRST ||
        minor > SAMBA_CHECKED_MINOR_LAST) {
        snprintf(async_why, sizeof async_why, "libsmbclient %s is not a release whose private "
                 "calls smbio was checked against (%u.%u to %u.%u)", version ? version : "(unknown)",
                 SAMBA_CHECKED_MAJOR, SAMBA_CHECKED_MINOR_FIRST, SAMBA_CHECKED_MAJOR,
                 SAMBA_CHECKED_MINOR_LAST);
        return;
    }
    layout_ok = true;
    read_send = (cli_read_send_fn)(uintptr_t)lookup("cli_read_send");
    read_recv = (cli_read_recv_fn)(uintptr_t)lookup("cli_read_recv");
    write_send = (cli_writeall_send_fn)(uintptr_t)lookup("cli_writeall_send");
    write_recv = (cli_writeall_recv_fn)(uintptr_t)lookup("cli_writeall_recv");
    if (read_send == NULL || read_recv == NULL || write_send == NULL || write_recv == NULL) {
        snprintf(async_why, sizeof async_why, "Samba's client library %s does not export "
                 "cli_read_send and cli_writeall_send", version);
        return;
    }
    async_ok = true;
}

bool
smbio_libsmb_async_available(const char **why)
{
    pthread_once(&resolve_once, resolve);
    if (why)
        *why = async_ok ? NULL : async_why;
    return async_ok;
}

bool
smbio_libsmb_handle(SMBCFILE *f, const char *url, void **cli, uint16_t *fnum)
{
    const struct smbcfile_head *head = (const void *)f;

    /* gate first, then look: on a release whose layout was not read, the
     * guessed head may not even be readable memory */
    pthread_once(&resolve_once, resolve);
    if (!layout_ok || f == NULL)
        return false;
    if (head->fname == NULL || strcmp(head->fname, url) != 0 ||
        head->targetcli == NULL || head->cli_fd < 0 || head->cli_fd > 0xffff)
        return false;
    *cli = head->targetcli;
    *fnum = (uint16_t)head->cli_fd;
    return true;
}

struct tevent_req *
smbio_libsmb_read_send(struct tevent_context *ev, void *cli, uint16_t fnum, void *buf,
                       uint64_t off, size_t len)
{
    return read_send(NULL, ev, cli, fnum, buf, (off_t)off, len);
}

int
smbio_libsmb_read_recv(struct tevent_req *req, size_t *got)
{
    *got = 0;
    return smbio_errno_from_ntstatus(read_recv(req, got));
}

struct tevent_req *
smbio_libsmb_write_send(struct tevent_context *ev, void *cli, uint16_t fnum, const void *buf,
                        uint64_t off, size_t len)
{
    return write_send(NULL, ev, cli, fnum, 0, buf, (off_t)off, len);
}

int
smbio_libsmb_write_recv(struct tevent_req *req, size_t *put)
{
    *put = 0;
    return smbio_errno_from_ntstatus(write_recv(req, put));
}

uint32_t
smbio_libsmb_write_through(void *cli, uint16_t fnum, const void *buf, uint64_t off, size_t len,
                           size_t *put)
{
    pthread_once(&resolve_once, resolve);
    if (writeall == NULL)
        return 0xffffffff;
    return writeall(cli, fnum, WRITE_THROUGH, buf, (off_t)off, len, put);
}

int
smbio_errno_from_ntstatus(uint32_t status)
{
    static const struct { uint32_t status; int e; } map[] = {
        /* the session or its connection is gone: reconnect */
        { 0xc000035c, ECONNABORTED },   /* NETWORK_SESSION_EXPIRED: the ticket ran out */
        { 0xc0000203, ECONNABORTED },   /* USER_SESSION_DELETED */
        { 0xc000020c, ECONNABORTED },   /* CONNECTION_DISCONNECTED */
        { 0xc0000241, ECONNABORTED },   /* CONNECTION_ABORTED */
        { 0xc00000c9, ECONNABORTED },   /* NETWORK_NAME_DELETED: the tree is gone */
        { 0xc000020d, ECONNRESET },     /* CONNECTION_RESET */
        { 0xc0000236, ECONNREFUSED },   /* CONNECTION_REFUSED */
        { 0xc000023c, ENETUNREACH },    /* NETWORK_UNREACHABLE */
        { 0xc000023d, EHOSTUNREACH },   /* HOST_UNREACHABLE */
        { 0xc00000b5, ETIMEDOUT },      /* IO_TIMEOUT */
        { 0xc00000c3, EIO },            /* INVALID_NETWORK_RESPONSE */
        { 0xc0000008, EBADF },          /* INVALID_HANDLE */
        { 0xc0000128, EBADF },          /* FILE_CLOSED */
        /* the server's answer about the file */
        { 0xc0000022, EACCES },         /* ACCESS_DENIED */
        { 0xc0000043, EBUSY },          /* SHARING_VIOLATION */
        { 0xc0000054, EACCES },         /* FILE_LOCK_CONFLICT */
        { 0xc0000055, EACCES },         /* LOCK_NOT_GRANTED */
        { 0xc0000034, ENOENT },         /* OBJECT_NAME_NOT_FOUND */
        { 0xc000003a, ENOENT },         /* OBJECT_PATH_NOT_FOUND */
        { 0xc000007f, ENOSPC },         /* DISK_FULL */
        { 0xc0000044, EDQUOT },         /* QUOTA_EXCEEDED */
        { 0xc0000017, ENOMEM },         /* NO_MEMORY */
        { 0xc000009a, EAGAIN },         /* INSUFFICIENT_RESOURCES: no credits left now */
        { 0xc00000bb, ENOTSUP },        /* NOT_SUPPORTED */
        { 0xc0000010, ENOTSUP },        /* INVALID_DEVICE_REQUEST */
        { 0xc0000120, ECANCELED },      /* CANCELLED */
        { 0xc000000d, EINVAL },         /* INVALID_PARAMETER */
        { 0xc0000185, EIO },            /* IO_DEVICE_ERROR */
    };

    if (status < 0x80000000u)
        return 0;   /* success and informational */
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i].status == status)
            return map[i].e;
    return EIO;
}
