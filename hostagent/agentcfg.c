/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/agentcfg.c: vsmigrated.conf's schema and the checks across keys. */
#include <config.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/hostname.h"
#include "hostagent/agentcfg.h"

#define MIN_MS 1000LL
#define DAY_MS (24LL * 3600 * 1000)

/* Both directions of migration are off until an admin turns them on, and
 * nobody is allowed anything until named: deny by default. */
const struct cfg_key agent_config_schema[] = {
    { "agent", "listen", CFG_NAMES, 0, AGENT_LISTEN_MAX, NULL, "0.0.0.0:6600", 0 },
    { "agent", "socket", CFG_STRING, 0, 107, NULL, "/run/vsmigrate/vsmigrated.sock", 0 },
    { "agent", "runtime_dir", CFG_STRING, 0, 0, NULL, AGENT_DEFAULT_RUNTIME_DIR, 0 },
    { "agent", "state_dir", CFG_STRING, 0, 0, NULL, "/var/lib/vsmigrate", 0 },
    { "agent", "audit_log", CFG_STRING, 0, 0, NULL, "/var/log/vsmigrate/audit.jsonl", 0 },
    { "agent", "libvirt_uri", CFG_STRING, 0, 0, NULL, "qemu:///system", 0 },
    { "agent", "disk_tool", CFG_STRING, 0, 0, NULL, BINDIR "/vsmigrate-disk", 0 },
    { "agent", "share_tool", CFG_STRING, 0, 0, NULL, BINDIR "/vsmigrate-share", 0 },
    { "agent", "log_level", CFG_ENUM, 0, 0, "error|warning|info|debug", "info", 0 },
    { "auth", "mode", CFG_ENUM, 0, 0, "kerberos|local", "kerberos", 0 },
    { "auth", "keytab", CFG_STRING, 0, 0, NULL, "/etc/krb5.keytab", 0 },
    { "auth", "spn", CFG_STRING, 0, 0, NULL, NULL, 0 },
    { "auth", "allowed_users", CFG_PRINCIPALS, 0, 0, NULL, NULL, 0 },
    { "auth", "allowed_groups", CFG_NAMES, 0, 0, NULL, NULL, 0 },
    { "auth", "peers", CFG_NAMES, 0, 0, NULL, NULL, 0 },
    { "auth", "local_group", CFG_STRING, 0, 64, NULL, NULL, 0 },
    { "auth", "ldap_uri", CFG_STRING, 0, 0, NULL, NULL, 0 },
    { "migration", "incoming", CFG_BOOL, 0, 0, NULL, "no", 0 },
    { "migration", "outgoing", CFG_BOOL, 0, 0, NULL, "no", 0 },
    { "migration", "max_simultaneous", CFG_INT, 1, 64, NULL, "2", 0 },
    { "migration", "peer_port", CFG_INT, 1, 65535, NULL, "6600", 0 },
    { "migration", "networks", CFG_CIDRS, 0, 0, NULL, NULL, 0 },
    { "migration", "allowed_subnets", CFG_CIDRS, 0, 0, NULL, NULL, 0 },
    { "migration", "allowed_sources", CFG_CIDRS, 0, 0, NULL, NULL, 0 },
    { "migration", "confidentiality", CFG_BOOL, 0, 0, NULL, "yes", 0 },
    { "migration", "move_timeout", CFG_DURATION, MIN_MS, DAY_MS, NULL, "30m", 0 },
    { "migration", "handoff_timeout", CFG_DURATION, 1000, 600 * MIN_MS, NULL, "30s", 0 },
    { "migration", "queue_timeout", CFG_DURATION, 1000, DAY_MS, NULL, "10m", 0 },
    { "migration", "bandwidth", CFG_INT, 0, 1000000, NULL, "0", 0 },
    { "migration", "max_downtime", CFG_DURATION, 1, 60000, NULL, "300ms", 0 },
    { "migration", "blackout_policy", CFG_ENUM, 0, 0, "cancel|continue", "continue", 0 },
    { "migration", "converge_timeout", CFG_DURATION, 1000, DAY_MS, NULL, "2m", 0 },
    { "migration", "compress", CFG_BOOL, 0, 0, NULL, "no", 0 },
    { "migration", "libvirt_socket", CFG_STRING, 0, 107, NULL, "/run/libvirt/libvirt-sock", 0 },
    { "storage", "shares", CFG_NAMES, 0, 16, NULL, NULL, 0 },
    { "storage", "nbdkit", CFG_STRING, 0, 0, NULL, "/usr/bin/nbdkit", 0 },
    { "storage", "export_plugin", CFG_STRING, 0, 0, NULL, "smbio", 0 },
    { "storage", "export_threads", CFG_INT, 1, 64, NULL, "4", 0 },
    { "limits", "handshake_timeout", CFG_DURATION, 100, 5 * 60 * MIN_MS, NULL, "10s", 0 },
    { "limits", "idle_timeout", CFG_DURATION, MIN_MS, DAY_MS, NULL, "5m", 0 },
    { "limits", "request_timeout", CFG_DURATION, MIN_MS, DAY_MS, NULL, "2m", 0 },
    { "limits", "max_connections", CFG_INT, 1, 65536, NULL, "256", 0 },
    { "limits", "max_unauthenticated", CFG_INT, 1, 65536, NULL, "64", 0 },
    { "limits", "max_unauthenticated_per_address", CFG_INT, 1, 65536, NULL, "8", 0 },
    { "limits", "max_connections_per_user", CFG_INT, 1, 65536, NULL, "16", 0 },
};
const size_t agent_config_schema_len = sizeof agent_config_schema / sizeof agent_config_schema[0];

