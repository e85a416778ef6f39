/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/virt.c: the local libvirt. */
#include <config.h>

#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "common/crashtrace.h"
#include "hostagent/virt.h"

static void
quiet(void *opaque, virErrorPtr e)
{
    (void)opaque;
    (void)e;
}

void
virt_init(void)
{
    virInitialize();
    virSetErrorFunc(NULL, quiet);
}

static const char *
last_error(void)
{
    virErrorPtr e = virGetLastError();
    return e && e->message ? e->message : "unknown libvirt error";
}

static virConnectPtr
open_libvirt(const char *uri, struct vs_error *err)
{
    virConnectPtr c = virConnectOpen(uri);
    if (c == NULL)
        vs_error_set(err, VS_ERR_UNAVAILABLE, "cannot reach libvirt at %s: %s (is libvirtd "
                     "running? systemctl status libvirtd; or set libvirt_uri in [agent])", uri,
                     last_error());
    return c;
}

static const char *
state_name(int s)
{
    switch (s) {
    case VIR_DOMAIN_RUNNING: return "running";
    case VIR_DOMAIN_BLOCKED: return "blocked";
    case VIR_DOMAIN_PAUSED: return "paused";
    case VIR_DOMAIN_SHUTDOWN: return "shutting-down";
    case VIR_DOMAIN_SHUTOFF: return "shut-off";
    case VIR_DOMAIN_CRASHED: return "crashed";
    case VIR_DOMAIN_PMSUSPENDED: return "suspended";
    }
    return "unknown";
}

bool
virt_list(const char *uri, struct virt_vm **vms, size_t *n, struct vs_error *err)
{
    virConnectPtr c = open_libvirt(uri, err);
    virDomainPtr *doms = NULL;
    int count;

    *vms = NULL;
    *n = 0;
    if (c == NULL)
        return false;
    count = virConnectListAllDomains(c, &doms, 0);
    if (count < 0) {
        vs_error_set(err, VS_ERR_UNAVAILABLE, "libvirt could not list the VMs: %s", last_error());
        virConnectClose(c);
        return false;
    }
    *vms = calloc((size_t)count + 1, sizeof **vms);
    for (int i = 0; i < count; i++) {
        virDomainInfo info;
        if (*vms != NULL) {
            struct virt_vm *v = &(*vms)[*n];
            snprintf(v->name, sizeof v->name, "%s", virDomainGetName(doms[i]));
            if (virDomainGetInfo(doms[i], &info) == 0) {
                snprintf(v->state, sizeof v->state, "%s", state_name(info.state));
                v->memory_bytes = (uint64_t)info.maxMem * 1024;
                v->vcpus = info.nrVirtCpu;
            } else {
                snprintf(v->state, sizeof v->state, "unknown");
            }
            (*n)++;
        }
        virDomainFree(doms[i]);
    }
    free(doms);
    virConnectClose(c);
    if (*vms == NULL) {
        vs_error_set(err, VS_ERR_NOMEM, "out of memory");
        return false;
    }
    return true;
}

bool
virt_domain_xml(const char *uri, const char *name, char **xml, char *state, size_t statelen,
                struct vs_error *err)
{
    virConnectPtr c = open_libvirt(uri, err);
    virDomainPtr d;
    int st = 0, reason = 0;

    *xml = NULL;
    if (c == NULL)
        return false;
    d = virDomainLookupByName(c, name);
    if (d == NULL) {
        vs_error_set(err, VS_ERR_NOTFOUND, "there is no VM '%s' here (virsh list --all shows "
                     "the VMs)", name);
        virConnectClose(c);
        return false;
    }
    *xml = virDomainGetXMLDesc(d, VIR_DOMAIN_XML_MIGRATABLE);
    if (*xml == NULL)
        vs_error_set(err, VS_ERR_UNAVAILABLE, "libvirt could not give the definition of %s: %s",
                     name, last_error());
    if (virDomainGetState(d, &st, &reason, 0) == 0)
        snprintf(state, statelen, "%s", state_name(st));
    else
        snprintf(state, statelen, "unknown");
    virDomainFree(d);
    virConnectClose(c);
    return *xml != NULL;
}

