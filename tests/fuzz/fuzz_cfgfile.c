/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the config-file parser must reject or accept any bytes
 * without crashing, leaking or reading out of bounds. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/cfgfile.h"

/* One key of every type, so every value parser is reachable. */
static const struct cfg_key schema[] = {
    { "agent", "name", CFG_STRING, 0, 64, NULL, "x", 0 },
    { "agent", "port", CFG_INT, 1, 65535, NULL, "6600", 0 },
    { "agent", "incoming", CFG_BOOL, 0, 0, NULL, "no", 0 },
    { "agent", "auth", CFG_ENUM, 0, 0, "kerberos|local", "kerberos", 0 },
    { "agent", "idle", CFG_DURATION, 0, 86400000, NULL, "5m", 0 },
    { "agent", "buffer", CFG_SIZE, 0, 1LL << 40, NULL, "1MiB", 0 },
    { "agent", "networks", CFG_CIDRS, 0, 16, NULL, "10.0.0.0/8", 0 },
    { "auth", "users", CFG_PRINCIPALS, 0, 0, NULL, NULL, 0 },
    { "auth", "groups", CFG_NAMES, 0, 0, NULL, NULL, 0 },
    { "auth", "keytab", CFG_STRING, 0, 0, NULL, NULL, CFG_REQUIRED },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cfg_diag diag = { 0 };
    struct cfg *cfg = cfg_parse_buffer("fuzz.conf", (const char *)data, size, schema,
                                       sizeof schema / sizeof schema[0], &diag);

    if (cfg != NULL) {
        struct sockaddr_storage ss = { .ss_family = AF_INET };
        const struct cfg_cidr *nets;
        size_t n;

        nets = cfg_cidrs(cfg, "agent", "networks", &n);
        (void)cfg_cidr_contains(nets, n, (struct sockaddr *)&ss);
        (void)cfg_names(cfg, "auth", "groups", &n);
        (void)cfg_string(cfg, "agent", "name");
        cfg_free(cfg);
    }
    cfg_diag_free(&diag);
    return 0;
}
