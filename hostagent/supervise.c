/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/supervise.c: a dead disk export under a running VM starts again
 * (supervise.h). */
#include <config.h>

#include <dirent.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "common/ccdir.h"
#include "common/crashtrace.h"
#include "common/log.h"
#include "hostagent/daemon.h"
#include "hostagent/domxml.h"
#include "hostagent/exports.h"
#include "hostagent/repeats.h"
#include "hostagent/stalecopy.h"
#include "hostagent/supervise.h"
#include "hostagent/virt.h"
#include "smbio/control_client.h"

/* Bring vm's exports back (standby); with take, each then takes the writer.
 * true when done (with take: the VM may go on). why: what happened. */
static bool
exports_restore(const struct settings *s, const struct domxml_info *vm, bool take,
                bool *restarted, char *why, size_t whylen)
{
    struct export e;
    struct vs_error err;
    char *machine = NULL;
    bool busy, ok = true;
    pid_t pid;

    *restarted = false;
    for (size_t i = 0; i < vm->ndisks && ok; i++) {
        const struct domxml_lease *l = export_lease_of(vm, &vm->disks[i]);
        if (l == NULL)
            continue;
        if (!export_paths(s->cfg->runtime_dir, vm, &vm->disks[i], l, &e, &err)) {
            snprintf(why, whylen, "%s", err.message);
            ok = false;
        } else if (!export_alive(&e, &pid)) {
            if (machine == NULL && (machine = export_machine_principal(s->cfg, &err)) == NULL) {
                snprintf(why, whylen, "no machine principal for its export: %.900s", err.message);
                ok = false;
            } else if (!export_start(s->cfg, machine, &e, vm->name, &err)) {
                snprintf(why, whylen, "%s", err.message);
                ok = false;
            } else {
                *restarted = true;
            }
        }
        /* a live export that holds the writer already: a no-op */
        if (ok && take && !smbio_control_call(e.ctl, "promote", s->cfg->handoff_timeout_ms, &busy, why,
                                      whylen))
            ok = false;
    }
    free(machine);
    return ok;
}

/* The supervisor's last warning about each VM (repeats.h): one that stays
 * true is said again every SUPERVISE_REPEAT_S, not each tick. What the
 * supervisor did (an export started again, a VM resumed) is always said,
 * and ends the VM's trouble. Only the supervisor's thread touches this. */
#define SUPERVISE_REPEAT_S 300
static struct repeats supervise_said;

static void __attribute__((format(printf, 2, 3)))
supervise_warn(const char *vm, const char *fmt, ...)
{
    char text[2048];
    va_list ap;
    struct timespec now;   /* monotonic: a clock set back must not mute it */

    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (repeats_should_say(&supervise_said, vm, text, now.tv_sec, SUPERVISE_REPEAT_S))
        vs_warn("%s: %s", vm, text);
}

static void
supervise_domain(struct agent *a, const struct settings *s, virDomainPtr d)
{
    const char *name = virDomainGetName(d);
    int state = 0, reason = 0;
    char why[1024] = "";
    bool restarted;

    if (name == NULL || virDomainGetState(d, &state, &reason, 0) != 0)
        return;
    bool ioerror = virt_domain_io_error_paused(d, state, reason);
    /* paused for another reason (by an admin, or left paused by a failed
     * move: libvirt's Finish hole leaves a copy that must never run): its
     * exports come back in standby, nothing more; resuming it stays the
     * admin's (the lock plugin takes the writer then, if the fence allows) */
    bool take = state == VIR_DOMAIN_RUNNING || ioerror;
    /* a move owns its VM's exports (a paused source has let the writer go);
     * one that waits in the queue has touched nothing yet, and waits on */
    if ((state != VIR_DOMAIN_RUNNING && state != VIR_DOMAIN_PAUSED) || jobs_vm_moving(&a->jobs, name))
        return;
    char *xml = virDomainGetXMLDesc(d, 0);
    struct domxml_info *vm = calloc(1, sizeof *vm);
    struct vs_error err;
    if (xml == NULL || vm == NULL || !domxml_parse(xml, strlen(xml), vm, &err))
        goto out;
    bool ours = false;
    pid_t pid;
    struct export e;
    bool dead = false;
    for (size_t i = 0; i < vm->ndisks; i++) {
        const struct domxml_lease *l = export_lease_of(vm, &vm->disks[i]);
        if (l == NULL)
            continue;
        ours = true;
        dead = dead || !export_paths(s->cfg->runtime_dir, vm, &vm->disks[i], l, &e, &err) ||
               !export_alive(&e, &pid);
    }
    /* a copy a failed move left paused: stale if a peer runs the VM with
     * its writer (libvirt's Finish hole); its exports still come back */
    if (ours && virt_migration_paused(state, reason))
        stalecopy_consider(a, name);
    else if (ours && state == VIR_DOMAIN_RUNNING)
        stalecopy_forget(name);
    if (!ours || (!dead && !ioerror))
        goto out_vm;
    /* no move of it may begin while its exports come back (a move would
     * carry a VM paused by the I/O error, and this would take the writer
     * under it); one that began since the look above wins */
    if (!jobs_mend_begin(&a->jobs, name))
        goto out_vm;
    /* and it is still as it was when looked at (a move may have come and
     * gone since): else the next look decides */
    int now_state = 0, now_reason = 0;
    if (virDomainGetState(d, &now_state, &now_reason, 0) != 0 || now_state != state ||
        now_reason != reason) {
        jobs_mend_end(&a->jobs, name);
        goto out_vm;
    }
    if (!exports_restore(s, vm, take, &restarted, why, sizeof why)) {
        supervise_warn(name, "%s its disk export%s: %s; it stays %s",
                       restarted ? "started again" : "could not bring back", restarted ? " but" : "",
                       why, ioerror ? "paused" : "as it is");
    } else if (!take) {
        repeats_forget(&supervise_said, name);
        vs_warn("%s: a disk export had died under it while it was paused: started again, in "
                "standby (a resume takes the writer)", name);
    } else if (ioerror && virDomainResume(d) != 0) {
        virErrorPtr ve = virGetLastError();
        supervise_warn(name, "its disk export%s back, but libvirt did not resume it: %s",
                       restarted ? " started again and is" : " is",
                       ve && ve->message ? ve->message : "?");
    } else {
        repeats_forget(&supervise_said, name);
        vs_warn("%s: %s%s", name, restarted ? "a disk export had died under it: started again, "
                "holding the writer" : "its disk exports hold the writer",
                ioerror ? "; resumed it (an I/O error had paused it: the failed request ran again)"
                        : "");
    }
    jobs_mend_end(&a->jobs, name);
out_vm:
    domxml_free(vm);
out:
    free(vm);
    free(xml);
}

