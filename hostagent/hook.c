/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vsmigrate-hook: libvirt's qemu hook, which starts and stops a VM's disk
 * exports.
 *
 *   /etc/libvirt/hooks/qemu NAME OPERATION SUB-OPERATION EXTRA  (XML on stdin)
 *   vsmigrate-hook [-c vsmigrated.conf] NAME OPERATION SUB-OPERATION EXTRA
 *
 * On `prepare` (before QEMU opens its disks, at a start and on the
 * destination of a migration) it starts one smbio export per vsmigrate disk,
 * in standby: the lock-manager plugin (lockplugin.c) promotes each before
 * `cont`, so the export only writes once the file server has given this host
 * the writer handle. On `release` (after QEMU is gone) it stops them; an
 * export releases the writer handle as it stops. Every other operation, and
 * every domain without vsmigrate disks, is left alone.
 *
 * A vsmigrate disk is an NBD disk over a unix socket with a lease in the
 * lockspace "vsmigrate" whose key is the disk's target; its place on the
 * share is in the vsmigrate metadata. Because the hook runs as root with
 * paths from a definition, nothing in it is taken on trust: the disks must
 * pass the placement rule (placement.h), and each export's socket and
 * control socket must be RUNTIME/disks/<vm>-<target>.sock and .ctl.
 *
 * libvirt's rules for hooks: a hook must not call libvirt, and a daemon it
 * starts must not keep the hook's stdout or stderr, or libvirtd waits for
 * them forever. An export's start-up errors go to RUNTIME/disks/<vm>-<target>.log,
 * and each time it takes or lets go of the writer handle, a line goes to
 * RUNTIME/disks/<vm>-<target>.writer.log (nbdkit-smbio-plugin's writer-journal=);
 * once it runs in the background, nbdkit logs to syslog. Exports are a session
 * of their own, so restarting vsmigrated or libvirtd leaves them be.
 * Exit status: 0 done (or nothing to do); 1 refused or failed, with the
 * reason on stderr, which libvirt shows the admin. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/ccdir.h"
#include "common/testhook.h"
#include "hostagent/agentcfg.h"
#include "hostagent/domxml.h"
#include "hostagent/exports.h"
#include "hostagent/placement.h"

#define XML_MAX (1024 * 1024)

static char *
read_stdin(void)
{
    char *buf = malloc(XML_MAX + 1);
    size_t used = 0;
    ssize_t n;

    if (buf == NULL)
        return NULL;
    while (used < XML_MAX && (n = read(STDIN_FILENO, buf + used, XML_MAX - used)) > 0)
        used += (size_t)n;
    buf[used] = '\0';
    return buf;
}

static int
usage(FILE *f)
{
    fprintf(f, "usage: vsmigrate-hook [-c vsmigrated.conf] NAME OPERATION SUB-OPERATION EXTRA\n"
               "  libvirt's qemu hook (/etc/libvirt/hooks/qemu), the domain's XML on stdin:\n"
               "  prepare starts the VM's disk exports (standby), release stops them\n"
               "see vsmigrate-hook(8)\n");
    return f == stdout ? 0 : 2;
}

int
main(int argc, char **argv)
{
    const char *config = AGENT_DEFAULT_CONFIG;
    struct domxml_info *vm;
    struct vs_error err;
    struct cfg_diag diag = { 0 };
    struct agent_config *cfg = NULL;
    struct export exports[DOMXML_MAX_ITEMS];
    size_t n = 0;
    char *xml, *machine = NULL, folder[1300];
    int c, rc = 1;

    while ((c = getopt(argc, argv, "c:h")) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'h': return usage(stdout);
        default: return usage(stderr);
        }
    }
    if (argc - optind < 3)
        return usage(stderr);
    const char *op = argv[optind + 1], *subop = argv[optind + 2];
    bool starting = strcmp(op, "prepare") == 0 && strcmp(subop, "begin") == 0;
    bool stopping = strcmp(op, "release") == 0 && strcmp(subop, "end") == 0;
    if (!starting && !stopping)
        return 0;
    signal(SIGPIPE, SIG_IGN);
    xml = read_stdin();
    vm = calloc(1, sizeof *vm);
    if (xml == NULL || vm == NULL) {
        fprintf(stderr, "vsmigrate-hook: out of memory\n");
        return 1;
    }
    if (!domxml_parse(xml, strlen(xml), vm, &err)) {
        /* not a definition we can read: it runs without exports from here,
         * and if it has vsmigrate disks the lock plugin refuses it (it finds
         * no export to promote), so refusing here would only stop VMs that
         * are not vsmigrate's */
        fprintf(stderr, "vsmigrate-hook: %s: %s (no disk export started)\n", argv[optind],
                err.message);
        rc = 0;
        goto out;
    }
    for (size_t i = 0; i < vm->ndisks; i++)
        if (export_lease_of(vm, &vm->disks[i]))
            n++;
    if (n == 0) {
        rc = 0;   /* not a vsmigrate VM */
        goto out;
    }
    cfg = agent_config_load(config, &diag);
    if (cfg == NULL) {
        fprintf(stderr, "vsmigrate-hook: %s: %s (fix %s; vsmigrated --check-config -c %s)%s\n",
                vm->name, diag.n ? diag.lines[0] : "the configuration does not load", config, config,
                stopping ? "; stopping its exports where they are by default" : "");
        cfg_diag_free(&diag);
        /* a running export holds the disk's writer handle: stop it anyway */
        if (!starting)
            goto stop_exports;
        goto out;
    }
    cfg_diag_free(&diag);
stop_exports:
    n = 0;
    for (size_t i = 0; i < vm->ndisks; i++) {
        const struct domxml_lease *l = export_lease_of(vm, &vm->disks[i]);
        if (l && !export_paths(cfg ? cfg->runtime_dir : AGENT_DEFAULT_RUNTIME_DIR, vm,
                               &vm->disks[i], l, &exports[n++], &err)) {
            fprintf(stderr, "vsmigrate-hook: %s\n", err.message);
            goto out_cfg;
        }
    }
    /* an export killed -9 left its private ccache directory: gone now */
    vs_ccache_dir_sweep(cfg ? cfg->runtime_dir : AGENT_DEFAULT_RUNTIME_DIR, 0);
    if (stopping) {
        for (size_t i = 0; i < n; i++)
            export_stop(&exports[i]);
        rc = cfg ? 0 : 1;
        goto out_cfg;
    }
    if (!placement_check(vm, NULL, cfg->shares, cfg->nshares, folder, sizeof folder, &err)) {
        fprintf(stderr, "vsmigrate-hook: %s may not start here: %s\n", vm->name, err.message);
        goto out_cfg;
    }
    if ((machine = export_machine_principal(cfg, &err)) == NULL) {
        fprintf(stderr, "vsmigrate-hook: %s: %s (in %s)\n", vm->name, err.message, config);
        goto out_cfg;
    }
    char disks[400];
    snprintf(disks, sizeof disks, "%s/disks", cfg->runtime_dir);
    mkdir(cfg->runtime_dir, 0755);
    mkdir(disks, 0755);
    rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        if (!export_start(cfg, machine, &exports[i], vm->name, &err)) {
            fprintf(stderr, "vsmigrate-hook: %s\n", err.message);
            rc = 1;
        }
    if (rc != 0)   /* all or none */
        for (size_t i = 0; i < n; i++)
            export_stop(&exports[i]);
    else   /* the fault tests strike here: libvirt's Prepare waits for this hook */
        test_hook_pause(cfg->runtime_dir, "export-start");
out_cfg:
    agent_config_free(cfg);
out:
    free(machine);
    domxml_free(vm);
    free(vm);
    free(xml);
    return rc;
}
