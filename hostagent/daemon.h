/* hostagent/daemon.h: what vsmigrated's parts share.
 *
 * Settings are a snapshot: a reload (SIGHUP) builds a new one and swaps it
 * in; a connection keeps the snapshot it started with (refcounted), so a
 * reload never changes the rules in the middle of a request, and running
 * jobs are not touched. */
#ifndef VSM_HOSTAGENT_DAEMON_H
#define VSM_HOSTAGENT_DAEMON_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "hostagent/authz.h"
#include "hostagent/agentcfg.h"
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

#define AGENT_JOBS_MAX 64

struct job {
    bool used;
    char id[40];
    char vm[256];
    char to[256];
    char user[256];
    char phase[32];
    unsigned progress;             /* per mille */
    bool cancel;
};

/* A connection, for the limits. */
struct conn {
    struct conn *next;
    int fd;
    bool local;
    bool authenticated;
    bool evicted;
    long long started_ms;
    struct sockaddr_storage addr;
    char address[64];
    char user[512];                /* once authenticated */
    struct settings *settings;
};

struct agent {
    pthread_mutex_t lock;
    struct settings *settings;     /* current */
    char host[256];                /* this host's FQDN */
    char realm[256];
    struct conn *conns;
    struct job jobs[AGENT_JOBS_MAX];
    bool stopping;
};

extern struct agent agent;

void settings_put(struct settings *s);

/* Take c off the connection list (it is no longer a candidate for eviction). */
void conn_forget(struct conn *c);

/* Serve one connection (its own thread); frees c. */
void *session_run(void *c);

/* The requests; each writes its reply (and events) on w. The session has
 * authorised the caller for the action already. */
struct request_ctx {
    struct wire *w;
    struct conn *conn;
    struct settings *s;
    const struct authz_decision *who;
    const struct vsm_message *req;
    struct krb_context *accepted;  /* the caller's context (NULL on the unix socket) */
    const char *caller;            /* for messages and audit */
    /* filled in by the handler for the audit record */
    enum vs_errcode result;
    char message[1024];
    char vm[256], from[256], to[256], job[40];
};

void request_handle(struct request_ctx *r, const char *action);

#endif