/* An export whose VM has no running domain here, and no move touching it,
 * for over ORPHAN_GRACE_S since it started: libvirt will never run its
 * release hook (libvirtd died between the hook's prepare and QEMU's start),
 * so it would hold a connection, a ccache and, if promoted, the writer for
 * ever. The grace covers the moment between prepare and start. */
#define ORPHAN_GRACE_S 20

static void
stop_orphan_exports(struct agent *a, const struct settings *s, virConnectPtr c)
{
    char dir[400];
    DIR *d;
    struct dirent *e;

    snprintf(dir, sizeof dir, "%s/disks", s->cfg->runtime_dir);
    if ((d = opendir(dir)) == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        char base[600], vm[256];
        struct export x = { 0 };
        struct stat st;
        struct job j;
        pid_t pid;

        if (n < 5 || strcmp(e->d_name + n - 4, ".pid") != 0 || n - 4 >= sizeof vm)
            continue;
        snprintf(vm, sizeof vm, "%.*s", (int)(n - 4), e->d_name);
        char *dash = strrchr(vm, '-');   /* <vm>-<target>: a target has no '-' */
        if (dash == NULL || dash == vm)
            continue;
        *dash = '\0';
        snprintf(base, sizeof base, "%s/%.*s", dir, (int)(n - 4), e->d_name);
        snprintf(x.pid, sizeof x.pid, "%.310s.pid", base);
        snprintf(x.sock, sizeof x.sock, "%.310s.sock", base);
        snprintf(x.ctl, sizeof x.ctl, "%.310s.ctl", base);
        if (stat(x.pid, &st) != 0 || time(NULL) - st.st_mtime < ORPHAN_GRACE_S ||
            !export_alive(&x, &pid) || jobs_find_vm(&a->jobs, vm, JOB_SOURCE, &j) ||
            jobs_find_vm(&a->jobs, vm, JOB_DESTINATION, &j))
            continue;
        virDomainPtr dom = virDomainLookupByName(c, vm);
        int active = dom ? virDomainIsActive(dom) : 0;
        if (dom)
            virDomainFree(dom);
        if (active != 0)   /* it runs (or libvirt cannot say): its export stays */
            continue;
        vs_warn("%s: its disk export %s (pid %ld) ran with no domain of it on this host: "
                "stopped it (libvirt never ran its release hook: did libvirtd die between the "
                "hook's prepare and QEMU's start?)", vm, base, (long)pid);
        export_stop(&x);
    }
    closedir(d);
}

static void *
supervise_run(void *arg)
{
    struct agent *a = arg;
    virConnectPtr c = NULL;
    struct timespec tick = { SUPERVISE_TICK_MS / 1000, (SUPERVISE_TICK_MS % 1000) * 1000000L };

    while (!a->stopping) {
        nanosleep(&tick, NULL);
        struct settings *s = settings_get(a);
        if (c && virConnectIsAlive(c) != 1) {
            virConnectClose(c);
            c = NULL;
        }
        if (c == NULL)
            c = virConnectOpen(s->cfg->libvirt_uri);   /* libvirtd down: next tick */
        virDomainPtr *doms = NULL;
        int n = c ? virConnectListAllDomains(c, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE) : -1;
        for (int i = 0; i < n; i++) {
            supervise_domain(a, s, doms[i]);
            virDomainFree(doms[i]);
        }
        free(doms);
        if (n >= 0)   /* libvirt answered: it can say which VMs run here */
            stop_orphan_exports(a, s, c);
        /* and the private ccache directories of processes that died without
         * removing theirs (an export killed -9 once its parent reaped it) */
        vs_ccache_dir_sweep(s->cfg->runtime_dir, 0);
        settings_put(a, s);
    }
    if (c)
        virConnectClose(c);
    return NULL;
}

bool
supervise_start(struct agent *a, struct vs_error *err)
{
    pthread_t th;

    if (crashtrace_thread_create(&th, NULL, supervise_run, a) != 0) {
        vs_error_set(err, VS_ERR_INTERNAL, "cannot start the export supervisor's thread");
        return false;
    }
    pthread_detach(th);
    return true;
}
