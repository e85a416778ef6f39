/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the PAC decoders take what the network sent (through a
 * KDC-signed ticket, but still bytes from elsewhere). Any input: decoded or
 * refused, never a crash, a leak or an out-of-bounds read. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>

#include "krb/krb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct krb_pac_info info;
    struct vs_error err;
    char **services;
    size_t n;

    if (krb_pac_decode_logon_info(data, size, &info, &err)) {
        (void)krb_pac_has_group(&info, "S-1-5-32-544");
        krb_pac_info_free(&info);
    }
    if (krb_pac_decode_delegation(data, size, &services, &n, &err))
        krb_strv_free(services, n);
    return 0;
}
