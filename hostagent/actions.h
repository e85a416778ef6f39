/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/actions.h: the one table of the agent's actions.
 *
 * Each row ties an action to the roles that may ask for it (authz.h), its
 * handler in the daemon (requests.c), and how the CLI asks for it: which
 * host it goes to and what it carries. The daemon's dispatch, the
 * authorisation and the CLI all read this table, in the style of OpenSSH's
 * monitor.c dispatch tables, so they cannot disagree: a row without a
 * handler does not compile.
 *
 *   X(ID, name, roles, cli, handler, help)
 *
 * roles: a mask of ROLE_ADMIN (an allowed admin, directly or on the unix
 * socket), ROLE_PEER_FOR_ADMIN (a peer host acting for an admin through
 * S4U2Proxy) and ROLE_PEER_HOST (a peer host as itself).
 * cli: CLI_NONE (asked only between hosts), CLI_HOST (sent to --host, or the
 * local daemon), CLI_VM_MOVE (VM --from A --to B, sent to A), CLI_JOB (JOB,
 * sent to --host), CLI_VM_ON (VM --on HOST, sent to HOST), CLI_VM_HOST (VM,
 * sent to --host). */
#ifndef VSM_HOSTAGENT_ACTIONS_H
#define VSM_HOSTAGENT_ACTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

#define VSM_ACTIONS(X)                                                                          \
    X(STATUS, "status", ROLE_ADMIN | ROLE_PEER_FOR_ADMIN, CLI_HOST, do_status,                  \
      "the host's settings and jobs")                                                           \
    X(LIST, "list", ROLE_ADMIN | ROLE_PEER_FOR_ADMIN, CLI_HOST, do_list,                        \
      "the VMs on the host")                                                                    \
    X(CHECK, "check", ROLE_ADMIN, CLI_VM_MOVE, do_check,                                        \
      "would VM move from A to B? one line per check")                                          \
    X(MOVE, "move", ROLE_ADMIN, CLI_VM_MOVE, do_move, "live-migrate VM from A to B")            \
    X(START, "start", ROLE_ADMIN, CLI_VM_ON, do_start,                                          \
      "register VM from its folder on the share and start it on HOST")                         \
    X(STOP, "stop", ROLE_ADMIN, CLI_VM_HOST, do_stop,                                           \
      "turn VM off (its disk exports stop and let the writer go)")                              \
    X(CANCEL, "cancel", ROLE_ADMIN, CLI_JOB, do_cancel, "cancel a running move")                \
    X(NETWORKS, "networks", ROLE_ADMIN | ROLE_PEER_FOR_ADMIN | ROLE_PEER_HOST, CLI_HOST,         \
      do_networks, "the host's active libvirt networks")                                       \
    X(CHECK_DESTINATION, "check-destination", ROLE_PEER_FOR_ADMIN | ROLE_PEER_HOST, CLI_NONE,   \
      do_check_destination, NULL)                                                               \
    X(MOVE_PREPARE, "move-prepare", ROLE_PEER_FOR_ADMIN | ROLE_PEER_HOST, CLI_NONE,             \
      do_move_prepare, NULL)                                                                    \
    X(MOVE_END, "move-end", ROLE_PEER_FOR_ADMIN | ROLE_PEER_HOST, CLI_NONE, do_move_end, NULL)  \
    X(TUNNEL, "tunnel", ROLE_PEER_HOST, CLI_NONE, do_tunnel, NULL)                              \
    X(HANDOFF_RELEASE, "handoff-release", ROLE_PEER_HOST, CLI_NONE, do_handoff_release, NULL)  \
    X(VM_STATE, "vm-state", ROLE_PEER_HOST, CLI_NONE, do_vm_state, NULL)

enum vsm_action {
    VSM_ACTION_NONE = 0,
#define VSM_ACTION_ENUM(id, name, roles, cli, handler, help) VSM_ACTION_##id,
    VSM_ACTIONS(VSM_ACTION_ENUM)
#undef VSM_ACTION_ENUM
    VSM__ACTION_END
};

enum { ROLE_ADMIN = 1, ROLE_PEER_FOR_ADMIN = 2, ROLE_PEER_HOST = 4 };
enum vsm_action_cli { CLI_NONE, CLI_HOST, CLI_VM_MOVE, CLI_JOB, CLI_VM_ON, CLI_VM_HOST };

struct vsm_action_info {
    const char *name;
    unsigned roles;
    enum vsm_action_cli cli;
    const char *help;
};

/* The row of an action; NULL for VSM_ACTION_NONE or out of range. */
const struct vsm_action_info *vsm_action_info(enum vsm_action a);
/* The action named name; VSM_ACTION_NONE with err naming every action. */
enum vsm_action vsm_action_lookup(const char *name, struct vs_error *err);

#endif
