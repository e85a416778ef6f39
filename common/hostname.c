/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vsmigrate: comparing host names (see hostname.h). */
#include <config.h>

#include <string.h>
#include <strings.h>

#include "hostname.h"

bool
vs_host_label_is(const char *fqdn, const char *label, size_t n)
{
    return n > 0 && strcspn(fqdn, ".") == n && strncasecmp(fqdn, label, n) == 0;
}

bool
vs_host_same(const char *a, const char *b)
{
    bool a_short = strchr(a, '.') == NULL, b_short = strchr(b, '.') == NULL;

    if (a[0] == '\0' || b[0] == '\0')
        return false;
    if (strcasecmp(a, b) == 0)
        return true;
    /* a short name on one side only: it must be the other's whole first label */
    if (a_short != b_short)
        return a_short ? vs_host_label_is(b, a, strlen(a)) : vs_host_label_is(a, b, strlen(b));
    return false;
}
