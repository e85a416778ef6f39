/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vsmigrate: comparing host names, the one way every part does it.
 *
 * Hosts are named by FQDN (hosta.lab.test) or, on a command line, by their
 * short name (hosta). Two names are the same host when they are equal, case
 * aside, or when exactly one is a short name equal to the other's first
 * label. So hosta matches hosta.lab.test, but hostab, hosta.evil.example
 * against hosta.lab.test, and a prefix of a label never do. Pure. */
#ifndef VSM_COMMON_HOSTNAME_H
#define VSM_COMMON_HOSTNAME_H

#include <stdbool.h>
#include <stddef.h>

bool vs_host_same(const char *a, const char *b);

/* Is label (n bytes, no dot) the first label of fqdn, case aside? For a
 * machine account HOSTA$ against the peer hosta.lab.test. */
bool vs_host_label_is(const char *fqdn, const char *label, size_t n);

#endif