bool
agent_parse_listen(const char *text, struct agent_listen *out, char *why, size_t whylen)
{
    char host[64];
    const char *port_text = NULL;
    size_t hostlen;
    long port = AGENT_DEFAULT_PORT;

    memset(out, 0, sizeof *out);
    snprintf(out->text, sizeof out->text, "%s", text);
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (close == NULL) {
            snprintf(why, whylen, "'%s': an IPv6 address in brackets lacks its ']'", text);
            return false;
        }
        hostlen = (size_t)(close - text - 1);
        if (hostlen >= sizeof host) {
            snprintf(why, whylen, "'%s': the address is too long", text);
            return false;
        }
        memcpy(host, text + 1, hostlen);
        host[hostlen] = '\0';
        if (close[1] == ':')
            port_text = close + 2;
        else if (close[1] != '\0') {
            snprintf(why, whylen, "'%s': write [ADDRESS]:PORT", text);
            return false;
        }
    } else {
        const char *colon = strchr(text, ':');
        if (colon != NULL && strchr(colon + 1, ':') != NULL) {
            snprintf(why, whylen, "'%s': put an IPv6 address in brackets: [%s]:6600", text, text);
            return false;
        }
        hostlen = colon ? (size_t)(colon - text) : strlen(text);
        if (hostlen >= sizeof host) {
            snprintf(why, whylen, "'%s': the address is too long", text);
            return false;
        }
        memcpy(host, text, hostlen);
        host[hostlen] = '\0';
        if (colon)
            port_text = colon + 1;
    }
    if (port_text != NULL) {
        char *end;
        port = strtol(port_text, &end, 10);
        if (*port_text == '\0' || *end != '\0' || port < 1 || port > 65535) {
            snprintf(why, whylen, "'%s': the port must be a number from 1 to 65535", text);
            return false;
        }
    }
    if (strcmp(host, "*") == 0 || host[0] == '\0')
        snprintf(host, sizeof host, "0.0.0.0");
    struct sockaddr_in *sin = (struct sockaddr_in *)&out->addr;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->addr;
    if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        out->addrlen = sizeof *sin;
    } else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        out->addrlen = sizeof *sin6;
    } else {
        snprintf(why, whylen, "'%s': '%s' is not an IP address (host names are not accepted, so "
                 "that the daemon never listens on an address DNS chose)", text, host);
        return false;
    }
    return true;
}

