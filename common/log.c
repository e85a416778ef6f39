/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vsmigrate: logging. One process-wide logger: programs set it up once in main. */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <strings.h>
#include <time.h>

#include "log.h"

static const char *log_ident = "vsmigrate";
static enum vs_log_level log_level = VS_LOG_INFO;
static bool log_syslog;
static bool log_timestamps;

static const char *const level_names[] = { "error", "warning", "info", "debug" };
static const int level_syslog[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void
vs_log_init(const char *ident, enum vs_log_level level, bool use_syslog)
{
    log_ident = ident;
    log_level = level;
    log_syslog = use_syslog;
    if (use_syslog)
        openlog(ident, LOG_PID, LOG_DAEMON);
}

void
vs_log_set_level(enum vs_log_level level)
{
    log_level = level;
}

void
vs_log_set_timestamps(bool on)
{
    log_timestamps = on;
}

enum vs_log_level
vs_log_get_level(void)
{
    return log_level;
}

bool
vs_log_level_parse(const char *name, enum vs_log_level *out)
{
    for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++) {
        if (strcasecmp(name, level_names[i]) == 0) {
            *out = (enum vs_log_level)i;
            return true;
        }
    }
    return false;
}

const char *
vs_log_level_name(enum vs_log_level level)
{
    if ((unsigned)level >= sizeof level_names / sizeof level_names[0])
        return "unknown";
    return level_names[level];
}

void
vs_log(enum vs_log_level level, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;

    if (level > log_level)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (log_timestamps) {
        struct timespec now;
        struct tm tm;
        char when[32] = "";
        clock_gettime(CLOCK_REALTIME, &now);
        if (gmtime_r(&now.tv_sec, &tm))
            strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
        /* one fprintf: lines of two threads never interleave */
        fprintf(stderr, "%s.%03ldZ %s: %s: %s\n", when, now.tv_nsec / 1000000L, log_ident,
                level_names[level], msg);
    } else {
        fprintf(stderr, "%s: %s: %s\n", log_ident, level_names[level], msg);
    }
    if (log_syslog)
        syslog(level_syslog[level], "%s", msg);
}
