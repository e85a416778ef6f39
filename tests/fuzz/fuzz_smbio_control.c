/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the disk export's control socket takes a line from any
 * local client, and a disk URL comes from configuration: both parsers must
 * refuse or accept any bytes without a crash or an out-of-bounds read. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smbio/control.h"
#include "smbio/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    enum smbio_command cmd;
    struct smbio_url url;
    struct vs_error err;
    char reply[512];

    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (smbio_control_parse(text, &cmd))
        (void)smbio_command_name(cmd);
    (void)smbio_url_parse(text, &url, &err);
    smbio_control_reply_error(reply, sizeof reply, text);
    free(text);
    return 0;
}
