/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/agentcfg.h: vsmigrated.conf, read through common/'s parser.
 *
 * The schema is the single list of what the daemon may be told; the man page
 * vsmigrated(8) documents the same keys. Loading checks the file against it
 * and then the values against each other (a kerberos daemon needs a keytab;
 * a listen address must parse), so that --check-config reports every problem
 * before the daemon starts, and a bad reload leaves the old settings in place. */
#ifndef VSM_HOSTAGENT_CONFIG_H
#define VSM_HOSTAGENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "common/cfgfile.h"

#define AGENT_DEFAULT_CONFIG "/etc/vsmigrate/vsmigrated.conf"
#define AGENT_DEFAULT_RUNTIME_DIR "/run/vsmigrate"
#define AGENT_DEFAULT_PORT 6600
#define AGENT_LISTEN_MAX 16

struct agent_listen {
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char text[80];               /* as written, for messages */
};

enum agent_auth_mode { AGENT_AUTH_KERBEROS, AGENT_AUTH_LOCAL };

struct agent_config {
    struct cfg *cfg;             /* owns every string below */
    const char *path;

    /* [agent] */
    struct agent_listen listen[AGENT_LISTEN_MAX];
    size_t nlisten;
    const char *socket_path;
    const char *runtime_dir;
    const char *state_dir;
    const char *audit_log;
    const char *libvirt_uri;
    const char *disk_tool;       /* vsmigrate-disk, for the share probes */
    const char *share_tool;      /* vsmigrate-share, for the doctor's share check */
    int log_level;               /* enum vs_log_level */

    /* [auth] */
    enum agent_auth_mode auth;
    const char *keytab;
    const char *spn;             /* NULL: vsmigrate/<this host's FQDN>@<default realm> */
    char *const *allowed_users;  /* principals */
    size_t nallowed_users;
    char *const *allowed_groups; /* names or SIDs; resolved to SIDs by the daemon */
    size_t nallowed_groups;
    char *const *peers;          /* host FQDNs */
    size_t npeers;
    const char *local_group;     /* unix group whose members may use the socket, besides root */
    const char *ldap_uri;

    /* [migration] */
    bool incoming;
    bool outgoing;
    int max_simultaneous;
    int peer_port;
    const struct cfg_cidr *networks;       /* incoming migration networks */
    size_t nnetworks;
    const struct cfg_cidr *allowed_subnets; /* who may connect; none set: anyone */
    size_t nallowed_subnets;
    const struct cfg_cidr *allowed_sources; /* where incoming moves may come from; none: anywhere */
    size_t nallowed_sources;
    bool confidentiality;
    long long move_timeout_ms;   /* a move must end by then, or it is cancelled */
    long long handoff_timeout_ms;/* the writer hand-off (all of it is VM downtime) */
    long long queue_timeout_ms;  /* a move waits no longer for its turn (max_simultaneous) */
    /* a move's defaults, which the CLI's options override */
    int bandwidth_mib;           /* MiB/s; 0: no limit */
    long long max_downtime_ms;   /* the downtime QEMU aims for at switch-over */
    bool blackout_cancel;        /* not converged by converge_timeout: cancel (else go on) */
    long long converge_timeout_ms;
    bool compress;               /* XBZRLE, or multifd compression where libvirt has it */
    const char *libvirt_socket;  /* this host's libvirtd, for an incoming move's control stream */

    /* [storage] */
    char *const *shares;         /* //SERVER/SHARE: where this host's VM disks may be */
    size_t nshares;
    const char *nbdkit;          /* the program that serves a disk export */
    const char *export_plugin;   /* nbdkit's plugin: smbio (a name, or a path to the .so) */
    int export_threads;          /* nbdkit --threads */

    /* [limits] */
    long long handshake_timeout_ms;
    long long idle_timeout_ms;
    long long request_timeout_ms;
    int max_connections;
    int max_unauthenticated;
    int max_unauthenticated_per_address;
    int max_connections_per_user;
};

/* The schema, for cfg_schema_check in the unit tests. */
extern const struct cfg_key agent_config_schema[];
extern const size_t agent_config_schema_len;

/* Parse and check path. NULL with every problem in diag. */
struct agent_config *agent_config_load(const char *path, struct cfg_diag *diag);
/* The same from memory (unit tests). */
struct agent_config *agent_config_load_buffer(const char *name, const char *text,
                                              struct cfg_diag *diag);
void agent_config_free(struct agent_config *c);

/* "0.0.0.0:6600", "[::]:6600", "10.0.0.5" (default port), "*:6600".
 * false with a reason in why. Pure. */
bool agent_parse_listen(const char *text, struct agent_listen *out, char *why, size_t whylen);

/* Is host (a FQDN or short name) one of the peers? Compared without case,
 * and a short name matches a peer's first label. */
bool agent_config_is_peer(const struct agent_config *c, const char *host);
#endif
