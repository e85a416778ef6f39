/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/definition.c: a VM's definition on the share,
 * //SERVER/SHARE/<vm>/<vm>.xml: read to start the VM there (vsmigrate
 * start), written back after a move so that the copy on the share is the
 * definition the VM now runs with.
 *
 * Both go through vsmigrate-disk (cat, put): libsmbclient's settings are
 * process-wide, and the agent does not link it. A Kerberos caller's own
 * CIFS ticket (S4U2Proxy) is used, so the file server decides whether that
 * admin may; a local caller on the unix socket gets this host's keytab. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "hostagent/daemon.h"
#include "hostagent/tool.h"
#include "krb/krb.h"
#include "smbio/url.h"

#define DEFINITION_MAX (1024 * 1024)
#define DEFINITION_TOOL_TIMEOUT_MS 30000

/* The credentials options of a vsmigrate-disk call on server, for this
 * request's caller. *cc: the ccache made for it (remove it after the call). */
struct share_creds {
    const char *argv[4];
    int n;
    struct krb_ccache_file *cc;
    char *cifs;
};

static bool
share_creds_get(struct request_ctx *r, const char *server, struct share_creds *sc,
                struct vs_error *err)
{
    const struct agent_config *c = r->s->cfg;

    memset(sc, 0, sizeof *sc);
    if (r->accepted) {
        if (!krb_service_principal_for("cifs", server, &sc->cifs, err) ||
            !krb_cifs_ccache_create(r->accepted, sc->cifs, c->runtime_dir, &sc->cc, err)) {
            free(sc->cifs);
            sc->cifs = NULL;
            return false;
        }
        sc->argv[sc->n++] = "--ccache";
        sc->argv[sc->n++] = krb_ccache_file_name(sc->cc);
    } else if (r->s->acc) {
        sc->argv[sc->n++] = "--keytab";
        sc->argv[sc->n++] = c->keytab;
        sc->argv[sc->n++] = "--principal";
        sc->argv[sc->n++] = krb_acceptor_machine(r->s->acc);
    } else {
        vs_error_set(err, VS_ERR_UNAVAILABLE, "%s runs with auth = local and has no keytab to "
                     "reach the share with: use auth = kerberos", r->agent->host);
        return false;
    }
    return true;
}

static void
share_creds_drop(struct share_creds *sc)
{
    krb_ccache_file_remove(sc->cc);
    free(sc->cifs);
    memset(sc, 0, sizeof *sc);
}

/* vsmigrate-disk VERB URL [--from FILE] CREDS [--json]: its exit status, its
 * output in out; -1 with why when it could not run */
static int
disk_tool_run(struct request_ctx *r, const char *verb, const char *url, const char *from,
              const struct share_creds *sc, char *out, size_t outlen, char *why, size_t whylen)
{
    const struct agent_config *c = r->s->cfg;
    const char *argv[12];
    int n = 0;

    argv[n++] = c->disk_tool;
    argv[n++] = verb;
    argv[n++] = url;
    if (from) {
        argv[n++] = "--from";
        argv[n++] = from;
        argv[n++] = "--json";
    }
    for (int i = 0; i < sc->n; i++)
        argv[n++] = sc->argv[i];
    argv[n] = NULL;
    char rundir[600], *env[] = { rundir, NULL };
    /* the tool's private ccache directory goes under our runtime dir */
    snprintf(rundir, sizeof rundir, "RUNTIME_DIRECTORY=%s", c->runtime_dir);
    long long left = r->deadline_ms - wire_now_ms();
    if (left > DEFINITION_TOOL_TIMEOUT_MS || left <= 0)
        left = DEFINITION_TOOL_TIMEOUT_MS;
    return tool_run((char *const *)argv, env, left, "disk_tool", out, outlen, why, whylen);
}

char *
definition_read(struct request_ctx *r, struct vs_error *err)
{
    const struct agent_config *c = r->s->cfg;
    char *out = malloc(DEFINITION_MAX + 1), why[1024] = "", url[1300];

    if (out == NULL) {
        vs_error_set(err, VS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (c->nshares == 0)
        vs_error_set(err, VS_ERR_DENIED, "this host lists no share for VMs: set shares = "
                     "//SERVER/SHARE in [storage] of its vsmigrated.conf");
    for (size_t i = 0; i < c->nshares; i++) {
        char server[256];
        struct share_creds sc;
        int rc;

        snprintf(server, sizeof server, "%.*s", (int)strcspn(c->shares[i] + 2, "/"), c->shares[i] + 2);
        snprintf(url, sizeof url, "smb:%s/%s/%s.xml", c->shares[i], r->vm, r->vm);
        if (!share_creds_get(r, server, &sc, err)) {
            free(out);
            return NULL;
        }
        rc = disk_tool_run(r, "cat", url, NULL, &sc, out, DEFINITION_MAX + 1, why, sizeof why);
        share_creds_drop(&sc);
        if (rc == 0 && strlen(out) < DEFINITION_MAX)
            return out;
        if (rc == 4)
            vs_error_set(err, VS_ERR_NOTFOUND, "there is no %s/%s/%s.xml: put the VM's definition "
                         "in its folder on the share", c->shares[i], r->vm, r->vm);
        else
            vs_error_set(err, rc == 1 ? VS_ERR_DENIED : VS_ERR_UNAVAILABLE, "%s cannot be read "
                         "(%s): %s", url, r->caller, why[0] ? why : "the disk tool failed");
        if (rc != 4)
            break;
    }
    free(out);
    return NULL;
}

/* xml into dir/definition.xml, 0600 (a definition may hold secrets: the
 * directory is the job's own, 0700, and the file goes right after use) */
static bool
definition_file_write(const char *dir, const char *xml, char *path, size_t pathlen,
                      struct vs_error *err)
{
    size_t len = strlen(xml);
    int fd;

    snprintf(path, pathlen, "%s/definition.xml", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, xml, len) != (ssize_t)len) {
        vs_error_set(err, VS_ERR_IO, "cannot write %s: %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(path);
        }
        return false;
    }
    close(fd);
    return true;
}

bool
definition_save(struct request_ctx *r, const char *folder, const char *xml, const char *dir,
                struct vs_error *err)
{
    struct smbio_url parts;
    struct share_creds sc;
    char url[1400], path[700], out[4096] = "", why[1024] = "", ok[16] = "";
    int rc;

    snprintf(url, sizeof url, "%s/%s.xml", folder, r->vm);
    if (!smbio_url_parse(url, &parts, err) || !definition_file_write(dir, xml, path, sizeof path, err))
        return false;
    if (!share_creds_get(r, parts.server, &sc, err)) {
        unlink(path);
        return false;
    }
    rc = disk_tool_run(r, "put", url, path, &sc, out, sizeof out, why, sizeof why);
    share_creds_drop(&sc);
    unlink(path);
    if (rc == 0 && json_field(out, "ok", ok, sizeof ok) && strcmp(ok, "true") == 0)
        return true;
    if (rc >= 0 && json_field(out, "error", why, sizeof why) == NULL)
        snprintf(why, sizeof why, "%s exited with status %d and gave no reason", r->s->cfg->disk_tool, rc);
    vs_error_set(err, rc == 1 ? VS_ERR_DENIED : VS_ERR_UNAVAILABLE, "%s was not updated (%s): %s",
                 url, r->caller, why);
    return false;
}
