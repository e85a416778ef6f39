/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vsmigrate: logging to stderr and/or syslog.
 *
 * Never pass a secret, key, ticket or GSSAPI token to these functions: logs are
 * read by people who must not be able to replay what they see. */
#ifndef VSM_COMMON_LOG_H
#define VSM_COMMON_LOG_H

#include <stdbool.h>

enum vs_log_level {
    VS_LOG_ERROR = 0,
    VS_LOG_WARNING,
    VS_LOG_INFO,
    VS_LOG_DEBUG,
};

/* ident names the program in syslog; use_syslog adds syslog to stderr. */
void vs_log_init(const char *ident, enum vs_log_level level, bool use_syslog);
void vs_log_set_level(enum vs_log_level level);
enum vs_log_level vs_log_get_level(void);
/* Each stderr line begins with the UTC time to the millisecond, for a
 * daemon whose stderr is a plain file; not for one under systemd (the
 * journal stamps its lines) nor for a command's messages to a person. */
void vs_log_set_timestamps(bool on);

/* "error", "warning", "info", "debug" */
bool vs_log_level_parse(const char *name, enum vs_log_level *out);
const char *vs_log_level_name(enum vs_log_level level);

void vs_log(enum vs_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define vs_error(...) vs_log(VS_LOG_ERROR, __VA_ARGS__)
#define vs_warn(...)  vs_log(VS_LOG_WARNING, __VA_ARGS__)
#define vs_info(...)  vs_log(VS_LOG_INFO, __VA_ARGS__)
#define vs_debug(...) vs_log(VS_LOG_DEBUG, __VA_ARGS__)

#endif
