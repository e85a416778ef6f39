/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vsmigrate-doctor: the host-side checks behind `vsmigrate doctor`.
 *
 *   vsmigrate-doctor [--peer H]... [--share //FS/SHARE] [--config FILE] [--json]
 *
 * A program of its own so that the workstation's `vsmigrate` links neither
 * libvirt nor libxml2: the doctor asks the local libvirt and reads the local
 * VMs' definitions, which only a host has. `vsmigrate doctor` runs it. */
#include <config.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/error.h"
#include "hostagent/agentcfg.h"
#include "hostagent/doctor.h"

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "peer", required_argument, NULL, 'P' }, { "share", required_argument, NULL, 'D' },
        { "config", required_argument, NULL, 'C' }, { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    const char *peers[16];
    struct doctor_options d = { .config = AGENT_DEFAULT_CONFIG, .peers = peers };
    int c;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'P':
            if (d.npeers == sizeof peers / sizeof peers[0]) {
                fprintf(stderr, "vsmigrate doctor: at most 16 --peer options\n");
                return VS_EXIT_USAGE;
            }
            peers[d.npeers++] = optarg;
            break;
        case 'D': d.share = optarg; break;
        case 'C': d.config = optarg; break;
        case 'j': d.json = true; break;
        case 'h':
            printf("usage: vsmigrate doctor [--peer H]... [--share //FS/SHARE] [--config FILE] [--json]\n"
                   "see vsmigrate-doctor(8) and vsmigrate(1)\n");
            return VS_EXIT_OK;
        default:
            return VS_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "vsmigrate doctor: unexpected argument '%s'\n", argv[optind]);
        return VS_EXIT_USAGE;
    }
    return doctor_run(&d);
}
