/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/handoff_line.c: the lock plugin's one-line hand-off request
 * (handoff.h). Pure: unit-tested and fuzzed (tests/fuzz/fuzz_handoff.c). */
#include <config.h>

#include <string.h>

#include "hostagent/handoff.h"

bool
handoff_line_parse(const char *line, size_t len, char *vm, size_t vmlen, struct vs_error *err)
{
    static const char verb[] = "handoff ";
    size_t n;

    if (len > 0 && line[len - 1] == '\n')
        len--;
    if (len > HANDOFF_LINE_MAX || len < sizeof verb || memcmp(line, verb, sizeof verb - 1) != 0) {
        vs_error_set(err, VS_ERR_PROTOCOL, "expected one line \"handoff VM\" of at most %d bytes",
                     HANDOFF_LINE_MAX);
        return false;
    }
    line += sizeof verb - 1;
    n = len - (sizeof verb - 1);
    if (n == 0 || n > 255 || n >= vmlen) {
        vs_error_set(err, VS_ERR_PROTOCOL, "a VM name of 1 to 255 bytes");
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c <= 0x20 || c == 0x7f) {
            vs_error_set(err, VS_ERR_PROTOCOL, "a VM name with a space or control character");
            return false;
        }
    }
    memcpy(vm, line, n);
    vm[n] = '\0';
    return true;
}

