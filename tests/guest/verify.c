/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vsm-guest-verify: check the test guest's disk records.
 *
 * usage: vsm-guest-verify [--json] IMAGE
 *
 * Reports the number of records, gaps (an empty or bad sector before the last
 * record), misplaced records (sequence number not its sector), corrupt
 * sectors, boots (distinct nonces) and the memory errors the guest counted.
 * Exit status: 0 when the records are contiguous from 0, from one boot, with
 * no memory error; 1 when not; 2 when the image cannot be read. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

int
main(int argc, char **argv)
{
    unsigned long long records = 0, gaps = 0, misplaced = 0, corrupt = 0, boots = 0;
    unsigned long long mem_errors = 0, passes = 0, last_seq = 0, first_gap = 0, holes = 0;
    unsigned long long sector_no = 0;
    uint64_t nonces[16];
    int json = 0, have_last = 0;
    uint8_t sector[REC_SIZE];
    const char *path;
    FILE *f;

    if (argc > 1 && strcmp(argv[1], "--json") == 0) {
        json = 1;
        argv++;
        argc--;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: vsm-guest-verify [--json] IMAGE\n");
        return 2;
    }
    path = argv[1];
    f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "vsm-guest-verify: %s: %s\n", path, strerror(errno));
        return 2;
    }
    for (; fread(sector, 1, REC_SIZE, f) == REC_SIZE; sector_no++) {
        struct rec_fields r;
        int kind = rec_decode(sector, &r);

        if (kind == 0) {
            holes++;   /* counted as a gap only if a record follows */
            continue;
        }
        if (holes > 0) {
            if (gaps == 0)
                first_gap = sector_no - holes;
            gaps += holes;
            holes = 0;
        }
        if (kind < 0) {
            corrupt++;
            continue;
        }
        records++;
        if (r.seq != sector_no)
            misplaced++;
        int known = 0;
        for (unsigned long long i = 0; i < boots && i < 16; i++)
            known |= nonces[i] == r.nonce;
        if (!known) {
            if (boots < 16)
                nonces[boots] = r.nonce;
            boots++;
        }
        if (r.mem_errors > mem_errors)
            mem_errors = r.mem_errors;
        if (r.mem_passes > passes)
            passes = r.mem_passes;
        last_seq = r.seq;
        have_last = 1;
    }
    fclose(f);
    int ok = records > 0 && gaps == 0 && misplaced == 0 && corrupt == 0 && boots == 1 &&
             mem_errors == 0;
    if (json)
        printf("{\"records\":%llu,\"last_seq\":%lld,\"gaps\":%llu,\"first_gap\":%lld,"
               "\"misplaced\":%llu,\"corrupt\":%llu,\"boots\":%llu,\"mem_errors\":%llu,"
               "\"mem_passes\":%llu,\"ok\":%s}\n",
               records, have_last ? (long long)last_seq : -1LL, gaps,
               gaps ? (long long)first_gap : -1LL, misplaced, corrupt, boots, mem_errors, passes,
               ok ? "true" : "false");
    else
        printf("records %llu (last %lld), gaps %llu%s, misplaced %llu, corrupt %llu, boots %llu, "
               "memory errors %llu (%llu passes): %s\n",
               records, have_last ? (long long)last_seq : -1LL, gaps,
               gaps ? " (first missing record shown below)" : "", misplaced, corrupt, boots,
               mem_errors, passes, ok ? "OK" : "NOT OK");
    if (!json && gaps)
        printf("first missing record: %llu\n", first_gap);
    return ok ? 0 : 1;
}
