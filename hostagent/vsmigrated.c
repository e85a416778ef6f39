/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vsmigrated: the vsmigrate host agent.
 *
 *   vsmigrated [-c FILE] [-f] [--syslog]
 *   vsmigrated [-c FILE] --check-config
 *
 * Listens on TCP (6600 by default) and on a unix socket; each connection is
 * served by its own thread (session.c). This file holds start-up, the
 * settings snapshots and their reload, the accept loop and its limits. */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/ccdir.h"
#include "common/crashtrace.h"
#include "common/log.h"
#include "hostagent/audit.h"
#include "hostagent/daemon.h"
#include "hostagent/handoff.h"
#include "hostagent/leftover.h"
#include "hostagent/supervise.h"
#include "hostagent/move.h"
#include "hostagent/virt.h"

static struct agent agent = { .lock = PTHREAD_MUTEX_INITIALIZER };

#define THREAD_STACK (1024 * 1024)

/* This host's name and realm, from the SPN (vsmigrate/<fqdn>@<REALM>). */
static void
learn_identity(const struct settings *s)
{
    if (s->spn) {
        const char *slash = strchr(s->spn, '/'), *at = strrchr(s->spn, '@');
        if (slash && at && at > slash) {
            snprintf(agent.host, sizeof agent.host, "%.*s", (int)(at - slash - 1), slash + 1);
            snprintf(agent.realm, sizeof agent.realm, "%s", at + 1);
            return;
        }
    }
    gethostname(agent.host, sizeof agent.host);
}

/* ---- listeners ------------------------------------------------------------------- */

static int
listen_tcp(const struct agent_listen *l)
{
    int one = 1, fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    if (fd < 0) {
        vs_error("listen %s: socket: %s", l->text, strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (l->addr.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (const struct sockaddr *)&l->addr, l->addrlen) < 0 || listen(fd, 128) < 0) {
        vs_error("cannot listen on %s: %s (%s)", l->text, strerror(errno),
                 errno == EADDRINUSE ? "another vsmigrated, or another program, has the port; "
                                       "ss -ltnp shows which" :
                 errno == EADDRNOTAVAIL ? "this host has no such address; fix listen in [agent]"
                                        : "check listen in [agent]");
        close(fd);
        return -1;
    }
    return fd;
}

/* RUNTIME/jobs/JOB directories of an earlier run (move.h); an incoming
 * move that run did not finish leaves no definition behind. */
static unsigned
sweep_job_dirs(const char *runtime_dir, const char *libvirt_uri)
{
    char parent[300];
    unsigned n = 0;
    DIR *d;
    struct dirent *e;

    snprintf(parent, sizeof parent, "%s/jobs", runtime_dir);
    d = opendir(parent);
    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        char dir[600];
        if (e->d_name[0] == '.')
            continue;
        snprintf(dir, sizeof dir, "%s/%s", parent, e->d_name);
        char vm[256];
        struct vs_error err;
        if (move_job_incoming_vm(dir, vm, sizeof vm)) {
            if (virt_undefine_if_off(libvirt_uri, vm, NULL, &err))
                vs_info("job %s: the incoming move of %s ended with the earlier run: no "
                        "definition of it stays here unless it runs", e->d_name, vm);
            else
                vs_warn("job %s: %s", e->d_name, err.message);
        }
        move_job_dir_remove(dir);
        n++;
    }
    closedir(d);
    return n;
}

