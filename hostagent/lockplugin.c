/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/lockplugin.c: vsmigrate's libvirt lock-manager plugin.
 *
 * libvirtd loads it with lock_manager = "vsmigrate" in qemu.conf, from
 * <libdir>/libvirt/lock-driver/vsmigrate.so, and calls its Acquire before
 * every `cont` of a domain: at start, at resume, and on the destination of a
 * migration inside Finish, while the source still runs. That is the one
 * place where a refusal stops a VM from running without losing it: a failed
 * Acquire fails the start, or fails the migration, which libvirt then rolls
 * back to the source (shared/lab-notes.md, Probe D).
 *
 * A vsmigrate disk carries a lease in the domain definition:
 *
 *   <lease><lockspace>vsmigrate</lockspace><key>vda</key>
 *          <target path='/run/vsmigrate/disks/web01-vda.ctl'/></lease>
 *
 * whose path is the disk export's control socket. Acquire asks each export
 * to promote: to open the disk on the file server read-write with
 * DENY_WRITE. The file server refuses while any other host holds the disk's
 * writer handle, so whoever drives libvirt (vsmigrate, virsh start, virsh
 * migrate), two hosts never write one disk: a start on a second host, or a
 * migration whose source still writes, fails here. Domains without such
 * leases are not vsmigrate's: Acquire does nothing for them.
 *
 * libvirt bounds nothing (a slow Acquire is the VM's downtime, with the
 * domain locked), so every exchange is bounded here. Release is a hint only:
 * libvirt does not call it at destroy or at a migration's kill of the
 * source; a writer that went away is found by the file server.
 *
 * libvirt's plugin ABI (src/locking/lock_driver.h, version 1.x) is not
 * installed by Debian: it is declared below, and Init checks the version
 * libvirtd asks for. Only virLockDriverImpl is exported (lockplugin.syms).
 * On a migration's destination, Acquire gets the state the source's Inquire
 * put in the migration cookie ("vsmigrate:1"), and first asks the local
 * agent (HANDOFF_SOCKET, one line "handoff VM", one JSON line back) to hand
 * the writer over: the agent asks the source's agent to release, then
 * promotes the exports here; a refusal fails the migration and libvirt
 * resumes the source. An agent that knows of no such move (a plain virsh
 * migrate) leaves the decision to the fence alone, which refuses while the
 * source holds the writer. The plugin talks to nothing but the local agent
 * and the local exports' control sockets. */
#include <config.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "common/json.h"
#include "common/testhook.h"
#include "smbio/control_client.h"

/* ---- libvirt's lock driver ABI, version 1 ------------------------------------------ */

#define LOCK_ABI_MAJOR 1
enum { LOCK_OBJECT_DOMAIN = 0 };
enum { LOCK_RESOURCE_DISK = 0, LOCK_RESOURCE_LEASE = 1 };
enum { LOCK_ACQUIRE_REGISTER_ONLY = 1, LOCK_ACQUIRE_RESTRICT = 2 };
enum { PARAM_STRING, PARAM_CSTRING, PARAM_INT, PARAM_LONG, PARAM_UINT, PARAM_ULONG, PARAM_DOUBLE,
       PARAM_UUID };

struct lock_param {
    int type;
    const char *key;
    union {
        int i;
        long long l;
        unsigned int ui;
        unsigned long long ul;
        double d;
        char *str;
        const char *cstr;
        unsigned char uuid[16];
    } value;
};

struct lock_driver;
struct lock_manager {
    struct lock_driver *driver;
    void *private_data;
};

struct lock_driver {
    unsigned int version;
    unsigned int flags;
    int (*init)(unsigned int version, const char *config_file, unsigned int flags);
    int (*deinit)(void);
    int (*new_manager)(struct lock_manager *man, unsigned int type, size_t nparams,
                       struct lock_param *params, unsigned int flags);
    void (*free_manager)(struct lock_manager *man);
    int (*add_resource)(struct lock_manager *man, unsigned int type, const char *name,
                        size_t nparams, struct lock_param *params, unsigned int flags);
    int (*acquire)(struct lock_manager *man, const char *state, unsigned int flags, int action,
                   int *fd);
    int (*release)(struct lock_manager *man, char **state, unsigned int flags);
    int (*inquire)(struct lock_manager *man, char **state, unsigned int flags);
};

/* ---- this plugin ---------------------------------------------------------------------- */

