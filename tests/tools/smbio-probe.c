/* SPDX-License-Identifier: GPL-3.0-or-later */
/* smbio-probe: drives smbio/ against the lab, for the integration tests.
 *
 *   smbio-probe CCACHE URL active|standby OP...
 *     OP: write:OFF:TEXT  read:OFF:LEN  flush  promote  release  size  counters  sleep:MS
 * SMBIO_CONNECTIONS and SMBIO_RECONNECT_MS set the disk's options.
 * Prints one JSON line per step ({"op":..,"ok":..,...}); exits 1 if the open
 * or any step failed. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smbio/disk.h"

static void
jstr(const char *s)
{
    putchar('"');
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", *s);
        else
            putchar(*s);
    }
    putchar('"');
}

static void
report(const char *op, bool ok, const struct vs_error *err, const char *extra)
{
    printf("{\"op\":");
    jstr(op);
    printf(",\"ok\":%s", ok ? "true" : "false");
    if (!ok) {
        printf(",\"code\":\"%s\",\"error\":", vs_errcode_name(err->code));
        jstr(err->message);
    }
    if (extra)
        printf(",%s", extra);
    printf("}\n");
    fflush(stdout);
}

int
main(int argc, char **argv)
{
    struct smbio_disk *d;
    struct vs_error err;
    int rc = 0;

    if (argc < 4) {
        fprintf(stderr, "usage: smbio-probe CCACHE URL active|standby OP...\n");
        return 2;
    }
    /* one connection unless asked: the steps run in order anyway */
    struct smbio_disk_options opts = {
        .connections = getenv("SMBIO_CONNECTIONS") ? (unsigned)atoi(getenv("SMBIO_CONNECTIONS")) : 1,
        .reconnect_timeout_ms = getenv("SMBIO_RECONNECT_MS") ? (unsigned)atoi(getenv("SMBIO_RECONNECT_MS")) : 0,
    };
    bool ok = smbio_disk_open(argv[2], argv[1], strcmp(argv[3], "active") == 0 ? SMBIO_ACTIVE : SMBIO_STANDBY,
                              &opts, &d, &err);
    report("open", ok, &err, NULL);
    if (!ok)
        return 1;
    for (int i = 4; i < argc; i++) {
        char *op = argv[i], extra[4200] = "";
        bool step_ok = false;

        if (strncmp(op, "write:", 6) == 0) {
            unsigned long long off = strtoull(op + 6, NULL, 10);
            const char *text = strchr(op + 6, ':');
            text = text ? text + 1 : "";
            step_ok = smbio_disk_pwrite(d, text, strlen(text), off, &err);
        } else if (strncmp(op, "read:", 5) == 0) {
            char *colon;
            unsigned long long off = strtoull(op + 5, &colon, 10);
            size_t len = colon && *colon == ':' ? strtoul(colon + 1, NULL, 10) : 0;
            char buf[2048] = "";
            if (len >= sizeof buf)
                len = sizeof buf - 1;
            step_ok = smbio_disk_pread(d, buf, len, off, &err);
            if (step_ok) {
                for (size_t k = 0; k < len; k++)
                    if (buf[k] == '\0' || buf[k] == '"' || buf[k] == '\\' || (unsigned char)buf[k] < 0x20)
                        buf[k] = '.';
                buf[len] = '\0';
                snprintf(extra, sizeof extra, "\"data\":\"%s\"", buf);
            }
        } else if (strcmp(op, "flush") == 0) {
            step_ok = smbio_disk_flush(d, &err);
        } else if (strcmp(op, "promote") == 0) {
            step_ok = smbio_disk_promote(d, &err);
        } else if (strcmp(op, "release") == 0) {
            step_ok = smbio_disk_release(d, &err);
        } else if (strcmp(op, "size") == 0) {
            uint64_t size = 0;
            step_ok = smbio_disk_size(d, &size, &err);
            snprintf(extra, sizeof extra, "\"size\":%llu", (unsigned long long)size);
        } else if (strcmp(op, "counters") == 0) {
            struct smbio_disk_counters c;
            smbio_disk_counters(d, &c);
            snprintf(extra, sizeof extra, "\"reconnects\":%llu,\"writer_lost\":%llu",
                     (unsigned long long)c.reconnects, (unsigned long long)c.writer_lost);
            step_ok = true;
        } else if (strncmp(op, "sleep:", 6) == 0) {
            usleep((useconds_t)atoi(op + 6) * 1000);
            step_ok = true;
        } else {
            vs_error_set(&err, VS_ERR_INVALID, "unknown step '%s'", op);
        }
        if (extra[0] == '\0')
            snprintf(extra, sizeof extra, "\"mode\":\"%s\"", smbio_disk_mode(d) == SMBIO_ACTIVE ? "active" : "standby");
        report(op, step_ok, &err, extra);
        if (!step_ok)
            rc = 1;
    }
    smbio_disk_close(d);
    return rc;
}
