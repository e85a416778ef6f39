#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""nbd-readahead: read patterns that exercise the smbio export's read-ahead.

    nbd-readahead.py URI scan BLOCK N          read blocks 0..N-1 in order; prints
                                               the sha256 of what was read
    nbd-readahead.py URI write-gap BLOCK       read blocks 0 and 1 (block 2 is now
                                               read ahead), write block 2, read it:
                                               prints "fresh" or "stale"
    nbd-readahead.py URI wait-gap BLOCK FLAG   read blocks 0 and 1, wait until the
                                               file FLAG exists (60 s at most), read
                                               block 2 and print its first 16 bytes
Errors go to stderr as libnbd words them; exit 1.
"""
import hashlib, os, sys, time
import nbd

uri, op, block = sys.argv[1], sys.argv[2], int(sys.argv[3])
h = nbd.NBD()
try:
    h.connect_uri(uri)
    if op == "scan":
        sha = hashlib.sha256()
        for i in range(int(sys.argv[4])):
            sha.update(h.pread(block, i * block))
        print(sha.hexdigest())
    elif op == "write-gap":
        h.pread(block, 0)
        h.pread(block, block)
        time.sleep(0.2)                  # the read-ahead of block 2 has its answer
        data = os.urandom(block)
        h.pwrite(data, 2 * block)
        print("fresh" if h.pread(block, 2 * block) == data else "stale")
    elif op == "wait-gap":
        h.pread(block, 0)
        h.pread(block, block)
        flag, deadline = sys.argv[4], time.time() + 60
        while not os.path.exists(flag) and time.time() < deadline:
            time.sleep(0.05)
        print(h.pread(block, 2 * block)[:16].decode(errors="replace"))
    else:
        sys.exit(f"unknown operation {op}")
    h.shutdown()
except nbd.Error as e:
    sys.stderr.write(f"{e}\n")
    sys.exit(1)
