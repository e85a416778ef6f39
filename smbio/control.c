/* SPDX-License-Identifier: GPL-3.0-or-later */
/* smbio/control.c: the disk export's control protocol, as pure code. */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "smbio/control.h"

static const char *const names[] = { "status", "release", "promote" };

bool
smbio_control_parse(const char *line, enum smbio_command *cmd)
{
    size_t len = strnlen(line, SMBIO_CONTROL_LINE_MAX + 1);

    if (len > SMBIO_CONTROL_LINE_MAX)
        return false;
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (len == strlen(names[i]) && memcmp(line, names[i], len) == 0) {
            *cmd = (enum smbio_command)i;
            return true;
        }
    }
    return false;
}

const char *
smbio_command_name(enum smbio_command cmd)
{
    return (unsigned)cmd < sizeof names / sizeof names[0] ? names[cmd] : "unknown";
}

void
smbio_control_reply(char *buf, size_t len, bool ok, const struct vs_error *err,
                    enum smbio_mode mode, const struct smbio_stats *st)
{
    json_t *j = json_pack("{s:b}", "ok", ok);

    if (!ok) {
        json_object_set_new(j, "code", json_string(vs_errcode_name(err ? err->code : VS_ERR_INTERNAL)));
        /* jansson refuses text that is not UTF-8: still say something */
        json_t *msg = json_string(err ? err->message : "");
        json_object_set_new(j, "error", msg ? msg : json_string("(an error whose text is not UTF-8)"));
    }
    json_t *rest = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:I,s:I,s:I,s:I,s:I,s:I}",
                             "mode", mode == SMBIO_ACTIVE ? "active" : "standby",
                             "reads", (json_int_t)st->reads, "writes", (json_int_t)st->writes,
                             "flushes", (json_int_t)st->flushes,
                             "bytes_read", (json_int_t)st->bytes_read,
                             "bytes_written", (json_int_t)st->bytes_written,
                             "errors", (json_int_t)st->errors,
                             "connections", (json_int_t)st->connections,
                             "io", st->pipelined ? "pipelined" : "serial",
                             "max_in_flight", (json_int_t)st->max_in_flight,
                             "readahead_hits", (json_int_t)st->readahead_hits,
                             "reconnects", (json_int_t)st->reconnects,
                             "writer_lost", (json_int_t)st->writer_lost,
                             "ticket_renewals", (json_int_t)st->ticket_renewals,
                             "ticket_expires", (json_int_t)st->ticket_expires);
    json_object_update(j, rest);
    json_decref(rest);
    if (!json_format_line(j, buf, len > 1 ? len - 1 : 0)) {
        smbio_control_reply_error(buf, len, "reply too long");
        return;
    }
    strcat(buf, "\n");
}

void
smbio_control_reply_error(char *buf, size_t len, const char *message)
{
    if (json_format_line(json_pack("{s:b,s:s,s:s}", "ok", 0, "code", "invalid", "error", message),
                         buf, len > 1 ? len - 1 : 0))
        strcat(buf, "\n");
    else
        snprintf(buf, len, "{\"ok\":false,\"code\":\"invalid\"}\n");
}
