/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the hand-off line the lock plugin sends to the agent
 * (any root process can connect): the parser must accept or refuse any
 * bytes without a crash or an out-of-bounds read, and what it accepts must
 * be a name it bounded. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hostagent/handoff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = malloc(size ? size : 1), vm[256];
    struct vs_error err;

    if (line == NULL)
        return 0;
    memcpy(line, data, size);   /* not NUL-terminated: the parser takes a length */
    if (handoff_line_parse(line, size, vm, sizeof vm, &err)) {
        size_t n = strlen(vm);
        if (n == 0 || n > 255)
            abort();
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)vm[i] <= 0x20 || vm[i] == 0x7f)
                abort();
    }
    free(line);
    return 0;
}
