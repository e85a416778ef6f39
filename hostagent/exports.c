/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/exports.c: a VM's disk exports (exports.h). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/proc.h"
#include "hostagent/exports.h"
#include "krb/krb.h"

#define READY_TIMEOUT_MS 30000
#define STOP_TIMEOUT_MS 10000

static void
sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
    nanosleep(&ts, NULL);
}

/* The vsmigrate lease of disk d, or NULL: a disk without one is not ours. */
const struct domxml_lease *
export_lease_of(const struct domxml_info *vm, const struct domxml_disk *d)
{
    for (size_t i = 0; i < vm->nleases; i++)
        if (strcmp(vm->leases[i].lockspace, "vsmigrate") == 0 &&
            strcmp(vm->leases[i].key, d->target) == 0)
            return &vm->leases[i];
    return NULL;
}

/* Fill e for disk d, checking that the definition names exactly the paths
 * this host would: RUNTIME/disks/<vm>-<target>.sock and .ctl. */
bool
export_paths(const char *runtime_dir, const struct domxml_info *vm,
             const struct domxml_disk *d, const struct domxml_lease *l, struct export *e,
             struct vs_error *err)
{
    char base[300];

    e->disk = d;
    snprintf(base, sizeof base, "%s/disks/%s-%s", runtime_dir, vm->name, d->target);
    snprintf(e->sock, sizeof e->sock, "%s.sock", base);
    snprintf(e->ctl, sizeof e->ctl, "%s.ctl", base);
    snprintf(e->pid, sizeof e->pid, "%s.pid", base);
    snprintf(e->log, sizeof e->log, "%s.log", base);
    snprintf(e->journal, sizeof e->journal, "%s.writer.log", base);
    if (strchr(d->target, '/') || strcmp(d->socket, e->sock) != 0 || strcmp(l->path, e->ctl) != 0) {
        vs_error_set(err, VS_ERR_INVALID, "%s: disk %s must be served at %s with its lease's "
                     "target at %s (the definition says %s and %s): vsmigrate starts exports "
                     "only there",
                vm->name, d->target, e->sock, e->ctl, d->socket[0] ? d->socket : "(no socket)",
                l->path);
        return false;
    }
    return true;
}

bool
export_alive(const struct export *e, pid_t *pid)
{
    FILE *f = fopen(e->pid, "r");
    long p = 0;

    if (f == NULL)
        return false;
    if (fscanf(f, "%ld", &p) != 1)
        p = 0;
    fclose(f);
    *pid = (pid_t)p;
    /* the export's own socket path is in its argv (--unix): a stranger that
     * was given the number of an export that died is left alone */
    return vs_process_running((pid_t)p) && vs_process_has_arg((pid_t)p, e->sock);
}

/* nbdkit, its stdio on the export's log, in a session of its own; it forks
 * into the background once its socket listens, and writes its pid. */
bool
export_start(const struct agent_config *c, const char *machine, const struct export *e,
             const char *vm, struct vs_error *err)
{
    char url[1100], keytab[600], principal[600], control[400], journal[400], threads[16];
    pid_t pid, old;
    int status;

    if (export_alive(e, &old))
        return true;   /* a start after a failed one, or a libvirtd restart: it runs */
    unlink(e->sock);
    unlink(e->ctl);
    unlink(e->pid);
    snprintf(url, sizeof url, "url=%s", e->disk->url);
    snprintf(keytab, sizeof keytab, "keytab=%s", c->keytab);
    snprintf(principal, sizeof principal, "principal=%s", machine);
    snprintf(control, sizeof control, "control=%s", e->ctl);
    snprintf(journal, sizeof journal, "writer-journal=%s", e->journal);
    snprintf(threads, sizeof threads, "%d", c->export_threads);
    pid = fork();
    if (pid < 0) {
        vs_error_set(err, VS_ERR_INTERNAL, "%s: cannot start the export of %s: fork: %s", vm,
                     e->disk->target, strerror(errno));
        return false;
    }
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
        int out = open(e->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (in < 0 || out < 0 || dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
            dup2(out, STDERR_FILENO) < 0)
            _exit(126);
        close_range(3, ~0U, 0);   /* nothing of libvirtd's, nor of the hook's pipes */
        setsid();
        execl(c->nbdkit, c->nbdkit, "-P", e->pid, "--unix", e->sock, "--threads", threads,
              c->export_plugin, url, keytab, principal, "mode=standby", control, journal,
              (char *)NULL);
        _exit(127);
    }
    /* nbdkit returns once it has forked into the background, ready */
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    for (int waited = 0; waited < READY_TIMEOUT_MS; waited += 50) {
        struct stat st;
        if (stat(e->ctl, &st) == 0 && S_ISSOCK(st.st_mode) && export_alive(e, &old))
            return true;
        if (waited > 200 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
            break;
        sleep_ms(50);
    }
    vs_error_set(err, VS_ERR_UNAVAILABLE, "%s: the export of disk %s (%s) did not start (%s "
                 "%d): see %s", vm, e->disk->target, e->disk->url,
            WIFEXITED(status) ? "exit status" : "signal",
            WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), e->log);
    return false;
}

void
export_stop(const struct export *e)
{
    pid_t pid;

    if (export_alive(e, &pid)) {
        kill(pid, SIGTERM);   /* the export flushes and lets the writer handle go */
        for (int waited = 0; waited < STOP_TIMEOUT_MS && export_alive(e, &pid); waited += 50)
            sleep_ms(50);
        if (export_alive(e, &pid))
            kill(pid, SIGKILL);
    }
    unlink(e->pid);
    unlink(e->sock);
    unlink(e->ctl);
}

char *
export_machine_principal(const struct agent_config *c, struct vs_error *err)
{
    char host[256], *spn = NULL, *machine = NULL;

    if (c->spn)
        spn = strdup(c->spn);
    else if (gethostname(host, sizeof host) != 0)
        vs_error_set(err, VS_ERR_INVALID, "this host has no name (%s): set spn in [auth] of "
                     "vsmigrated.conf", strerror(errno));
    else if (!krb_service_principal_for("vsmigrate", host, &spn, err))
        vs_error_prefix(err, "set spn in [auth] of vsmigrated.conf, or");
    if (spn && !krb_keytab_machine(c->keytab, spn, &machine, err))
        machine = NULL;
    else if (spn == NULL && c->spn)
        vs_error_set(err, VS_ERR_NOMEM, "out of memory");
    free(spn);
    return machine;
}