static int
listen_unix(const struct agent_config *c)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    int fd;
    char dir[sizeof sun.sun_path];

    snprintf(sun.sun_path, sizeof sun.sun_path, "%s", c->socket_path);
    snprintf(dir, sizeof dir, "%s", c->socket_path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        mkdir(dir, 0755);
    }
    unlink(sun.sun_path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof sun) < 0 || listen(fd, 64) < 0) {
        vs_error("cannot listen on the unix socket %s: %s (check socket in [agent])",
                 c->socket_path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    gid_t gid = 0;
    if (c->local_group) {
        struct group *g = getgrnam(c->local_group);
        if (g == NULL)
            vs_warn("local_group '%s' does not exist: only root can use %s", c->local_group,
                    c->socket_path);
        else
            gid = g->gr_gid;
    }
    if (chown(c->socket_path, 0, gid) < 0 && geteuid() == 0)
        vs_warn("chown %s: %s", c->socket_path, strerror(errno));
    chmod(c->socket_path, c->local_group ? 0660 : 0600);
    return fd;
}

static void
accept_one(int lfd, bool local)
{
    struct conn *c = calloc(1, sizeof *c);
    socklen_t len = sizeof c->addr;
    pthread_attr_t attr;
    pthread_t t;
    int fd;

    if (c == NULL)
        return;
    fd = accept4(lfd, (struct sockaddr *)&c->addr, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
            vs_warn("accept: %s", strerror(errno));
        free(c);
        if (errno == EMFILE || errno == ENFILE)
            usleep(100000);   /* out of descriptors: let connections finish */
        return;
    }
    c->fd = fd;
    c->local = local;
    c->started_ms = wire_now_ms();
    if (!local)
        wire_tcp_liveness(fd);
    if (local) {
        snprintf(c->address, sizeof c->address, "local");
        snprintf(c->ip, sizeof c->ip, "local");
    } else {
        char ip[INET6_ADDRSTRLEN] = "?";
        int port = 0;
        if (c->addr.ss_family == AF_INET) {
            inet_ntop(AF_INET, &((struct sockaddr_in *)&c->addr)->sin_addr, ip, sizeof ip);
            port = ntohs(((struct sockaddr_in *)&c->addr)->sin_port);
        } else if (c->addr.ss_family == AF_INET6) {
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&c->addr)->sin6_addr, ip, sizeof ip);
            port = ntohs(((struct sockaddr_in6 *)&c->addr)->sin6_port);
        }
        snprintf(c->address, sizeof c->address, "%s:%d", ip, port);
        snprintf(c->ip, sizeof c->ip, "%s", ip);
    }
    c->settings = settings_get(&agent);
    const struct agent_config *cfg = c->settings->cfg;
    if (!local && cfg->nallowed_subnets > 0 &&
        !cfg_cidr_contains(cfg->allowed_subnets, cfg->nallowed_subnets, (struct sockaddr *)&c->addr)) {
        vs_info("%s: refused: not in allowed_subnets", c->address);
        goto refuse;
    }
    enum conns_limit limit;
    if (!conns_admit(&agent, c, cfg, &limit)) {
        /* a burst of real clients meets the handshake limits too (they try
         * again), and so does every connection of an idle flood: only the
         * hard limit is worth a line at the default level, as a connection
         * dropped before authentication is (session.c) */
        if (limit == CONNS_LIMIT_CONNECTIONS)
            vs_warn("%s: refused: %d connections, the limit (max_connections in [limits])",
                    c->address, cfg->max_connections);
        else
            vs_debug("%s: refused: at %s in [limits], and no unfinished handshake is %d s old "
                    "to make way (the client tries again)", c->address, conns_limit_setting(limit),
                    CONNS_MAKE_WAY_AGE_MS / 1000);
        goto refuse;
    }

    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, THREAD_STACK);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (crashtrace_thread_create(&t, &attr, session_run, c) != 0) {
        vs_warn("%s: refused: cannot start a thread", c->address);
        conns_forget(&agent, c);
        pthread_attr_destroy(&attr);
        goto refuse;
    }
    pthread_attr_destroy(&attr);
    return;
refuse:
    settings_put(&agent, c->settings);
    close(fd);
    free(c);
}

/* ---- systemd --------------------------------------------------------------------------- */

/* sd_notify without libsystemd: one datagram to $NOTIFY_SOCKET. */
static void
notify_systemd(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    size_t n;
    int fd;

    if (path == NULL || (path[0] != '/' && path[0] != '@') || (n = strlen(path)) >= sizeof sun.sun_path)
        return;
    memcpy(sun.sun_path, path, n);
    if (sun.sun_path[0] == '@')
        sun.sun_path[0] = '\0';
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sun,
           (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n));
    close(fd);
}

/* ---- main ---------------------------------------------------------------------------------- */

static void
usage(FILE *f)
{
    fprintf(f, "usage: vsmigrated [-c FILE] [-f] [--syslog] [--log-level LEVEL]\n"
               "       vsmigrated [-c FILE] --check-config\n"
               "  -c, --config FILE   the configuration (default %s)\n"
               "  -f, --foreground    stay in the foreground (always; for clarity in scripts)\n"
               "      --syslog        log to syslog as well as stderr\n"
               "      --log-level L   error, warning, info or debug (overrides the file)\n"
               "      --check-config  check the configuration, the keytab and the groups, then exit\n"
               "  -V, --version\n"
               "exit status: 0 stopped cleanly or the configuration is good; 1 a runtime failure;\n"
               "             2 bad usage or a bad configuration\n"
               "see vsmigrated(8)\n", AGENT_DEFAULT_CONFIG);
}