#define LEASES_MAX 64
#define LOCKSPACE "vsmigrate"
#define EXCHANGE_TIMEOUT_MS 30000   /* a promote opens the disk on the file server */
#define RUNTIME_DIR "/run/vsmigrate"
#define HANDOFF_SOCKET RUNTIME_DIR "/handoff.sock"
/* the agent bounds each step (handoff_timeout); this only stops a hung agent */
#define HANDOFF_TIMEOUT_MS 120000
#define MIGRATION_STATE "vsmigrate:1"
enum { LOCK_USES_STATE = 1 };

struct lease {
    char key[64];          /* the disk's target: vda */
    char control[108];     /* the export's control socket */
};

struct vm {
    char name[256];
    struct lease leases[LEASES_MAX];
    size_t nleases;
};

/* libvirtd's stderr (its journal), or the domain's log in the child that
 * becomes QEMU (where libvirt calls New and AddResource first), and syslog:
 * libvirt itself says only "resume operation failed" when a plugin refuses,
 * so the reason must be said here. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "vsmigrate lock: %s\n", line);
    syslog(LOG_DAEMON | LOG_WARNING, "vsmigrate lock: %s", line);
}

static const char *
param_text(const struct lock_param *p)
{
    if (p->type == PARAM_STRING)
        return p->value.str;
    if (p->type == PARAM_CSTRING)
        return p->value.cstr;
    return NULL;
}

static const char *
find_text(size_t n, const struct lock_param *params, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (params[i].key && strcmp(params[i].key, key) == 0)
            return param_text(&params[i]);
    return NULL;
}

static int
plugin_init(unsigned int version, const char *config_file, unsigned int flags)
{
    (void)config_file;
    (void)flags;
    if (version / 1000000 != LOCK_ABI_MAJOR) {
        say("libvirtd asks for lock driver ABI %u.%u.%u; this plugin implements %d.x: build "
            "vsmigrate against this libvirt", version / 1000000, version / 1000 % 1000,
            version % 1000, LOCK_ABI_MAJOR);
        return -1;
    }
    return 0;
}

static int
plugin_deinit(void)
{
    return 0;
}

static int
plugin_new(struct lock_manager *man, unsigned int type, size_t nparams, struct lock_param *params,
           unsigned int flags)
{
    struct vm *vm;
    const char *name = find_text(nparams, params, "name");

    (void)flags;
    if (type != LOCK_OBJECT_DOMAIN) {
        say("asked to manage an object of type %u, not a domain: this plugin serves only "
            "libvirt's QEMU driver (set lock_manager in qemu.conf alone)", type);
        return -1;
    }
    vm = calloc(1, sizeof *vm);
    if (vm == NULL)
        return -1;
    snprintf(vm->name, sizeof vm->name, "%s", name ? name : "(unnamed)");
    man->private_data = vm;
    return 0;
}

static void
plugin_free(struct lock_manager *man)
{
    free(man->private_data);
    man->private_data = NULL;
}

static int
plugin_add_resource(struct lock_manager *man, unsigned int type, const char *name, size_t nparams,
                    struct lock_param *params, unsigned int flags)
{
    struct vm *vm = man->private_data;
    const char *lockspace, *path;

    (void)flags;
    if (type != LOCK_RESOURCE_LEASE)
        return 0;   /* disks: file disks are not vsmigrate's, network disks never come */
    lockspace = find_text(nparams, params, "lockspace");
    path = find_text(nparams, params, "path");
    if (lockspace == NULL || strcmp(lockspace, LOCKSPACE) != 0) {
        say("%s: the lease '%s' is in the lockspace '%s', which the vsmigrate lock manager does "
            "not serve: use <lockspace>" LOCKSPACE "</lockspace>, or another lock_manager",
            vm->name, name ? name : "?", lockspace ? lockspace : "(none)");
        return -1;
    }
    if (path == NULL || path[0] != '/' || strlen(path) >= sizeof vm->leases[0].control ||
        name == NULL || strlen(name) >= sizeof vm->leases[0].key) {
        say("%s: the lease '%s' needs <target path='...'/> naming its disk export's control "
            "socket (an absolute path of at most %zu bytes)", vm->name, name ? name : "?",
            sizeof vm->leases[0].control - 1);
        return -1;
    }
    if (vm->nleases == LEASES_MAX) {
        say("%s: more than %d vsmigrate leases", vm->name, LEASES_MAX);
        return -1;
    }
    struct lease *l = &vm->leases[vm->nleases++];
    snprintf(l->key, sizeof l->key, "%s", name);
    snprintf(l->control, sizeof l->control, "%s", path);
    return 0;
}

