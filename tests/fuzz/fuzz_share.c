/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer: what a file server sends back to vsmigrate-share: a share
 * root's security descriptor as libsmbclient's text (fileserver-hooks/acl.c)
 * and an SMB2 NEGOTIATE response (fileserver-hooks/negotiate.c). The first
 * byte picks the parser. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fileserver-hooks/acl.h"
#include "fileserver-hooks/negotiate.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vs_error err;

    if (size < 1)
        return 0;
    if (data[0] & 1) {
        struct negotiate_info info;
        if (negotiate_response_parse(data + 1, size - 1, &info, &err) && info.dialect == 0)
            abort();
        return 0;
    }
    /* NUL-terminated copy, as libsmbclient hands it over */
    char *text = malloc(size);
    struct acl_list l;
    if (text == NULL)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    if (acl_parse(text, size - 1, &l, &err)) {
        struct acl_want w = { .flags = ACE_FLAG_OI | ACE_FLAG_CI, .mask = ACL_MASK_CHANGE };
        struct acl_plan p;
        char *dacl;
        strcpy(w.sid, "S-1-5-21-1-2-3-1107");
        acl_attach_names(&l, text, size - 1);
        for (size_t i = 0; i < l.n; i++)
            if (!acl_sid_valid(l.aces[i].sid) || strlen(l.aces[i].name) >= ACL_NAME_MAX)
                abort();
        (void)acl_grants(&l, &w);
        if (acl_plan_make(&l, &w, 1, (data[0] & 2) != 0, &p, &err)) {
            if (p.result.n > l.n + 1)
                abort();
            dacl = acl_format_dacl(&p.result);
            free(dacl);
            acl_plan_free(&p);
        }
        acl_list_free(&l);
    }
    free(text);
    return 0;
}
