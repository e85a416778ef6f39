/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/handoff.h: the disks' writer hand-off between two agents.
 *
 * On the destination, the lock-manager plugin's Acquire (inside libvirt's
 * Finish, the source QEMU still alive and paused) connects to
 * RUNTIME/handoff.sock (root only) and sends one line, "handoff VM". The
 * agent finds its incoming job for VM, asks the source's agent to release
 * (`handoff-release JOB`: the source checks that the VM is paused by its
 * migration, then each export flushes and closes its writer handle), then
 * promotes each export here (read-write with DENY_WRITE: the file server
 * refuses while any other writer exists). It answers one JSON line:
 *   {"ok":true}
 *   {"ok":false,"code":"notfound","error":"..."}   no such move: the plugin's
 *                                                  fence alone decides
 *   {"ok":false,"code":"...","error":"..."}        refused: the migration fails
 *                                                  and libvirt resumes the source
 * Every step is bounded by handoff_timeout: all of it is VM downtime. */
#ifndef VSM_HOSTAGENT_HANDOFF_H
#define VSM_HOSTAGENT_HANDOFF_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "hostagent/jobs.h"

#define HANDOFF_LINE_MAX 300

struct agent;

/* Parse one request line ("handoff NAME", an optional "\n"; NAME 1 to 255
 * bytes, printable ASCII or UTF-8 without spaces or control characters).
 * Pure: unit-tested and fuzzed. */
bool handoff_line_parse(const char *line, size_t len, char *vm, size_t vmlen, struct vs_error *err);

/* Listen on RUNTIME/handoff.sock and serve the plugin, a thread per call. */
bool handoff_serve_start(struct agent *a, struct vs_error *err);

/* Destination: take the writer of vm's disks for its incoming job.
 * *no_job when there is no such job (err VS_ERR_NOTFOUND). */
bool handoff_take_writer(struct agent *a, const char *vm, bool *no_job, struct vs_error *err);

/* Source: let the writer of job j's disks go (j's VM must be paused by its
 * migration). */
bool handoff_release_writer(struct agent *a, const struct job *j, struct vs_error *err);

#endif