/* "libvirt 9.0.0, QEMU 10.0.2" */
static void
versions_of(virConnectPtr c, char *buf, size_t len)
{
    unsigned long lv = 0, hv = 0;
    const char *type = virConnectGetType(c);

    virConnectGetLibVersion(c, &lv);
    virConnectGetVersion(c, &hv);
    snprintf(buf, len, "libvirt %lu.%lu.%lu, %s %lu.%lu.%lu", lv / 1000000, lv / 1000 % 1000,
             lv % 1000, type ? type : "hypervisor", hv / 1000000, hv / 1000 % 1000, hv % 1000);
}

static void
human_bytes(uint64_t b, char *buf, size_t len)
{
    if (b >= 10ULL << 30)
        snprintf(buf, len, "%.1f GiB", (double)b / (1 << 30));
    else
        snprintf(buf, len, "%llu MiB", (unsigned long long)(b >> 20));
}

void
virt_check_destination(const char *uri, const char *host, const struct domxml_info *vm,
                       bool reveal_vms, struct report *r)
{
    struct vs_error err;
    virConnectPtr c;
    virDomainPtr d;
    char versions[128], need[32], have[32];

    c = open_libvirt(uri, &err);
    if (c == NULL) {
        report_add(r, "libvirt", false, VS_ERR_UNAVAILABLE, "%s", err.message);
        return;
    }
    versions_of(c, versions, sizeof versions);
    report_add(r, "libvirt", true, VS_OK, "reachable on %s (%s)", host, versions);

    d = reveal_vms ? virDomainLookupByName(c, vm->name) : NULL;
    if (!reveal_vms) {
        /* a host asking as itself may not list VMs, so it learns nothing of
         * them here either; asked for an admin, the line says */
        report_add(r, "vm absent", true, VS_OK, "not told to a host asking as itself (asked for "
                   "an admin, this line says whether %s has such a VM)", host);
    } else if (d != NULL) {
        int st = 0, reason = 0;
        virDomainGetState(d, &st, &reason, 0);
        report_add(r, "vm absent", st != VIR_DOMAIN_RUNNING && st != VIR_DOMAIN_PAUSED,
                   VS_ERR_BUSY, "%s is %s on %s already", vm->name, state_name(st), host);
        virDomainFree(d);
    } else {
        report_add(r, "vm absent", true, VS_OK, "no VM named %s on %s", vm->name, host);
    }

    for (size_t i = 0; i < vm->nnics; i++) {
        const struct domxml_nic *nic = &vm->nics[i];
        char name[REPORT_NAME_MAX];
        snprintf(name, sizeof name, "%s %s", nic->kind, nic->name);
        if (strcmp(nic->kind, "network") == 0) {
            virNetworkPtr net = virNetworkLookupByName(c, nic->name);
            if (net == NULL)
                report_add(r, name, false, VS_ERR_NOTFOUND,
                           "%s has no libvirt network '%s': define one of that name on %s "
                           "(virsh net-define) that reaches the same LAN as on the source",
                           host, nic->name, host);
            else {
                bool active = virNetworkIsActive(net) == 1;
                report_add(r, name, active, VS_ERR_UNAVAILABLE,
                           active ? "exists and is active on %s" : "exists on %s but is not "
                           "active: virsh net-start %s", host, nic->name);
                virNetworkFree(net);
            }
        } else {
            if (if_nametoindex(nic->name) != 0)
                report_add(r, name, true, VS_OK, "bridge %s exists on %s", nic->name, host);
            else
                report_add(r, name, false, VS_ERR_NOTFOUND, "%s has no bridge %s: create it "
                           "on %s with the same name as on the source", host, nic->name, host);
        }
    }

    if (vm->cpu_xml != NULL) {
        /* against what this host's hypervisor can give a VM of this type
         * (TCG's "qemu" is not KVM's "kvm"), not against the host's CPU */
        int rc = virConnectCompareHypervisorCPU(c, NULL, vm->arch[0] ? vm->arch : NULL,
                                                vm->machine[0] ? vm->machine : NULL,
                                                vm->virt_type[0] ? vm->virt_type : NULL,
                                                vm->cpu_xml, 0);
        switch (rc) {
        case VIR_CPU_COMPARE_IDENTICAL:
        case VIR_CPU_COMPARE_SUPERSET:
            report_add(r, "cpu", true, VS_OK, "%s can run the VM's CPU model (%s)", host,
                       rc == VIR_CPU_COMPARE_IDENTICAL ? "identical" : "superset");
            break;
        case VIR_CPU_COMPARE_INCOMPATIBLE:
            report_add(r, "cpu", false, VS_ERR_INVALID, "%s cannot run the VM's CPU model: %s; "
                       "give the VM a CPU model both hosts support (virsh domcapabilities)",
                       host, last_error());
            break;
        default:
            report_add(r, "cpu", false, VS_ERR_UNAVAILABLE, "libvirt on %s could not compare "
                       "the CPU: %s", host, last_error());
        }
    } else {
        report_add(r, "cpu", true, VS_OK, "the VM names no CPU model (the hypervisor default)");
    }

    unsigned long long free_bytes = virNodeGetFreeMemory(c);
    human_bytes(vm->memory_bytes, need, sizeof need);
    human_bytes(free_bytes, have, sizeof have);
    if (free_bytes == 0)
        report_add(r, "memory", false, VS_ERR_UNAVAILABLE, "libvirt on %s cannot tell its free "
                   "memory: %s", host, last_error());
    else
        report_add(r, "memory", free_bytes >= vm->memory_bytes, VS_ERR_BUSY,
                   "%s needed, %s free on %s%s", need, have, host,
                   free_bytes >= vm->memory_bytes ? "" : ": free memory there, or move a "
                   "smaller VM");
    if (free_bytes != 0)
        report_set_value(r, free_bytes / 1048576);
    virConnectClose(c);
}

