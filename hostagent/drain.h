/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/drain.h: `vsmigrate drain`, every running VM off one host (see
 * drain.c). */
#ifndef VSM_HOSTAGENT_DRAIN_H
#define VSM_HOSTAGENT_DRAIN_H

#include <stdbool.h>

struct drain_options {
    const char *host;   /* the host to empty, over TCP as the admin; NULL: this host, as root */
    const char *to;     /* "H1,H2": where to; NULL: the host's configured peers */
    int within_s;       /* > 0: moves still running after this long are cancelled */
    bool json;
};

/* Drain, report per VM on stdout; the exit status (1 if any VM stayed). */
int drain_run(const struct drain_options *o);

#endif
