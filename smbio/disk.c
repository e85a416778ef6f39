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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libsmbclient.h>
#include <krb5/krb5.h>

#include "smbio/disk.h"

/* The start of libsmbclient's private struct _SMBCFILE (Samba 4.x). */
struct smbcfile_head {
    int cli_fd;
    void *targetcli;
    char *fname;
};

typedef uint32_t (*cli_writeall_fn)(void *cli, uint16_t fnum, uint16_t mode, const uint8_t *buf,
                                   off_t offset, size_t size, size_t *written);
#define WRITE_THROUGH 0x0001   /* cli_writeall's mode bit: SMB2_WRITEFLAG_WRITE_THROUGH */

struct smbio_disk {
    SMBCCTX *ctx;
    char *principal;
    char url[SMBIO_URL_MAX];
    struct smbio_url parts;
    SMBCFILE *reader;
    SMBCFILE *writer;
    cli_writeall_fn cli_writeall;
    enum smbio_flush flush;
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
        vs_error_set(err, VS_ERR_DENIED, "the file server refused %s access to %s for these "
                     "credentials: grant the host's computer account Modify on the share "
                     "(vsmigrate-share provision)", writer ? "read-write" : "read", d->url);
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
open_handle(struct smbio_disk *d, bool writer, struct vs_error *err)
{
    SMBCFILE *f;

    smbc_setOptionOpenShareMode(d->ctx, writer ? SMBC_SHAREMODE_DENY_WRITE : SMBC_SHAREMODE_DENY_NONE);
    f = smbc_getFunctionOpen(d->ctx)(d->ctx, d->url, writer ? O_RDWR : O_RDONLY, 0);
    if (f == NULL)
        open_error(d, errno, writer, err);
    return f;
}

bool
smbio_disk_open(const char *url, const char *ccache, enum smbio_mode mode, struct smbio_disk **out,
                struct vs_error *err)
{
    struct smbio_disk *d;

