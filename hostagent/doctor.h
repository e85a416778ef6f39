/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hostagent/doctor.h: `vsmigrate doctor`. */
#ifndef VSM_HOSTAGENT_DOCTOR_H
#define VSM_HOSTAGENT_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>

struct doctor_options {
    const char *config;            /* vsmigrated.conf */
    const char *const *peers;      /* --peer, or none: the configured peers */
    size_t npeers;
    const char *share;             /* --share, or NULL: the local VMs' shares */
    bool json;
};

/* Every check, printed; 0 when none failed, 1 otherwise. */
int doctor_run(const struct doctor_options *o);

#endif