bool
virt_networks(const char *uri, char ***names, size_t *n, struct vs_error *err)
{
    virConnectPtr c = open_libvirt(uri, err);
    virNetworkPtr *nets = NULL;
    int count;

    *names = NULL;
    *n = 0;
    if (c == NULL)
        return false;
    count = virConnectListAllNetworks(c, &nets, VIR_CONNECT_LIST_NETWORKS_ACTIVE);
    if (count < 0) {
        vs_error_set(err, VS_ERR_UNAVAILABLE, "libvirt could not list its networks: %s (does "
                     "'virsh -c %s net-list --all' work? is virtnetworkd or libvirtd running?)",
                     last_error(), uri);
        virConnectClose(c);
        return false;
    }
    *names = calloc((size_t)count + 1, sizeof **names);
    for (int i = 0; i < count; i++) {
        const char *name = virNetworkGetName(nets[i]);
        if (*names && name && ((*names)[*n] = strdup(name)) != NULL)
            (*n)++;
        virNetworkFree(nets[i]);
    }
    free(nets);
    virConnectClose(c);
    if (*names == NULL) {
        vs_error_set(err, VS_ERR_NOMEM, "out of memory");
        return false;
    }
    return true;
}

bool
virt_define_and_start(const char *uri, const char *name, const char *xml, struct vs_error *err)
{
    virConnectPtr c = open_libvirt(uri, err);
    virDomainPtr d, before;
    bool ok = false, was_defined = false;

    if (c == NULL)
        return false;
    before = virDomainLookupByName(c, name);
    if (before != NULL) {
        int active = virDomainIsActive(before);
        was_defined = virDomainIsPersistent(before) == 1;
        virDomainFree(before);
        if (active == 1) {
            vs_error_set(err, VS_ERR_BUSY, "%s runs here already", name);
            virConnectClose(c);
            return false;
        }
    }
    d = virDomainDefineXML(c, xml);
    if (d == NULL) {
        vs_error_set(err, VS_ERR_INVALID, "libvirt does not take %s's definition: %s (fix it in "
                     "the VM's folder on the share)", name, last_error());
    } else if (virDomainCreate(d) != 0) {
        vs_error_set(err, VS_ERR_DENIED, "libvirt did not start %s: %s (if another host runs it, "
                     "stop it there first: its disks' writer handle is held; libvirtd's log says "
                     "more)", name, last_error());
        if (!was_defined)
            virDomainUndefine(d);
    } else {
        ok = true;
    }
    if (d)
        virDomainFree(d);
    virConnectClose(c);
    return ok;
}

/* name's domain on a connection of its own: NULL with *c NULL and err when
 * libvirt cannot be reached, NULL with *c open when there is no such domain.
 * domain_done closes both. */
static virDomainPtr
domain_lookup(const char *uri, const char *name, virConnectPtr *c, struct vs_error *err)
{
    *c = open_libvirt(uri, err);
    return *c ? virDomainLookupByName(*c, name) : NULL;
}

static void
domain_done(virConnectPtr c, virDomainPtr d)
{
    if (d)
        virDomainFree(d);
    if (c)
        virConnectClose(c);
}