/* A reload runs in a thread of its own: resolving allowed_groups asks LDAP,
 * which may stall, and the accept loop must go on serving with the old
 * settings meanwhile. One reload at a time; a SIGHUP during one asks for
 * another after it, so the newest file is always what ends in force. */
static struct {
    pthread_mutex_t lock;
    bool running, again;
    const char *path;
} reloader = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void
reload_once(const char *path)
{
    struct settings *s, *cur;

    vs_info("reloading %s", path);
    s = settings_load(&agent, path);
    if (s == NULL) {
        vs_error("the new configuration was not taken; the previous one stays in force");
        return;
    }
    cur = settings_get(&agent);
    if (s->spn && cur->spn && strcmp(s->spn, cur->spn) != 0)
        vs_warn("spn changed to %s: this host's name in audit records changes after a restart",
                s->spn);
    settings_put(&agent, cur);
    vs_log_set_level((enum vs_log_level)s->cfg->log_level);
    struct vs_error err;
    if (!audit_open(s->cfg->audit_log, &err))
        vs_warn("%s; until it can, audit records go to syslog only", err.message);
    settings_swap(&agent, s);
    vs_info("reloaded %s (listen addresses and the socket change only on restart)", path);
}

static void *
reload_thread(void *arg)
{
    (void)arg;
    for (;;) {
        reload_once(reloader.path);
        pthread_mutex_lock(&reloader.lock);
        bool again = reloader.again;
        reloader.again = false;
        reloader.running = again;
        pthread_mutex_unlock(&reloader.lock);
        if (!again)
            break;
    }
    notify_systemd("READY=1");
    return NULL;
}

