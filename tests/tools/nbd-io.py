#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""nbd-io: one NBD request, for the tests.

    nbd-io.py URI write OFFSET TEXT [DELAY]   exit 0 when written; DELAY s
                                              after connecting, as a guest would
    nbd-io.py URI read OFFSET LENGTH    prints the bytes read
    nbd-io.py URI zero|trim OFFSET LENGTH
Errors go to stderr as libnbd words them; exit 1.
"""
import sys
import time
import nbd

uri, op, off = sys.argv[1], sys.argv[2], int(sys.argv[3])
h = nbd.NBD()
try:
    h.connect_uri(uri)
    if op == "write":
        if len(sys.argv) > 5:
            time.sleep(float(sys.argv[5]))
        h.pwrite(sys.argv[4].encode(), off)
    elif op == "read":
        sys.stdout.write(h.pread(int(sys.argv[4]), off).decode(errors="replace"))
    elif op == "zero":
        h.zero(int(sys.argv[4]), off)
    elif op == "trim":
        h.trim(int(sys.argv[4]), off)
    elif op == "can":
        print(f"zero={h.can_zero()} trim={h.can_trim()} fua={h.can_fua()} flush={h.can_flush()}")
    else:
        sys.exit(f"nbd-io: unknown operation {op}")
    h.shutdown()
except nbd.Error as e:
    sys.exit(f"nbd-io: {e}")