enum turn_off_which { TURN_OFF_ACTIVE, TURN_OFF_PAUSED, TURN_OFF_MIGRATION_PAUSED };

/* destroy name if it is active, paused, or paused by a migration */
static bool
turn_off(const char *uri, const char *name, enum turn_off_which which, struct vs_error *err)
{
    virConnectPtr c;
    virDomainPtr d = domain_lookup(uri, name, &c, err);
    int state = 0, reason = 0;
    bool ok = false;

    if (c == NULL)
        return false;
    if (d == NULL || virDomainGetState(d, &state, &reason, 0) != 0 ||
        state == VIR_DOMAIN_SHUTOFF || (which == TURN_OFF_PAUSED && state != VIR_DOMAIN_PAUSED) ||
        (which == TURN_OFF_MIGRATION_PAUSED && !virt_migration_paused(state, reason)))
        vs_error_set(err, VS_ERR_NOTFOUND, which == TURN_OFF_PAUSED ? "%s is not paused here" :
                     which == TURN_OFF_MIGRATION_PAUSED ? "%s is not paused by a migration here" :
                     "%s does not run here ('vsmigrate list' shows what does)", name);
    else if (virDomainDestroy(d) != 0)
        vs_error_set(err, VS_ERR_INTERNAL, "libvirt did not turn %s off: %s", name, last_error());
    else
        ok = true;
    domain_done(c, d);
    return ok;
}

bool
virt_turn_off(const char *uri, const char *name, struct vs_error *err)
{
    return turn_off(uri, name, TURN_OFF_ACTIVE, err);
}

bool
virt_turn_off_paused(const char *uri, const char *name, struct vs_error *err)
{
    return turn_off(uri, name, TURN_OFF_PAUSED, err);
}

bool
virt_turn_off_migration_paused(const char *uri, const char *name, struct vs_error *err)
{
    return turn_off(uri, name, TURN_OFF_MIGRATION_PAUSED, err);
}

bool
virt_domain_io_error_paused(virDomainPtr d, int state, int reason)
{
    if (state != VIR_DOMAIN_PAUSED)
        return false;
    if (reason == VIR_DOMAIN_PAUSED_IOERROR)
        return true;
    return reason == VIR_DOMAIN_PAUSED_UNKNOWN && virDomainGetDiskErrors(d, NULL, 0, 0) > 0;
}

bool
virt_io_error_paused(const char *uri, const char *name)
{
    virConnectPtr c;
    struct vs_error err;
    virDomainPtr d = domain_lookup(uri, name, &c, &err);
    int state = 0, reason = 0;
    bool paused = d != NULL && virDomainGetState(d, &state, &reason, 0) == 0 &&
                  virt_domain_io_error_paused(d, state, reason);

    domain_done(c, d);
    return paused;
}

bool
virt_migration_paused(int state, int reason)
{
    return state == VIR_DOMAIN_PAUSED && reason == VIR_DOMAIN_PAUSED_MIGRATION;
}

enum virt_resume
virt_resume_after_migration(const char *uri, const char *name, struct vs_error *err)
{
    virConnectPtr c;
    virDomainPtr d = domain_lookup(uri, name, &c, err);
    int state = 0, reason = 0;
    enum virt_resume r = VIRT_RESUME_LEFT;

    if (c == NULL)
        return VIRT_RESUME_NO_ANSWER;
    if (d == NULL || virDomainGetState(d, &state, &reason, 0) != 0)
        r = VIRT_RESUME_LEFT;
    else if (state == VIR_DOMAIN_RUNNING)
        r = VIRT_RESUME_RUNS;
    else if (!virt_migration_paused(state, reason))
        r = VIRT_RESUME_LEFT;
    else if (virDomainResume(d) == 0)
        r = VIRT_RESUME_DONE;
    else {
        vs_error_set(err, VS_ERR_INTERNAL, "libvirt did not resume %s: %s", name, last_error());
        r = VIRT_RESUME_REFUSED;
    }
    domain_done(c, d);
    return r;
}