static void
diag_printf(struct cfg_diag *diag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
diag_printf(struct cfg_diag *diag, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    char **grown;

    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    grown = realloc(diag->lines, (diag->n + 1) * sizeof *grown);
    if (grown == NULL)
        return;
    diag->lines = grown;
    if ((diag->lines[diag->n] = strdup(line)) != NULL)
        diag->n++;
}

static bool
valid_host_name(const char *h)
{
    size_t n = strlen(h);
    if (n == 0 || n > 253 || h[0] == '.' || h[0] == '-')
        return false;
    for (const char *c = h; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '.' && *c != '-')
            return false;
    return true;
}

static struct agent_config *
from_cfg(struct cfg *cfg, const char *name, struct cfg_diag *diag)
{
    struct agent_config *c = calloc(1, sizeof *c);
    char *const *listen;
    size_t nlisten;
    size_t before = diag->n;
    enum vs_log_level level = VS_LOG_INFO;

    if (c == NULL) {
        diag_printf(diag, "%s: out of memory", name);
        cfg_free(cfg);
        return NULL;
    }
    c->cfg = cfg;
    c->path = name;
    listen = cfg_names(cfg, "agent", "listen", &nlisten);
    for (size_t i = 0; i < nlisten; i++) {
        char why[256];
        if (!agent_parse_listen(listen[i], &c->listen[c->nlisten], why, sizeof why))
            diag_printf(diag, "%s:%u: listen: %s", name, cfg_line_of(cfg, "agent", "listen"), why);
        else
            c->nlisten++;
    }
    c->socket_path = cfg_string(cfg, "agent", "socket");
    c->runtime_dir = cfg_string(cfg, "agent", "runtime_dir");
    c->state_dir = cfg_string(cfg, "agent", "state_dir");
    c->audit_log = cfg_string(cfg, "agent", "audit_log");
    c->libvirt_uri = cfg_string(cfg, "agent", "libvirt_uri");
    c->disk_tool = cfg_string(cfg, "agent", "disk_tool");
    c->share_tool = cfg_string(cfg, "agent", "share_tool");
    vs_log_level_parse(cfg_enum(cfg, "agent", "log_level"), &level);
    c->log_level = level;
    c->auth = strcmp(cfg_enum(cfg, "auth", "mode"), "local") == 0 ? AGENT_AUTH_LOCAL
                                                                 : AGENT_AUTH_KERBEROS;
    c->keytab = cfg_string(cfg, "auth", "keytab");
    c->spn = cfg_is_set(cfg, "auth", "spn") ? cfg_string(cfg, "auth", "spn") : NULL;
    c->allowed_users = cfg_names(cfg, "auth", "allowed_users", &c->nallowed_users);
    c->allowed_groups = cfg_names(cfg, "auth", "allowed_groups", &c->nallowed_groups);
    c->peers = cfg_names(cfg, "auth", "peers", &c->npeers);
    c->local_group = cfg_is_set(cfg, "auth", "local_group") ? cfg_string(cfg, "auth", "local_group")
                                                            : NULL;
    c->ldap_uri = cfg_is_set(cfg, "auth", "ldap_uri") ? cfg_string(cfg, "auth", "ldap_uri") : NULL;
    c->incoming = cfg_bool(cfg, "migration", "incoming");
    c->outgoing = cfg_bool(cfg, "migration", "outgoing");
    c->max_simultaneous = (int)cfg_int(cfg, "migration", "max_simultaneous");
    c->peer_port = (int)cfg_int(cfg, "migration", "peer_port");
    c->networks = cfg_cidrs(cfg, "migration", "networks", &c->nnetworks);
    c->allowed_subnets = cfg_cidrs(cfg, "migration", "allowed_subnets", &c->nallowed_subnets);
    c->allowed_sources = cfg_cidrs(cfg, "migration", "allowed_sources", &c->nallowed_sources);
    c->confidentiality = cfg_bool(cfg, "migration", "confidentiality");
    c->shares = cfg_names(cfg, "storage", "shares", &c->nshares);
    c->nbdkit = cfg_string(cfg, "storage", "nbdkit");
    c->export_plugin = cfg_string(cfg, "storage", "export_plugin");
    c->export_threads = (int)cfg_int(cfg, "storage", "export_threads");
    c->handshake_timeout_ms = cfg_duration_ms(cfg, "limits", "handshake_timeout");
    c->idle_timeout_ms = cfg_duration_ms(cfg, "limits", "idle_timeout");
    c->request_timeout_ms = cfg_duration_ms(cfg, "limits", "request_timeout");
    c->move_timeout_ms = cfg_duration_ms(cfg, "migration", "move_timeout");
    c->handoff_timeout_ms = cfg_duration_ms(cfg, "migration", "handoff_timeout");
    c->queue_timeout_ms = cfg_duration_ms(cfg, "migration", "queue_timeout");
    c->bandwidth_mib = (int)cfg_int(cfg, "migration", "bandwidth");
    c->max_downtime_ms = cfg_duration_ms(cfg, "migration", "max_downtime");
    c->blackout_cancel = strcmp(cfg_enum(cfg, "migration", "blackout_policy"), "cancel") == 0;
    c->converge_timeout_ms = cfg_duration_ms(cfg, "migration", "converge_timeout");
    c->compress = cfg_bool(cfg, "migration", "compress");
    c->libvirt_socket = cfg_string(cfg, "migration", "libvirt_socket");
    c->max_connections = (int)cfg_int(cfg, "limits", "max_connections");
    c->max_unauthenticated = (int)cfg_int(cfg, "limits", "max_unauthenticated");
    c->max_unauthenticated_per_address =
        (int)cfg_int(cfg, "limits", "max_unauthenticated_per_address");
    c->max_connections_per_user = (int)cfg_int(cfg, "limits", "max_connections_per_user");

    /* across keys */
    if (c->socket_path[0] != '/')
        diag_printf(diag, "%s:%u: socket: '%s' must be an absolute path", name,
                    cfg_line_of(cfg, "agent", "socket"), c->socket_path);
    if (c->runtime_dir[0] != '/' || c->state_dir[0] != '/')
        diag_printf(diag, "%s: runtime_dir and state_dir must be absolute paths", name);
    if (c->auth == AGENT_AUTH_KERBEROS && c->keytab[0] != '/')
        diag_printf(diag, "%s:%u: keytab: '%s' must be an absolute path", name,
                    cfg_line_of(cfg, "auth", "keytab"), c->keytab);
    if (c->auth == AGENT_AUTH_LOCAL && cfg_is_set(cfg, "agent", "listen") && nlisten > 0)
        diag_printf(diag, "%s:%u: listen: with mode = local the daemon serves only its unix "
                    "socket; remove listen, or use mode = kerberos", name,
                    cfg_line_of(cfg, "agent", "listen"));
    if (c->auth == AGENT_AUTH_LOCAL)
        c->nlisten = 0;
    for (size_t i = 0; i < c->npeers; i++)
        if (!valid_host_name(c->peers[i]))
            diag_printf(diag, "%s:%u: peers: '%s' is not a host name (write the peer's FQDN, "
                        "e.g. hostb.example.com)", name, cfg_line_of(cfg, "auth", "peers"),
                        c->peers[i]);
    for (size_t i = 0; i < c->nshares; i++) {
        const char *sh = c->shares[i], *slash = strncmp(sh, "//", 2) == 0 ? strchr(sh + 2, '/') : NULL;
        if (slash == NULL || slash == sh + 2 || slash[1] == '\0' || strchr(slash + 1, '/') ||
            !valid_host_name(strndupa(sh + 2, (size_t)(slash - sh - 2))))
            diag_printf(diag, "%s:%u: shares: '%s' is not //SERVER/SHARE (the file server's FQDN "
                        "and the share's name, e.g. //fs.example.com/vms)", name,
                        cfg_line_of(cfg, "storage", "shares"), sh);
    }
    if (c->max_unauthenticated_per_address > c->max_unauthenticated)
        diag_printf(diag, "%s: max_unauthenticated_per_address (%d) is larger than "
                    "max_unauthenticated (%d)", name, c->max_unauthenticated_per_address,
                    c->max_unauthenticated);
    if (diag->n > before) {
        agent_config_free(c);
        return NULL;
    }
    return c;
}

struct agent_config *
agent_config_load(const char *path, struct cfg_diag *diag)
{
    struct cfg *cfg = cfg_parse_file(path, agent_config_schema, agent_config_schema_len, diag);
    return cfg ? from_cfg(cfg, path, diag) : NULL;
}

struct agent_config *
agent_config_load_buffer(const char *name, const char *text, struct cfg_diag *diag)
{
    struct cfg *cfg = cfg_parse_buffer(name, text, strlen(text), agent_config_schema,
                                       agent_config_schema_len, diag);
    return cfg ? from_cfg(cfg, name, diag) : NULL;
}

void
agent_config_free(struct agent_config *c)
{
    if (c == NULL)
        return;
    cfg_free(c->cfg);
    free(c);
}

bool
agent_config_is_peer(const struct agent_config *c, const char *host)
{
    for (size_t i = 0; i < c->npeers; i++)
        if (vs_host_same(c->peers[i], host))
            return true;
    return false;
}