static void
reload(const char *path)
{
    pthread_attr_t attr;
    pthread_t t;

    pthread_mutex_lock(&reloader.lock);
    if (reloader.running) {
        reloader.again = true;
        pthread_mutex_unlock(&reloader.lock);
        return;
    }
    reloader.running = true;
    reloader.path = path;
    pthread_mutex_unlock(&reloader.lock);
    notify_systemd("RELOADING=1");
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (crashtrace_thread_create(&t, &attr, reload_thread, NULL) != 0) {
        vs_error("cannot start a thread to reload %s; the previous configuration stays", path);
        pthread_mutex_lock(&reloader.lock);
        reloader.running = false;
        pthread_mutex_unlock(&reloader.lock);
        notify_systemd("READY=1");
    }
    pthread_attr_destroy(&attr);
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' }, { "foreground", no_argument, NULL, 'f' },
        { "check-config", no_argument, NULL, 'C' }, { "syslog", no_argument, NULL, 'S' },
        { "log-level", required_argument, NULL, 'L' }, { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' }, { NULL, 0, NULL, 0 },
    };
    const char *path = AGENT_DEFAULT_CONFIG, *level_override = NULL;
    bool check_only = false, use_syslog = false;
    struct pollfd fds[AGENT_LISTEN_MAX + 2];
    size_t nfds = 0;
    sigset_t mask;
    struct vs_error err;
    int c, sfd;

    while ((c = getopt_long(argc, argv, "c:fhV", opts, NULL)) != -1) {
        switch (c) {
        case 'c': path = optarg; break;
        case 'f': break;
        case 'C': check_only = true; break;
        case 'S': use_syslog = true; break;
        case 'L': level_override = optarg; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("vsmigrated %s\n", PACKAGE_VERSION); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    enum vs_log_level level = VS_LOG_INFO;
    if (level_override && !vs_log_level_parse(level_override, &level)) {
        fprintf(stderr, "vsmigrated: --log-level takes error, warning, info or debug\n");
        return 2;
    }
    vs_log_init("vsmigrated", level, use_syslog);
    crashtrace_install("vsmigrated");
    /* systemd's journal stamps each line itself (and says so in JOURNAL_STREAM) */
    vs_log_set_timestamps(!check_only && getenv("JOURNAL_STREAM") == NULL);
    virt_init();
    signal(SIGPIPE, SIG_IGN);
    agent.settings = settings_load(&agent, path);
    if (agent.settings == NULL) {
        vs_error("%s: not used (fix the problems above; vsmigrated --check-config -c %s checks "
                 "again)", path, path);
        return 2;
    }
    jobs_init(&agent.jobs, agent.settings->cfg->max_simultaneous);
    learn_identity(agent.settings);   /* fills agent.host and agent.realm, which policy points at */
    if (!level_override)
        vs_log_set_level((enum vs_log_level)agent.settings->cfg->log_level);
    if (check_only) {
        const struct agent_config *cfg = agent.settings->cfg;
        printf("%s: good: %s as %s on %zu address%s; incoming %s, outgoing %s; %zu allowed "
               "group%s, %zu allowed user%s, %zu peer%s\n", path,
               cfg->auth == AGENT_AUTH_KERBEROS ? "kerberos" : "local",
               agent.settings->spn ? agent.settings->spn : agent.host, cfg->nlisten,
               cfg->nlisten == 1 ? "" : "es", cfg->incoming ? "on" : "off",
               cfg->outgoing ? "on" : "off", cfg->nallowed_groups,
               cfg->nallowed_groups == 1 ? "" : "s", cfg->nallowed_users,
               cfg->nallowed_users == 1 ? "" : "s", cfg->npeers, cfg->npeers == 1 ? "" : "s");
        settings_put(&agent, agent.settings);
        return 0;
    }
    const struct agent_config *cfg = agent.settings->cfg;
    char socket_path[128];   /* cfg may be replaced by a reload before we stop */
    snprintf(socket_path, sizeof socket_path, "%s", cfg->socket_path);
    char handoff_path[300];
    snprintf(handoff_path, sizeof handoff_path, "%s/handoff.sock", cfg->runtime_dir);
    mkdir(cfg->runtime_dir, 0755);
    mkdir(cfg->state_dir, 0750);
    /* tickets a killed tool or a crashed agent left behind */
    unsigned swept = vs_ccache_dir_sweep(cfg->runtime_dir, 0);
    if (swept)
        vs_info("removed %u credential cache director%s left by processes that no longer run",
                swept, swept == 1 ? "y" : "ies");
    if (!audit_open(cfg->audit_log, &err)) {
        vs_error("%s", err.message);
        return 1;
    }
    for (size_t i = 0; i < cfg->nlisten; i++) {
        int fd = listen_tcp(&cfg->listen[i]);
        if (fd < 0)
            return 1;
        fds[nfds++] = (struct pollfd){ .fd = fd, .events = POLLIN };
    }
    size_t ntcp = nfds;
    int ufd = listen_unix(cfg);
    if (ufd < 0)
        return 1;
    fds[nfds++] = (struct pollfd){ .fd = ufd, .events = POLLIN };
    sigemptyset(&mask);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    pthread_sigmask(SIG_BLOCK, &mask, NULL);   /* before any thread: they inherit it */
    sfd = signalfd(-1, &mask, SFD_CLOEXEC);
    /* (threads from here on: after the signal mask, or a SIGHUP kills)
     * a move watches its domain's lifecycle: libvirt's event loop first */
    if (!virt_events_start(&err)) {
        vs_error("%s", err.message);
        return 1;
    }
    /* the moves of an agent that died ended with it: their sockets go */
    unsigned stale = sweep_job_dirs(cfg->runtime_dir, cfg->libvirt_uri);
    if (stale)
        vs_info("removed %u move director%s left by an earlier run", stale, stale == 1 ? "y" : "ies");
    if (!handoff_serve_start(&agent, &err) || !supervise_start(&agent, &err)) {
        vs_error("%s", err.message);
        return 1;
    }
    /* a failed move's leftovers an agent killed within their minute left
     * (before any move: a move that begins later waits for each try) */
    leftover_take_up(cfg, &agent.jobs);

    fds[nfds++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
    vs_info("serving as %s on %zu TCP address%s and %s", agent.settings->spn ? agent.settings->spn
            : agent.host, ntcp, ntcp == 1 ? "" : "es", socket_path);
    notify_systemd("READY=1");

    while (!agent.stopping) {
        if (poll(fds, nfds, -1) < 0) {
            if (errno == EINTR)
                continue;
            vs_error("poll: %s", strerror(errno));
            break;
        }
        for (size_t i = 0; i < nfds - 1; i++)
            if (fds[i].revents & POLLIN)
                accept_one(fds[i].fd, i == ntcp);
        if (fds[nfds - 1].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof si) == sizeof si) {
                if (si.ssi_signo == SIGHUP)
                    reload(path);
                else
                    agent.stopping = true;
            }
        }
    }
    notify_systemd("STOPPING=1");
    vs_info("stopping: closing connections");
    for (size_t i = 0; i < nfds - 1; i++)
        close(fds[i].fd);
    unlink(socket_path);
    unlink(handoff_path);
    conns_close_all(&agent, 5000);
    audit_close();
    vs_info("stopped");
    return 0;
}