    *out = NULL;
    d = calloc(1, sizeof *d);
    if (d == NULL) {
        vs_error_set(err, VS_ERR_NOMEM, "out of memory");
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
    /* libsmbclient takes its ccache from the environment, process-wide */
    setenv("KRB5CCNAME", ccache, 1);
    d->ctx = smbc_new_context();
    if (d->ctx == NULL) {
        vs_error_set(err, VS_ERR_NOMEM, "cannot create an SMB client context");
        free(d);
        return false;
    }
    d->principal = ccache_principal(ccache);
    if (d->principal == NULL) {
        vs_error_set(err, VS_ERR_AUTH, "the Kerberos ccache '%s' holds no principal: fill it with "
                     "the host's tickets first (kinit -k -t KEYTAB 'HOST$@REALM' -c %s)", ccache, ccache);
        smbc_free_context(d->ctx, 1);
        free(d);
        return false;
    }
    smbc_setOptionUserData(d->ctx, d->principal);
    smbc_setOptionUseKerberos(d->ctx, 1);
    smbc_setOptionUseCCache(d->ctx, 1);
    smbc_setOptionFallbackAfterKerberos(d->ctx, 0);
    smbc_setOptionNoAutoAnonymousLogin(d->ctx, 1);
    smbc_setOptionProtocols(d->ctx, "SMB3", "SMB3");
    smbc_setFunctionAuthDataWithContext(d->ctx, auth_fn);
    if (smbc_init_context(d->ctx) == NULL) {
        vs_error_set(err, VS_ERR_INTERNAL, "cannot initialise the SMB client: %s", strerror(errno));
        smbc_free_context(d->ctx, 1);
        free(d->principal);
        free(d);
        return false;
    }
    d->cli_writeall = (cli_writeall_fn)(uintptr_t)dlsym(RTLD_DEFAULT, "cli_writeall");
    d->reader = open_handle(d, false, err);
    if (d->reader == NULL || (mode == SMBIO_ACTIVE && !smbio_disk_promote(d, err))) {
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
    if (d->writer)
        smbc_getFunctionClose(d->ctx)(d->ctx, d->writer);
    if (d->reader)
        smbc_getFunctionClose(d->ctx)(d->ctx, d->reader);
    smbc_free_context(d->ctx, 1);
    free(d->principal);
    free(d);
}

void
smbio_disk_set_flush(struct smbio_disk *d, enum smbio_flush policy)
{
    d->flush = policy;
}

enum smbio_mode
smbio_disk_mode(const struct smbio_disk *d)
{
    return d->writer ? SMBIO_ACTIVE : SMBIO_STANDBY;
}

bool
smbio_disk_size(struct smbio_disk *d, uint64_t *size, struct vs_error *err)
{
    struct stat st;

    if (smbc_getFunctionFstat(d->ctx)(d->ctx, d->reader, &st) < 0) {
        vs_error_set(err, VS_ERR_IO, "cannot read the size of %s: %s", d->url, strerror(errno));
        return false;
    }
    *size = (uint64_t)st.st_size;
    return true;
}

/* libsmbclient has no pread/pwrite: the offset lives in the handle. */
static bool
seek(struct smbio_disk *d, SMBCFILE *f, uint64_t off, struct vs_error *err)
{
    if (off > INT64_MAX || smbc_getFunctionLseek(d->ctx)(d->ctx, f, (off_t)off, SEEK_SET) < 0) {
        vs_error_set(err, VS_ERR_IO, "seek to %llu in %s failed: %s", (unsigned long long)off,
                     d->url, strerror(errno));
        return false;
    }
    return true;
}

bool
smbio_disk_pread(struct smbio_disk *d, void *buf, size_t len, uint64_t off, struct vs_error *err)
{
    size_t got = 0;

    if (!seek(d, d->reader, off, err))
        return false;
    while (got < len) {
        ssize_t n = smbc_getFunctionRead(d->ctx)(d->ctx, d->reader, (char *)buf + got, len - got);
        if (n < 0) {
            vs_error_set(err, VS_ERR_IO, "read of %zu bytes at %llu from %s failed: %s", len,
                         (unsigned long long)off, d->url, strerror(errno));
            return false;
        }
        if (n == 0) {   /* past the end of the file: zeros, as a sparse disk reads */
            memset((char *)buf + got, 0, len - got);
            break;
        }
        got += (size_t)n;
    }
    return true;
}

bool
smbio_disk_pwrite(struct smbio_disk *d, const void *buf, size_t len, uint64_t off, struct vs_error *err)
{
    size_t put = 0;

    if (d->writer == NULL) {
        vs_error_set(err, VS_ERR_DENIED, "%s is in standby (read-only): promote it before writing", d->url);
        errno = EROFS;
        return false;
    }
    if (!seek(d, d->writer, off, err))
        return false;
    while (put < len) {
        ssize_t n = smbc_getFunctionWrite(d->ctx)(d->ctx, d->writer, (const char *)buf + put, len - put);
        if (n <= 0) {
            vs_error_set(err, VS_ERR_IO, "write of %zu bytes at %llu to %s failed: %s", len,
                         (unsigned long long)off, d->url, n < 0 ? strerror(errno) : "nothing written");
            return false;
        }
        put += (size_t)n;
    }
    return true;
}

bool
smbio_disk_flush(struct smbio_disk *d, struct vs_error *err)
{
    const struct smbcfile_head *head = (const void *)d->writer;
    uint8_t byte;
    size_t written = 0;
    uint32_t status;

    if (d->writer == NULL || d->flush == SMBIO_FLUSH_SERVER)
        return true;   /* standby never wrote; or the server syncs every write */
    if (d->cli_writeall == NULL || head->fname == NULL || strcmp(head->fname, d->url) != 0 ||
        head->targetcli == NULL || head->cli_fd < 0 || head->cli_fd > 0xffff) {
        vs_error_set(err, VS_ERR_INTERNAL, "this libsmbclient offers no way to flush %s (Samba's "
                     "cli_writeall is missing or its file handle layout changed): set 'sync always "
                     "= yes' on the share and start the export with flush=server", d->url);
        return false;
    }
    /* Samba 4.17's cli_flush speaks SMB1 only. A write-through write of one
     * byte, rewritten as it is, makes the server fsync the file, and fsync
     * covers every earlier write to it, from any handle. */
    if (!smbio_disk_pread(d, &byte, 1, 0, err))
        return false;
    status = d->cli_writeall(head->targetcli, (uint16_t)head->cli_fd, WRITE_THROUGH, &byte, 0, 1, &written);
    if (status != 0 || written != 1) {
        vs_error_set(err, VS_ERR_IO, "the file server refused the write-through that flushes %s "
                     "(NTSTATUS 0x%08x)", d->url, status);
        return false;
    }
    return true;
}

bool
smbio_disk_promote(struct smbio_disk *d, struct vs_error *err)
{
    if (d->writer != NULL)
        return true;
    d->writer = open_handle(d, true, err);
    return d->writer != NULL;
}

bool
smbio_disk_release(struct smbio_disk *d, struct vs_error *err)
{
    if (d->writer == NULL)
        return true;
    if (!smbio_disk_flush(d, err))
        return false;   /* stay active: nothing may be lost */
    if (smbc_getFunctionClose(d->ctx)(d->ctx, d->writer) < 0) {
        vs_error_set(err, VS_ERR_IO, "closing the writer handle of %s failed: %s", d->url, strerror(errno));
        d->writer = NULL;
        return false;
    }
    d->writer = NULL;
    return true;
}
