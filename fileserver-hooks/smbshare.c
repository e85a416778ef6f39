/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fileserver-hooks/smbshare.c: a share's root over libsmbclient. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libsmbclient.h>

#include "fileserver-hooks/smbshare.h"
#include "krb/krb.h"

struct share_conn {
    SMBCCTX *ctx;
    struct share_target t;
    char root[600];             /* smb://server/share/ */
};

bool
share_target_parse(const char *text, struct share_target *out, struct vs_error *err)
{
    const char *p = text, *slash;
    size_t len;
    char sep = '/';

    memset(out, 0, sizeof *out);
    if (strncasecmp(p, "smb://", 6) == 0)
        p += 6;
    else if (p[0] == '/' && p[1] == '/')
        p += 2;
    else if (p[0] == '\\' && p[1] == '\\') {
        p += 2;
        sep = '\\';
    } else
        goto bad;
    slash = strchr(p, sep);
    if (slash == NULL || slash == p || (size_t)(slash - p) >= sizeof out->server)
        goto bad;
    for (const char *q = p; q < slash; q++)
        if (!isalnum((unsigned char)*q) && *q != '.' && *q != '-' && *q != '_')
            goto bad;
    memcpy(out->server, p, (size_t)(slash - p));
    p = slash + 1;
    len = strcspn(p, sep == '/' ? "/" : "\\");
    if (len == 0 || len >= sizeof out->share || (p[len] && p[len + 1]))
        goto bad;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)p[i]) && !strchr("_.-$", p[i]))
            goto bad;
    memcpy(out->share, p, len);
    return true;
bad:
    vs_error_set(err, VS_ERR_INVALID, "'%s' is not a share: write it as //SERVER/SHARE "
                 "(for example //fs.example.com/vms)", text);
    return false;
}

void
share_errno_explain(const struct share_target *t, const char *what, int e, struct vs_error *err)
{
    char who[256];

    krb_default_principal(who, sizeof who);
    switch (e) {
    case EACCES:
    case EPERM:
        vs_error_set(err, VS_ERR_DENIED, "%s: //%s/%s refused %s (%s): grant the account "
                     "access on the share (vsmigrate-share provision)", what, t->server, t->share,
                     who[0] ? who : "the caller", strerror(e));
        break;
    case ENOENT:
    case ENODEV:
    case ENOTDIR:
        vs_error_set(err, VS_ERR_NOTFOUND, "%s: //%s/%s does not exist (%s): check the share's "
                     "name, or create it with vsmigrate-share provision --path", what, t->server,
                     t->share, strerror(e));
        break;
    case ECONNREFUSED:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case ETIMEDOUT:
    case ECONNRESET:
        vs_error_set(err, VS_ERR_UNAVAILABLE, "%s: cannot reach %s (%s): is smbd running and TCP "
                     "port 445 open?", what, t->server, strerror(e));
        break;
    case EINVAL:
    case ENOMEM:
    default:
        vs_error_set(err, e == EINVAL ? VS_ERR_AUTH : VS_ERR_IO, "%s on //%s/%s failed (%s): "
                     "check that you hold a Kerberos ticket (klist; kinit as an admin) and that "
                     "the server offers SMB3", what, t->server, t->share, strerror(e));
        break;
    }
}

static void
auth_fn(SMBCCTX *c, const char *srv, const char *shr, char *wg, int wglen, char *un, int unlen,
        char *pw, int pwlen)
{
    /* Kerberos only; libsmbclient wants some user name, which the ticket overrides. */
    (void)c; (void)srv; (void)shr; (void)wg; (void)wglen;
    if (unlen > 0)
        snprintf(un, (size_t)unlen, "kerberos");
    if (pwlen > 0)
        pw[0] = '\0';
}

static SMBCCTX *
context_new(const char *min_proto, const char *max_proto, smbc_smb_encrypt_level enc)
{
    SMBCCTX *ctx = smbc_new_context();

    if (ctx == NULL)
        return NULL;
    smbc_setOptionUseKerberos(ctx, 1);
    smbc_setOptionFallbackAfterKerberos(ctx, 0);
    smbc_setOptionNoAutoAnonymousLogin(ctx, 1);
    smbc_setOptionProtocols(ctx, min_proto, max_proto);
    smbc_setOptionSmbEncryptionLevel(ctx, enc);
    smbc_setFunctionAuthDataWithContext(ctx, auth_fn);
    if (smbc_init_context(ctx) == NULL) {
        smbc_free_context(ctx, 1);
        return NULL;
    }
    return ctx;
}

