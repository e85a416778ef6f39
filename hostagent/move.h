/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/move.h: what the move's two halves (move.c on the source,
 * incoming.c on the destination) share. */
#ifndef VSM_HOSTAGENT_MOVE_H
#define VSM_HOSTAGENT_MOVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "hostagent/agentcfg.h"
#include "hostagent/domxml.h"
#include "hostagent/jobs.h"

/* Unix time in ms: the two hosts' clocks are compared (NTP keeps them). */
int64_t move_unix_ms(void);

/* j's control sockets from vm's vsmigrate leases; every disk needs one. */
bool move_controls_from_xml(const struct domxml_info *vm, struct job *j, struct vs_error *err);

/* Make RUNTIME/jobs/JOB (0700, root's alone), the same path on both hosts:
 * the destination's QEMU listens on DIR/migration.sock there. */
bool move_job_dir(const struct agent_config *c, const char *job, char *dir, size_t len,
                  struct vs_error *err);
void move_job_dir_remove(const char *dir);
/* An incoming move of a VM not defined here notes its name in its job
 * directory (MOVE_INCOMING_NOTE): an agent killed before the move ended
 * finds it at its next start and has libvirt forget the definition the
 * failed move left (unless the VM runs). */
#define MOVE_INCOMING_NOTE "incoming-vm"
bool move_job_note_incoming(const char *dir, const char *vm, struct vs_error *err);
/* The VM noted in dir, if any. */
bool move_job_incoming_vm(const char *dir, char *vm, size_t len);

#endif