/* "what: why" in why */
static void
prefix_why(char *why, size_t whylen, const char *what)
{
    char was[1024];
    snprintf(was, sizeof was, "%s", why);
    snprintf(why, whylen, "%s: %.900s", what, was);
}

/* Ask the local agent to hand the writer over for an incoming migration:
 * it asks the source's agent to release the disks, then promotes the
 * exports here. 1: done; 0: the agent has no move of this VM coming here
 * (or does not run): a plain promote decides; -1: refused, why says why. */
static int
agent_handoff(const struct vm *vm, char *why, size_t whylen)
{
    char line[300], reply[2048], ok[8] = "", code[32] = "";

    if ((size_t)snprintf(line, sizeof line, "handoff %s\n", vm->name) >= sizeof line)
        return 0;
    switch (smbio_line_call(HANDOFF_SOCKET, line, HANDOFF_TIMEOUT_MS, reply, sizeof reply, why,
                            whylen)) {
    case SMBIO_LINE_ANSWERED:
        break;
    case SMBIO_LINE_UNREACHABLE:
        return 0;   /* no agent (or a dead one's socket): the fence alone decides */
    case SMBIO_LINE_NO_ANSWER:
        prefix_why(why, whylen, "the local vsmigrated did not finish the writer hand-off (see "
                   "its log)");
        return -1;
    }
    if (json_field(reply, "ok", ok, sizeof ok) && strcmp(ok, "true") == 0)
        return 1;
    if (json_field(reply, "code", code, sizeof code) && strcmp(code, "notfound") == 0)
        return 0;
    if (json_field(reply, "error", why, whylen) == NULL)
        snprintf(why, whylen, "the local vsmigrated gave no answer to the hand-off");
    return -1;
}

static int
plugin_acquire(struct lock_manager *man, const char *state, unsigned int flags, int action, int *fd)
{
    struct vm *vm = man->private_data;
    char why[1024];

    (void)action;
    (void)fd;
    /* the forked child that becomes QEMU only registers (no I/O there) */
    if (flags & LOCK_ACQUIRE_REGISTER_ONLY)
        return 0;
    /* an incoming migration carries the source's Inquire state: the agents
     * hand the writer over (the source releases, this host promotes) */
    bool incoming = vm->nleases > 0 && state &&
                    strncmp(state, MIGRATION_STATE, strlen(MIGRATION_STATE)) == 0;
    if (incoming) {
        /* the fault tests strike here: the source stopped, this one not running */
        test_hook_pause(RUNTIME_DIR, "switch-over");
        if (agent_handoff(vm, why, sizeof why) < 0) {
            say("%s may not run here: the writer hand-off failed: %s", vm->name, why);
            return -1;
        }
    }
    /* and in every case the fence itself: each export must hold its writer
     * (a promote of an export that holds it already is a no-op) */
    for (size_t i = 0; i < vm->nleases; i++) {
        if (!smbio_control_call(vm->leases[i].control, "promote", EXCHANGE_TIMEOUT_MS, NULL, why,
                                sizeof why)) {
            say("%s may not run here: disk %s cannot take its writer handle: %s", vm->name,
                vm->leases[i].key, why);
            return -1;
        }
    }
    /* and here: this host holds the writer and resumes next, before libvirt's
     * Finish has answered the source (libvirt's own hole: a Finish that fails
     * "could in fact be running on the dest") */
    if (incoming)
        test_hook_pause(RUNTIME_DIR, "finish");
    return 0;
}

static int
plugin_release(struct lock_manager *man, char **state, unsigned int flags)
{
    (void)man;
    (void)flags;
    if (state)
        *state = NULL;
    return 0;
}

/* At a migration's Begin on the source: the state libvirt carries in the
 * migration cookie to the destination's Acquire, which tells it that this
 * is an incoming migration of a vsmigrate VM. */
static int
plugin_inquire(struct lock_manager *man, char **state, unsigned int flags)
{
    struct vm *vm = man->private_data;

    (void)flags;
    if (state)
        *state = vm && vm->nleases > 0 ? strdup(MIGRATION_STATE) : NULL;
    return 0;
}

/* The one symbol libvirtd looks up. */
struct lock_driver virLockDriverImpl;
struct lock_driver virLockDriverImpl = {
    .version = LOCK_ABI_MAJOR * 1000000,
    .flags = LOCK_USES_STATE,
    .init = plugin_init,
    .deinit = plugin_deinit,
    .new_manager = plugin_new,
    .free_manager = plugin_free,
    .add_resource = plugin_add_resource,
    .acquire = plugin_acquire,
    .release = plugin_release,
    .inquire = plugin_inquire,
};
