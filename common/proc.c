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
