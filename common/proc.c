/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <config.h>

#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool
vs_process_running(pid_t pid)
{
    char path[64], stat[512];
    ssize_t n;
    int fd;

    if (pid <= 0 || (kill(pid, 0) != 0 && errno != EPERM))
        return false;
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return errno != ENOENT;   /* no /proc here: kill's word stands */
    n = read(fd, stat, sizeof stat - 1);
    close(fd);
    if (n <= 0)
        return false;   /* it went between kill and read */
    stat[n] = '\0';
    /* "PID (COMM) STATE ...": COMM may hold anything, ')' too: the last one */
    const char *end = strrchr(stat, ')');
    if (end == NULL || end[1] != ' ')
        return true;
    return end[2] != 'Z' && end[2] != 'X';
}

bool
vs_process_has_arg(pid_t pid, const char *arg)
{
    char path[64], cmdline[8192];
    size_t len = 0, want = strlen(arg);
    ssize_t n;
    int fd;

    if (pid <= 0 || want == 0)
        return false;
    snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return false;
    /* the kernel hands cmdline out a page at a time: read to the end or the bound */
    while (len < sizeof cmdline - 1 &&
           ((n = read(fd, cmdline + len, sizeof cmdline - 1 - len)) > 0 || (n < 0 && errno == EINTR)))
        if (n > 0)
            len += (size_t)n;
    close(fd);
    cmdline[len] = '\0';
    /* NUL-separated arguments; one cut by the bound does not match whole */
    for (size_t at = 0; at < len; at += strlen(cmdline + at) + 1)
        if (strlen(cmdline + at) == want && memcmp(cmdline + at, arg, want) == 0 &&
            at + want < len)
            return true;
    return false;
}