bool
share_open(const struct share_target *t, struct share_conn **out, struct vs_error *err)
{
    struct share_conn *c = calloc(1, sizeof *c);
    SMBCFILE *dir;

    *out = NULL;
    if (c == NULL) {
        vs_error_set(err, VS_ERR_NOMEM, "out of memory");
        return false;
    }
    c->t = *t;
    snprintf(c->root, sizeof c->root, "smb://%s/%s/", t->server, t->share);
    c->ctx = context_new("SMB3", "SMB3", SMBC_ENCRYPTLEVEL_DEFAULT);
    if (c->ctx == NULL) {
        vs_error_set(err, VS_ERR_INTERNAL, "cannot start libsmbclient (%s): is "
                     "/etc/samba/smb.conf readable, and the samba-libs package installed?",
                     strerror(errno));
        free(c);
        return false;
    }
    dir = smbc_getFunctionOpendir(c->ctx)(c->ctx, c->root);
    if (dir == NULL) {
        share_errno_explain(t, "opening the share", errno, err);
        share_close(c);
        return false;
    }
    smbc_getFunctionClosedir(c->ctx)(c->ctx, dir);
    *out = c;
    return true;
}

void
share_close(struct share_conn *c)
{
    if (c == NULL)
        return;
    smbc_free_context(c->ctx, 1);
    free(c);
}

static char *
read_attr(struct share_conn *c, const char *name, struct vs_error *err)
{
    /* The size is not known in advance: grow until it fits. */
    for (size_t cap = 16384; cap <= ACL_TEXT_MAX * 2; cap *= 4) {
        char *buf = calloc(1, cap);
        int rc;
        if (buf == NULL) {
            vs_error_set(err, VS_ERR_NOMEM, "out of memory");
            return NULL;
        }
        rc = smbc_getFunctionGetxattr(c->ctx)(c->ctx, c->root, name, buf, cap - 1);
        if (rc >= 0 && memchr(buf, '\0', cap - 1) != NULL)
            return buf;
        int e = errno;
        free(buf);
        if (rc < 0 && e != ERANGE) {
            share_errno_explain(&c->t, "reading the share root's ACL", e, err);
            return NULL;
        }
    }
    vs_error_set(err, VS_ERR_PROTOCOL, "the share root's security descriptor is larger than %d "
                 "bytes: refusing it", ACL_TEXT_MAX);
    return NULL;
}

bool
share_read_acl(struct share_conn *c, struct acl_list *out, struct vs_error *err)
{
    char *numeric = read_attr(c, "system.nt_sec_desc.*", err), *named;

    if (numeric == NULL)
        return false;
    if (!acl_parse(numeric, strlen(numeric), out, err)) {
        free(numeric);
        return false;
    }
    free(numeric);
    /* names are for people only: without them the SIDs are shown */
    named = read_attr(c, "system.nt_sec_desc.*+", NULL);
    if (named)
        acl_attach_names(out, named, strlen(named));
    free(named);
    return true;
}

bool
share_write_dacl(struct share_conn *c, const struct acl_list *dacl, struct vs_error *err)
{
    char *text = acl_format_dacl(dacl);
    int rc;

    if (text == NULL) {
        vs_error_set(err, VS_ERR_NOMEM, "out of memory");
        return false;
    }
    /* A whole descriptor that names no OWNER or GROUP: libsmbclient then
     * sends the DACL alone, and the owner and group stay as they are. */
    rc = smbc_getFunctionSetxattr(c->ctx)(c->ctx, c->root, "system.nt_sec_desc.*", text,
                                           strlen(text), 0);
    free(text);
    if (rc < 0) {
        share_errno_explain(&c->t, "writing the share root's ACL", errno, err);
        return false;
    }
    return true;
}

