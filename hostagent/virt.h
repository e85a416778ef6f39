/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/virt.h: what the agent asks the local libvirt.
 *
 * Each call opens its own connection to uri and closes it: requests are few
 * and short, and no state is kept that a libvirtd restart could spoil. */
#ifndef VSM_HOSTAGENT_VIRT_H
#define VSM_HOSTAGENT_VIRT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "hostagent/domxml.h"
#include "hostagent/report.h"

struct virt_vm {
    char name[256];
    char state[24];            /* running, paused, shut off, ... */
    uint64_t memory_bytes;
    unsigned vcpus;
};

/* Silence libvirt's own printing to stderr: errors come back through err. */
void virt_init(void);

/* All VMs, running and defined. *vms is malloc'd. */
bool virt_list(const char *uri, struct virt_vm **vms, size_t *n, struct vs_error *err);

/* A VM's definition (migratable form) and state; VS_ERR_NOTFOUND if none. */
bool virt_domain_xml(const char *uri, const char *name, char **xml, char *state, size_t statelen,
                     struct vs_error *err);

/* The names of the active libvirt networks; free them with krb_strv_free. */
bool virt_networks(const char *uri, char ***names, size_t *n, struct vs_error *err);

/* The destination's half of a compatibility check, added to r: libvirt
 * reachable, the VM not already here, each network or bridge present,
 * the CPU comparison, free memory. host names this host in the lines.
 * reveal_vms: whether the report may say that a VM of that name exists here
 * and its state (not to a peer host asking as itself, which may not list). */
void virt_check_destination(const char *uri, const char *host, const struct domxml_info *vm,
                            bool reveal_vms, struct report *r);

/* Define xml (the VM named name) persistently and start it. A VM that runs
 * here already is VS_ERR_BUSY; a start libvirt refuses (the lock plugin: its
 * disks' writer handle is held elsewhere; the hook: a disk it will not serve)
 * leaves the definition as it was before. */
bool virt_define_and_start(const char *uri, const char *name, const char *xml, struct vs_error *err);
/* Is name paused by its own outgoing migration (QEMU has stopped its vCPUs
 * and inactivated its disks)? false with err saying its state otherwise. */
bool virt_paused_for_migration(const char *uri, const char *name, struct vs_error *err);

/* Run libvirt's default event loop in a thread of its own, so that a move
 * can watch its domain's lifecycle (the moment the source stops). Call
 * once, before any connection is opened. */
bool virt_events_start(struct vs_error *err);

/* The downtime libvirt measured for name's last incoming migration (from
 * the source's stop to this host's Finish); -1 if it has none. */
long long virt_last_migration_downtime(const char *uri, const char *name);

/* Is name defined here (running or not)? *defined; false with err when
 * libvirt cannot be reached (then nothing is known). */
bool virt_defined(const char *uri, const char *name, bool *defined, struct vs_error *err);
/* Undefine name if it is defined here and does not run: what a failed
 * incoming migration leaves (libvirt keeps the persistent definition it
 * made at Finish). true when libvirt answered and nothing of it is left but
 * a domain that is still active (*active, if given, says which; an active
 * one is left alone). false with err: libvirt did not answer, or refused. */
bool virt_undefine_if_off(const char *uri, const char *name, bool *active,
                          struct vs_error *err);

/* Does name run here (VIR_DOMAIN_RUNNING)? false too when libvirt cannot be
 * reached: only a yes is an answer. */
bool virt_running(const char *uri, const char *name);

/* After this host took the writer in libvirt's Finish: wait, at most
 * timeout_ms, for that Finish to resume name or end it. RESUMED: it runs,
 * or an I/O error paused it since (it lives here); ENDED: off or gone;
 * UNDECIDED: still paused for the migration, or libvirt does not answer. */
enum virt_finish { VIRT_FINISH_RESUMED, VIRT_FINISH_ENDED, VIRT_FINISH_UNDECIDED };
enum virt_finish virt_wait_finish(const char *uri, const char *name, long long timeout_ms);

/* Resume name if libvirt left it paused by its migration: a libvirtd that
 * died in an outgoing migration comes back with the domain paused, since
 * it cannot know how the destination ended. The caller knows (the
 * destination said it did not take the VM). The lock plugin's Acquire
 * takes the writer back first, or the resume fails. */
enum virt_resume {
    VIRT_RESUME_NO_ANSWER,    /* libvirt does not answer (err) */
    VIRT_RESUME_DONE,         /* resumed now */
    VIRT_RESUME_RUNS,         /* it runs already */
    VIRT_RESUME_LEFT,         /* gone, or paused for another reason: left alone */
    VIRT_RESUME_REFUSED,      /* libvirt refused the resume (err) */
};
enum virt_resume virt_resume_after_migration(const char *uri, const char *name,
                                             struct vs_error *err);

/* Turn name off if it is paused here (its definition stays): a stale copy
 * whose VM runs elsewhere. true when it was paused and is off now; false
 * with err.code VS_ERR_NOTFOUND when it is not paused here. */
bool virt_turn_off_paused(const char *uri, const char *name, struct vs_error *err);

/* Did an I/O error pause d? libvirt says so in the reason, except when
 * QEMU's stop reached it inside a migration job (the destination, just
 * after Finish): then the reason is "unknown", and QEMU's own record of a
 * disk error (query-block's io-status, virDomainGetDiskErrors) tells. An
 * admin's pause is never "unknown". */
struct _virDomain;   /* libvirt's virDomainPtr, without its header here */
bool virt_domain_io_error_paused(struct _virDomain *d, int state, int reason);
/* The same, looked up by name: false when it is not so paused, or libvirt
 * does not answer. */
bool virt_io_error_paused(const char *uri, const char *name);

/* libvirt's state and reason: a migration paused it (and libvirt has not
 * resumed it: a failed move whose resume failed, or libvirt restarted in
 * a move). */
bool virt_migration_paused(int state, int reason);

/* Turn name off if a migration left it paused here (virt_migration_paused;
 * its definition stays); false with err.code VS_ERR_NOTFOUND when it is
 * not so paused here. */
bool virt_turn_off_migration_paused(const char *uri, const char *name, struct vs_error *err);

/* Turn name off (its definition stays). VS_ERR_NOTFOUND if it does not run here. */
bool virt_turn_off(const char *uri, const char *name, struct vs_error *err);

#endif
