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
    char message[VS_ERROR_MESSAGE_MAX * 2] = "\"\"";

    if (!ok && err)
        json_quote(message, sizeof message, err->message);
    if (snprintf(buf, len,
                 "{\"ok\":%s%s%s%s%s,\"mode\":\"%s\",\"reads\":%llu,\"writes\":%llu,"
                 "\"flushes\":%llu,\"bytes_read\":%llu,\"bytes_written\":%llu,\"errors\":%llu,"
                 "\"connections\":%llu,\"io\":\"%s\",\"max_in_flight\":%llu,\"readahead_hits\":%llu,"
                 "\"reconnects\":%llu,\"writer_lost\":%llu,"
                 "\"ticket_renewals\":%llu,\"ticket_expires\":%lld}\n",
                 ok ? "true" : "false",
                 ok ? "" : ",\"code\":\"", ok ? "" : vs_errcode_name(err ? err->code : VS_ERR_INTERNAL),
                 ok ? "" : "\",\"error\":", ok ? "" : message,
                 mode == SMBIO_ACTIVE ? "active" : "standby",
                 (unsigned long long)st->reads, (unsigned long long)st->writes,
                 (unsigned long long)st->flushes, (unsigned long long)st->bytes_read,
                 (unsigned long long)st->bytes_written, (unsigned long long)st->errors,
                 (unsigned long long)st->connections, st->pipelined ? "pipelined" : "serial",
                 (unsigned long long)st->max_in_flight, (unsigned long long)st->readahead_hits,
                 (unsigned long long)st->reconnects,
                 (unsigned long long)st->writer_lost, (unsigned long long)st->ticket_renewals,
                 (long long)st->ticket_expires) >= (int)len)
        smbio_control_reply_error(buf, len, "reply too long");
}

void
smbio_control_reply_error(char *buf, size_t len, const char *message)
{
    char quoted[512];

    json_quote(quoted, sizeof quoted, message);
    snprintf(buf, len, "{\"ok\":false,\"code\":\"invalid\",\"error\":%s}\n", quoted);
}
