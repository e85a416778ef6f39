/* SPDX-License-Identifier: GPL-3.0-or-later */
/* common/testhook.c: the fault tests' hooks (testhook.h); empty unless
 * configured with --enable-test-hooks. */
#include <config.h>

#include "testhook.h"

#ifdef VSM_TEST_HOOKS
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define PAUSE_MAX_S 600

bool
vsm_test_hook_armed(const char *runtime_dir, const char *name)
{
    char path[600];

    snprintf(path, sizeof path, "%s/test-hooks/fail-%s", runtime_dir, name);
    return access(path, F_OK) == 0;
}

bool
vsm_test_hook_waiting(const char *runtime_dir, const char *phase)
{
    char pause[600];

    snprintf(pause, sizeof pause, "%s/test-hooks/pause-%s", runtime_dir, phase);
    return access(pause, F_OK) == 0;
}

bool
vsm_test_hook_holding(const char *runtime_dir, const char *phase)
{
    char reached[600];

    if (!vsm_test_hook_waiting(runtime_dir, phase))
        return false;
    snprintf(reached, sizeof reached, "%s/test-hooks/reached-%s", runtime_dir, phase);
    int fd = open(reached, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
        dprintf(fd, "%ld\n", (long)getpid());
        close(fd);
    }
    return true;
}

void
vsm_test_hook_pause(const char *runtime_dir, const char *phase)
{
    struct timespec tick = { 0, 50 * 1000 * 1000 };

    for (int i = 0; i < PAUSE_MAX_S * 20 && vsm_test_hook_holding(runtime_dir, phase); i++)
        nanosleep(&tick, NULL);
}
#endif
