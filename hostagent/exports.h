/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/exports.h: a VM's disk exports, one nbdkit with smbio per
 * vsmigrate disk, at RUNTIME/disks/<vm>-<target>.sock (NBD), .ctl (its
 * control socket: promote, release), .pid, .log and .writer.log (the writer
 * journal). The qemu hook starts them at prepare and stops them at release;
 * the agent's supervisor (supervise.h) starts one again that died under a
 * running VM. An export runs in a session of its own, detached from whoever
 * started it. */
#ifndef VSM_HOSTAGENT_EXPORTS_H
#define VSM_HOSTAGENT_EXPORTS_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "hostagent/agentcfg.h"
#include "hostagent/domxml.h"

struct export {
    const struct domxml_disk *disk;
    char sock[320], ctl[320], pid[320], log[320];   /* RUNTIME/disks/<vm>-<target>.* */
    char journal[320];   /* .writer.log: when this host took and let go of the writer */
};

/* The vsmigrate lease of disk d (lockspace "vsmigrate", key = its target),
 * or NULL: a disk without one is not vsmigrate's. */
const struct domxml_lease *export_lease_of(const struct domxml_info *vm,
                                           const struct domxml_disk *d);

/* Fill e for disk d, checking that the definition names exactly the paths
 * this host would (the socket and the lease's control socket); false with
 * err otherwise. */
bool export_paths(const char *runtime_dir, const struct domxml_info *vm,
                  const struct domxml_disk *d, const struct domxml_lease *l, struct export *e,
                  struct vs_error *err);

/* Its pid file names a live process (*pid set) that is this export: an
 * nbdkit serving e->sock. A pid file left by an export that died may name
 * another process by now (the kernel reuses pids): that is not alive, and
 * is never signalled. */
bool export_alive(const struct export *e, pid_t *pid);

/* Start the export in standby (it writes nothing until promoted) as the
 * host's machine principal, unless it runs already; returns once its
 * control socket listens, false with err when it did not start. */
bool export_start(const struct agent_config *c, const char *machine, const struct export *e,
                  const char *vm, struct vs_error *err);

/* The principal an export opens the share as: this host's machine account
 * in the keytab, found through the agent's SPN (spn in [auth], else
 * vsmigrate/<hostname>). NULL with err; free the result. */
char *export_machine_principal(const struct agent_config *c, struct vs_error *err);

/* Stop it (SIGTERM: it flushes and lets the writer handle go; SIGKILL after
 * 10 s) and remove its sockets and pid file. */
void export_stop(const struct export *e);

#endif
