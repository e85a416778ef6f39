#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""nbd-stress: N NBD connections at queue depth Q for S seconds, verified.

    nbd-stress.py URI --connections 8 --depth 8 --seconds 30 [--block 4096]

Each connection owns a slice of the disk. Every request is a write of a
block stamped with (connection, slot, sequence) or a read of a block this
connection wrote earlier, checked against what it wrote. Prints one JSON
line; exits 1 on any error or mismatch.
"""
import argparse, json, random, struct, sys, time
import nbd

ap = argparse.ArgumentParser()
ap.add_argument("uri")
ap.add_argument("--connections", type=int, default=8)
ap.add_argument("--depth", type=int, default=8)
ap.add_argument("--seconds", type=float, default=30)
ap.add_argument("--block", type=int, default=4096)
a = ap.parse_args()

def stamp(conn, slot, seq, size):
    head = struct.pack("<IIQ", conn, slot, seq)
    return (head * (size // len(head) + 1))[:size]

class Conn:
    def __init__(self, idx, size):
        self.h = nbd.NBD()
        self.h.connect_uri(a.uri)
        self.idx = idx
        per = size // a.connections // a.block
        self.base = idx * per
        self.blocks = per
        self.written = {}          # block -> expected bytes (last completed write)
        self.inflight = {}         # cookie -> (kind, block, data, buf)
        self.busy = set()          # blocks with a request in flight
        self.seq = 0
        self.reads = self.writes = self.errors = self.mismatches = 0

    def submit(self):
        blk = random.randrange(self.blocks)
        while blk in self.busy:
            blk = random.randrange(self.blocks)
        off = (self.base + blk) * a.block
        if self.written and blk in self.written and random.random() < 0.5:
            buf = nbd.Buffer(a.block)
            c = self.h.aio_pread(buf, off)
            self.inflight[c] = ("r", blk, self.written[blk], buf)
        else:
            self.seq += 1
            data = stamp(self.idx, blk, self.seq, a.block)
            c = self.h.aio_pwrite(data, off)
            self.inflight[c] = ("w", blk, data, None)
        self.busy.add(blk)

    def reap(self):
        for c in list(self.inflight):
            if not self.h.aio_command_completed(c):
                continue
            kind, blk, data, buf = self.inflight.pop(c)
            self.busy.discard(blk)
            if kind == "w":
                self.writes += 1
                self.written[blk] = data
            else:
                self.reads += 1
                if buf.to_bytearray() != data:
                    self.mismatches += 1

errors = []
try:
    probe = nbd.NBD(); probe.connect_uri(a.uri); size = probe.get_size(); probe.shutdown()
    conns = [Conn(i, size) for i in range(a.connections)]
except nbd.Error as e:
    print(json.dumps({"ok": False, "error": f"connect: {e}"})); sys.exit(1)

end = time.monotonic() + a.seconds
while time.monotonic() < end:
    for c in conns:
        try:
            while len(c.inflight) < a.depth:
                c.submit()
            c.h.poll(0)
            c.reap()
        except nbd.Error as e:
            c.errors += 1
            errors.append(str(e))
            c.inflight.clear(); c.busy.clear()
    # let the sockets fill: wait on one connection briefly
    try:
        conns[0].h.poll(1)
    except nbd.Error:
        pass
for c in conns:
    try:
        while c.inflight:
            c.h.poll(-1)
            c.reap()
        c.h.flush()
        # final check: everything this connection wrote reads back
        for blk, data in c.written.items():
            if c.h.pread(a.block, (c.base + blk) * a.block) != data:
                c.mismatches += 1
        c.h.shutdown()
    except nbd.Error as e:
        c.errors += 1
        errors.append(str(e))

res = {
    "ok": not errors and all(c.mismatches == 0 for c in conns),
    "connections": a.connections, "depth": a.depth, "seconds": a.seconds,
    "reads": sum(c.reads for c in conns), "writes": sum(c.writes for c in conns),
    "errors": sum(c.errors for c in conns), "mismatches": sum(c.mismatches for c in conns),
    "first_error": errors[0] if errors else None,
}
print(json.dumps(res))
sys.exit(0 if res["ok"] else 1)
