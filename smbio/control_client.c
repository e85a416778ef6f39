/* SPDX-License-Identifier: GPL-3.0-or-later */
/* smbio/control_client.c: one exchange with a disk export's control socket. */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/json.h"
#include "smbio/control_client.h"

static long long
mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum smbio_line_result
smbio_line_call(const char *path, const char *line, long long timeout_ms, char *reply,
                size_t replylen, char *why, size_t whylen)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    size_t used = 0, n = strlen(line);
    long long deadline = mono_ms() + timeout_ms;
    int fd;

    reply[0] = '\0';
    if (strlen(path) >= sizeof sun.sun_path) {
        snprintf(why, whylen, "the socket path %s is too long for a unix socket", path);
        return SMBIO_LINE_UNREACHABLE;
    }
    memcpy(sun.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
        snprintf(why, whylen, "cannot reach %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return SMBIO_LINE_UNREACHABLE;
    }
    if (send(fd, line, n, MSG_NOSIGNAL) != (ssize_t)n) {
        snprintf(why, whylen, "cannot talk to %s: %s", path, strerror(errno));
        close(fd);
        return SMBIO_LINE_NO_ANSWER;
    }
    while (used < replylen - 1 && memchr(reply, '\n', used) == NULL) {
        long long left = deadline - mono_ms();
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
            snprintf(why, whylen, "%s did not answer within %lld ms", path, timeout_ms);
            close(fd);
            return SMBIO_LINE_NO_ANSWER;
        }
        ssize_t got = read(fd, reply + used, replylen - 1 - used);
        if (got <= 0)
            break;
        used += (size_t)got;
        reply[used] = '\0';
    }
    close(fd);
    reply[used] = '\0';
    return SMBIO_LINE_ANSWERED;
}

bool
smbio_control_call(const char *control, const char *command, long long timeout_ms, bool *busy,
                   char *why, size_t whylen)
{
    char reply[4096], ok[8] = "", code[32] = "", line[32], how[512];

    if (busy)
        *busy = false;
    snprintf(line, sizeof line, "%s\n", command);
    if (smbio_line_call(control, line, timeout_ms, reply, sizeof reply, how, sizeof how) !=
        SMBIO_LINE_ANSWERED) {
        snprintf(why, whylen, "the disk export at %s: %s (is the export running? it is started "
                 "with the VM; is the file server reachable?)", control, how);
        return false;
    }
    if (json_field(reply, "ok", ok, sizeof ok) && strcmp(ok, "true") == 0)
        return true;
    if (busy && json_field(reply, "code", code, sizeof code) && strcmp(code, "busy") == 0)
        *busy = true;
    if (json_field(reply, "error", why, whylen) == NULL)
        snprintf(why, whylen, "the disk export at %s gave no answer to '%s'", control, command);
    return false;
}
