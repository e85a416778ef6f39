/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer: a domain definition as a peer sends it in a check-destination
 * request (hostagent/domxml.c). Whatever parses must have bounded, clean
 * fields. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <libxml/parser.h>

#include "hostagent/domxml.h"

static void
silent(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct domxml_info info;
    struct vs_error err;

    xmlSetGenericErrorFunc(NULL, silent);
    if (domxml_parse((const char *)data, size, &info, &err)) {
        if (info.ndisks > DOMXML_MAX_ITEMS || info.nnics > DOMXML_MAX_ITEMS ||
            strlen(info.name) >= sizeof info.name)
            __builtin_trap();
        for (size_t i = 0; i < info.ndisks; i++)
            if (strlen(info.disks[i].url) >= sizeof info.disks[i].url)
                __builtin_trap();
    }
    domxml_free(&info);
    return 0;
}
