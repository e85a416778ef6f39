/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/daemon.h: what vsmigrated's parts share.
 *
 * One struct agent holds the daemon's state; vsmigrated.c makes it, and every
 * part reaches it through the connection or the request context, never
 * through a global.
 *
 * Settings are a snapshot: a reload (SIGHUP) builds a new one off the accept
 * path and swaps it in when it is complete; a connection keeps the snapshot
 * it started with (refcounted), so a reload never changes the rules in the
 * middle of a request, and running jobs are not touched. */
#ifndef VSM_HOSTAGENT_DAEMON_H
#define VSM_HOSTAGENT_DAEMON_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "hostagent/actions.h"
#include "hostagent/authz.h"
#include "hostagent/agentcfg.h"
#include "hostagent/audit.h"
#include "hostagent/jobs.h"
#include "hostagent/message.h"
#include "hostagent/wire.h"
#include "krb/krb.h"

struct settings {
    int refs;                      /* under agent.lock */
    struct agent_config *cfg;
    struct krb_acceptor *acc;      /* NULL with auth = local */
    char *spn;
    char **group_sids;             /* allowed_groups, resolved */
    size_t ngroup_sids;
    struct authz_policy policy;
};

/* A connection, for the limits. */
struct conn {
    struct conn *next;
    struct agent *agent;
    int fd;
    bool local;
    bool authenticated;
    bool established;              /* its Kerberos exchange is complete: never evicted */
    bool evicted;
    long long started_ms;
    struct sockaddr_storage addr;
    char address[64];              /* ip:port, or "local" */
    char ip[64];                   /* the address alone: what refusal budgets count by */
    char user[512];                /* once authenticated */
    struct settings *settings;
};

struct agent {
    pthread_mutex_t lock;          /* settings, refs, the connection list */
    struct settings *settings;     /* current */
    char host[256];                /* this host's FQDN */
    char realm[256];
    struct conn *conns;
    struct jobs jobs;              /* its own lock */
    bool stopping;
};

/* ---- settings.c ---- */
/* Load path and make a snapshot: the keytab opened, the SPN checked, the
 * allowed groups resolved to SIDs. NULL after logging why. */
struct settings *settings_load(struct agent *a, const char *path);
/* The current snapshot, with a reference for the caller. */
struct settings *settings_get(struct agent *a);
void settings_put(struct agent *a, struct settings *s);
/* Make s current; the old one goes when its last user lets go. */
void settings_swap(struct agent *a, struct settings *s);

/* ---- conns.c ---- */
/* Room for c (not yet listed)? Past max_unauthenticated_per_address or
 * max_unauthenticated, the oldest unfinished handshake (from the same
 * address first) makes way if it is CONNS_MAKE_WAY_AGE_MS old, so an idle
 * flood cannot keep an admin out; if every one is younger (a burst of real
 * clients, all still working), c is refused instead and its client tries
 * again. Past max_connections the oldest makes way at any age. Lists c when
 * true; else *why says which limit. */
#define CONNS_MAKE_WAY_AGE_MS 2000
enum conns_limit {
    CONNS_LIMIT_NONE,
    CONNS_LIMIT_PER_ADDRESS,       /* max_unauthenticated_per_address */
    CONNS_LIMIT_UNAUTHENTICATED,   /* max_unauthenticated */
    CONNS_LIMIT_CONNECTIONS,       /* max_connections */
};
bool conns_admit(struct agent *a, struct conn *c, const struct agent_config *cfg,
                 enum conns_limit *why);
/* The setting in [limits] behind a limit. */
const char *conns_limit_setting(enum conns_limit l);
/* c's Kerberos exchange is complete (called before its last token goes):
 * from now on it is never evicted. false if it was evicted already. */
bool conns_mark_established(struct agent *a, struct conn *c);
/* Take c off the connection list (it is no longer a candidate for eviction). */
void conns_forget(struct agent *a, struct conn *c);
/* Mark c authenticated as user, unless user has max_connections_per_user
 * already (VS_ERR_BUSY). */
bool conns_admit_user(struct agent *a, struct conn *c, const char *user, struct vs_error *err);
/* Shut every connection down; wait up to timeout_ms for their threads. */
void conns_close_all(struct agent *a, long long timeout_ms);

/* Serve one connection (its own thread); frees c. */
void *session_run(void *c);

/* The requests; each writes its reply (and events) on w. The session has
 * authorised the caller for the action already. */
struct request_ctx {
    struct agent *agent;
    struct wire *w;
    struct conn *conn;
    struct settings *s;
    const struct authz_decision *who;
    const struct vsm_message *req;
    struct krb_context *accepted;  /* the caller's context (NULL on the unix socket) */
    const char *caller;            /* for messages and audit */
    long long deadline_ms;         /* the whole request must end by then (wire_now_ms) */
    /* filled in by the handler for the audit record */
    enum vs_errcode result;
    bool reply_failed;             /* the reply could not be sent: the connection ends */
    char message[1024];
    char vm[256], from[256], to[256], job[40];
    struct audit_move move;        /* a move's figures (move.c, incoming.c) */
};

void request_handle(struct request_ctx *r, enum vsm_action action);

/* ---- requests.c: replies, shared by the handlers in other files ---- */
void reply_begin(struct request_ctx *r, struct vs_writer *w);
/* Finish and send the reply with result and, unless ok, a message. */
void reply_send(struct request_ctx *r, struct vs_writer *w, enum vs_errcode code, const char *message);
void reply_error(struct request_ctx *r, enum vs_errcode code, const char *message);
struct report;
/* Send a report as the reply, and free it. The audit record says why, not
 * only which checks failed: the first failure's reason goes with it. */
void reply_report(struct request_ctx *r, struct report *rep);
/* The request's VM, --to and --from into r; false after replying when one
 * is missing or this host is not the source. what: "check", "move". */
bool request_vm_route(struct request_ctx *r, const char *what);
/* The pre-flight (what `check` answers): a report (NULL when out of memory)
 * and the VM's definition (*xml, malloc'd, NULL when it could not be read). */
struct report *preflight_report(struct request_ctx *r, char **xml);

/* ---- definition.c: the VM's definition on the share ---- */
/* Read //SERVER/SHARE/<r->vm>/<r->vm>.xml from the first configured share
 * that has it, as the caller (its CIFS ticket) or, for a local caller, as
 * this host. Malloc'd; NULL with err. */
char *definition_read(struct request_ctx *r, struct vs_error *err);
/* Replace FOLDER/<r->vm>.xml (folder: smb://SERVER/SHARE/<vm>, placement.h)
 * with xml, whole, as the caller; dir: a private 0700 directory for the
 * file handed to vsmigrate-disk. false with err. */
bool definition_save(struct request_ctx *r, const char *folder, const char *xml, const char *dir,
                     struct vs_error *err);

/* ---- move.c (the source) and incoming.c (the destination) ---- */
void do_move(struct request_ctx *r);
void do_handoff_release(struct request_ctx *r);
void do_move_prepare(struct request_ctx *r);
void do_move_end(struct request_ctx *r);
void do_tunnel(struct request_ctx *r);

#endif
