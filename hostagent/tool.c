/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/tool.c: run a local tool, bounded in time and output. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/ccdir.h"
#include "hostagent/tool.h"
#include "hostagent/wire.h"

extern char **environ;

/* NAME=value entries of environ, minus the variables the caller sets, plus env. */
static char **
tool_environment(char *const env[])
{
    static const char *const replaced[] = { "KRB5CCNAME=", "RUNTIME_DIRECTORY=" };
    size_t nenv = 0, nextra = 0, k = 0;
    char **out;

    while (environ[nenv])
        nenv++;
    while (env && env[nextra])
        nextra++;
    out = calloc(nenv + nextra + 1, sizeof *out);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < nenv; i++) {
        bool keep = true;
        for (size_t r = 0; r < sizeof replaced / sizeof replaced[0]; r++)
            keep &= strncmp(environ[i], replaced[r], strlen(replaced[r])) != 0;
        if (keep)
            out[k++] = environ[i];
    }
    for (size_t i = 0; i < nextra; i++)
        out[k++] = env[i];
    return out;
}

/* A tool killed at its time limit (or crashed) cannot remove its private
 * ccache directory, which holds the host's TGT: remove it for the tool, in
 * the RUNTIME_DIRECTORY it was given. */
static void
sweep_tool_ccaches(char *const env[], pid_t pid)
{
    static const char key[] = "RUNTIME_DIRECTORY=";

    for (size_t i = 0; env && env[i]; i++)
        if (strncmp(env[i], key, sizeof key - 1) == 0)
            vs_ccache_dir_sweep(env[i] + sizeof key - 1, pid);
}

int
tool_run(char *const argv[], char *const env[], long long timeout_ms, const char *config_key,
         char *out, size_t outlen, char *why, size_t whylen)
{
    posix_spawn_file_actions_t fa;
    int pipefd[2], status = 0, rc;
    pid_t pid;
    size_t used = 0;
    char **envp;
    long long deadline = wire_now_ms() + timeout_ms;

    out[0] = '\0';
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        snprintf(why, whylen, "cannot run %s: pipe: %s (out of file descriptors: raise "
                 "vsmigrated's LimitNOFILE)", argv[0], strerror(errno));
        return -1;
    }
    envp = tool_environment(env);
    if (envp == NULL) {
        close(pipefd[0]);
        close(pipefd[1]);
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    free(envp);
    close(pipefd[1]);
    if (rc != 0) {
        close(pipefd[0]);
        snprintf(why, whylen, "cannot run %s: %s (set %s in [agent] to where it is installed)",
                 argv[0], strerror(rc), config_key);
        return -1;
    }
    for (;;) {
        long long left = deadline - wire_now_ms();
        struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
        if (left <= 0 || poll(&p, 1, (int)left) == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            sweep_tool_ccaches(env, pid);
            close(pipefd[0]);
            snprintf(why, whylen, "%s did not finish within %lld s (is the file server "
                     "reachable?)", argv[0], timeout_ms / 1000);
            return -1;
        }
        ssize_t n = read(pipefd[0], out + used, outlen - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        used += (size_t)n;
        out[used] = '\0';
        if (used == outlen - 1)
            break;
    }
    close(pipefd[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    sweep_tool_ccaches(env, pid);
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    /* callers report why on -1, so a crash must say so too */
    snprintf(why, whylen, "%s died of signal %d (%s): run it by hand to see why, and report it "
             "if it crashed", argv[0], WTERMSIG(status), strsignal(WTERMSIG(status)));
    return -1;
}