bool
virt_paused_for_migration(const char *uri, const char *name, struct vs_error *err)
{
    virConnectPtr c;
    virDomainPtr d = domain_lookup(uri, name, &c, err);
    int state = 0, reason = 0;
    bool ok = false;

    if (c == NULL)
        return false;
    if (d == NULL || virDomainGetState(d, &state, &reason, 0) != 0)
        vs_error_set(err, VS_ERR_NOTFOUND, "%s is not here", name);
    else if (state != VIR_DOMAIN_PAUSED || reason != VIR_DOMAIN_PAUSED_MIGRATION)
        vs_error_set(err, VS_ERR_DENIED, "%s is %s, not paused by its outgoing migration: its "
                     "disks keep their writer (a hand-off comes only at a migration's end)",
                     name, state_name(state));
    else
        ok = true;
    domain_done(c, d);
    return ok;
}

static void *
event_loop(void *arg)
{
    (void)arg;
    for (;;)
        virEventRunDefaultImpl();
    return NULL;
}

bool
virt_events_start(struct vs_error *err)
{
    pthread_t th;

    if (virEventRegisterDefaultImpl() != 0) {
        vs_error_set(err, VS_ERR_INTERNAL, "libvirt's event loop did not start: %s", last_error());
        return false;
    }
    if (crashtrace_thread_create(&th, NULL, event_loop, NULL) != 0) {
        vs_error_set(err, VS_ERR_INTERNAL, "cannot start a thread for libvirt's events");
        return false;
    }
    pthread_detach(th);
    return true;
}

long long
virt_last_migration_downtime(const char *uri, const char *name)
{
    virConnectPtr c;
    virDomainPtr d = domain_lookup(uri, name, &c, NULL);
    virTypedParameterPtr p = NULL;
    int np = 0, type = 0;
    unsigned long long down = 0;
    long long out = -1;

    if (d && virDomainGetJobStats(d, &type, &p, &np, VIR_DOMAIN_JOB_STATS_COMPLETED) == 0 &&
        virTypedParamsGetULLong(p, np, VIR_DOMAIN_JOB_DOWNTIME, &down) == 1)
        out = (long long)down;
    virTypedParamsFree(p, np);
    domain_done(c, d);
    return out;
}

bool
virt_defined(const char *uri, const char *name, bool *defined, struct vs_error *err)
{
    virConnectPtr c;
    virDomainPtr d = domain_lookup(uri, name, &c, err);

    *defined = d != NULL;
    domain_done(c, d);
    return c != NULL;
}

/* name's state here and its reason: false when libvirt does not answer;
 * a domain that does not exist is VIR_DOMAIN_SHUTOFF */
static bool
domain_state(const char *uri, const char *name, int *state, int *reason)
{
    virConnectPtr c;
    struct vs_error err;
    virDomainPtr d = domain_lookup(uri, name, &c, &err);
    bool answered = c != NULL;

    *state = VIR_DOMAIN_SHUTOFF;
    *reason = 0;
    if (d != NULL && virDomainGetState(d, state, reason, 0) != 0)
        answered = false;
    domain_done(c, d);
    return answered;
}

bool
virt_running(const char *uri, const char *name)
{
    int state, reason;

    return domain_state(uri, name, &state, &reason) && state == VIR_DOMAIN_RUNNING;
}

enum virt_finish
virt_wait_finish(const char *uri, const char *name, long long timeout_ms)
{
    struct timespec tick = { 0, 100 * 1000 * 1000 };
    int state, reason;

    for (long long waited = 0; waited < timeout_ms; waited += 100) {
        if (domain_state(uri, name, &state, &reason)) {
            if (state == VIR_DOMAIN_RUNNING ||
                (state == VIR_DOMAIN_PAUSED && reason == VIR_DOMAIN_PAUSED_IOERROR))
                return VIRT_FINISH_RESUMED;
            if (state != VIR_DOMAIN_PAUSED)
                return VIRT_FINISH_ENDED;
        }
        nanosleep(&tick, NULL);
    }
    return VIRT_FINISH_UNDECIDED;
}

bool
virt_undefine_if_off(const char *uri, const char *name, bool *active, struct vs_error *err)
{
    virConnectPtr c;
    virDomainPtr d = domain_lookup(uri, name, &c, err);
    bool ok = c != NULL;
    int on = d != NULL ? virDomainIsActive(d) : 0;

    if (active)
        *active = on == 1;
    if (d != NULL && on == 0 && virDomainUndefine(d) != 0) {
        vs_error_set(err, VS_ERR_INTERNAL, "libvirt did not undefine %s: %s (undefine it there "
                     "with virsh undefine)", name, last_error());
        ok = false;
    }
    domain_done(c, d);
    return ok;
}