bool
share_write_test(struct share_conn *c, const char *tag, struct vs_error *err)
{
    char url[800], back[32] = "";
    const char data[] = "vsmigrate-share write test\n";
    SMBCFILE *f;
    ssize_t n;

    snprintf(url, sizeof url, "%s.vsmigrate-check-%s-%ld", c->root, tag, (long)getpid());
    f = smbc_getFunctionCreat(c->ctx)(c->ctx, url, 0644);
    if (f == NULL) {
        share_errno_explain(&c->t, "creating a test file in the share's root", errno, err);
        return false;
    }
    n = smbc_getFunctionWrite(c->ctx)(c->ctx, f, data, sizeof data - 1);
    int e = errno;
    smbc_getFunctionClose(c->ctx)(c->ctx, f);
    if (n != (ssize_t)sizeof data - 1) {
        smbc_getFunctionUnlink(c->ctx)(c->ctx, url);
        share_errno_explain(&c->t, "writing the test file", n < 0 ? e : EIO, err);
        return false;
    }
    f = smbc_getFunctionOpen(c->ctx)(c->ctx, url, O_RDONLY, 0);
    if (f != NULL) {
        n = smbc_getFunctionRead(c->ctx)(c->ctx, f, back, sizeof back - 1);
        smbc_getFunctionClose(c->ctx)(c->ctx, f);
    }
    if (f == NULL || n < 0 || strncmp(back, data, sizeof back - 1) != 0) {
        smbc_getFunctionUnlink(c->ctx)(c->ctx, url);
        vs_error_set(err, VS_ERR_IO, "the test file in //%s/%s did not read back what was "
                     "written: check the server's logs", c->t.server, c->t.share);
        return false;
    }
    if (smbc_getFunctionUnlink(c->ctx)(c->ctx, url) < 0) {
        share_errno_explain(&c->t, "deleting the test file", errno, err);
        return false;
    }
    return true;
}

/* One attempt in a child process: 0 when the share's root opens, else errno. */
static int
probe_once(const struct share_target *t, const char *min_proto, const char *max_proto,
           smbc_smb_encrypt_level enc)
{
    pid_t pid;
    int status;

    fflush(NULL);
    pid = fork();
    if (pid < 0)
        return errno;
    if (pid == 0) {
        char root[600];
        SMBCCTX *ctx = context_new(min_proto, max_proto, enc);
        SMBCFILE *dir;
        int rc;

        if (ctx == NULL)
            _exit(errno ? errno : EIO);
        snprintf(root, sizeof root, "smb://%s/%s/", t->server, t->share);
        dir = smbc_getFunctionOpendir(ctx)(ctx, root);
        rc = dir ? 0 : errno ? errno : EIO;
        _exit(rc > 255 ? EIO : rc);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return errno;
    return WIFEXITED(status) ? WEXITSTATUS(status) : EIO;
}

void
share_probe_run(const struct share_target *t, struct share_probe *out)
{
    static const char *const dialects[] = { "SMB3_11", "SMB3_02", "SMB3_00" };
    struct vs_error err;
    int rc;

    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < sizeof dialects / sizeof dialects[0]; i++) {
        rc = probe_once(t, dialects[i], dialects[i], SMBC_ENCRYPTLEVEL_DEFAULT);
        if (rc == 0) {
            snprintf(out->best_dialect, sizeof out->best_dialect, "%s", dialects[i]);
            out->smb3 = true;
            break;
        }
        if (i == 0) {
            share_errno_explain(t, "an SMB3 session", rc, &err);
            snprintf(out->first_error, sizeof out->first_error, "%s", err.message);
        }
    }
    out->accepts_smb2 = probe_once(t, "SMB2_02", "SMB2_10", SMBC_ENCRYPTLEVEL_DEFAULT) == 0;
    if (!out->smb3 && out->accepts_smb2)
        snprintf(out->best_dialect, sizeof out->best_dialect, "SMB2");
    if (!out->smb3)
        return;
    out->encryption_works = probe_once(t, "SMB3", "SMB3", SMBC_ENCRYPTLEVEL_REQUIRE) == 0;
    out->encryption_required = probe_once(t, "SMB3", "SMB3", SMBC_ENCRYPTLEVEL_NONE) != 0;
}
