#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A TCP echo client that measures the guest's network continuity across moves.

  echo-gap.py HOST PORT STOPFILE [MAX_SECONDS]

Connects once to the guest's echo server, sends an 8-byte sequence number
every 10 ms and reads the echoes back. Runs until STOPFILE exists (or
MAX_SECONDS, default 600), then prints one JSON line: how many were sent and
echoed, the longest gap between two echoes (ms), whether every echo came back
in order, and the error if the connection broke (a reset is a failure: the
guest's network must survive a live migration)."""
import json
import os
import socket
import struct
import sys
import threading
import time


def main():
    host, port, stopfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    limit = float(sys.argv[4]) if len(sys.argv) > 4 else 600.0
    s = socket.create_connection((host, port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(None)
    state = {"sent": 0, "received": 0, "max_gap_ms": 0.0, "in_order": True, "error": None}
    done = threading.Event()

    def reader():
        buf = b""
        last = time.monotonic()
        expect = 0
        try:
            while not done.is_set() or state["received"] < state["sent"]:
                data = s.recv(65536)
                if not data:
                    if not done.is_set():
                        state["error"] = "the guest closed the connection"
                    return
                buf += data
                now = time.monotonic()
                while len(buf) >= 8:
                    (seq,) = struct.unpack(">Q", buf[:8])
                    buf = buf[8:]
                    if seq != expect:
                        state["in_order"] = False
                    expect = seq + 1
                    state["received"] += 1
                    state["max_gap_ms"] = max(state["max_gap_ms"], (now - last) * 1000.0)
                    last = now
        except OSError as e:
            state["error"] = str(e)

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    start = time.monotonic()
    seq = 0
    try:
        while not os.path.exists(stopfile) and time.monotonic() - start < limit and state["error"] is None:
            s.sendall(struct.pack(">Q", seq))
            seq += 1
            state["sent"] = seq
            time.sleep(0.01)
    except OSError as e:
        state["error"] = str(e)
    done.set()
    t.join(timeout=5)
    s.close()
    state["max_gap_ms"] = round(state["max_gap_ms"], 1)
    print(json.dumps(state))
    return 0 if state["error"] is None else 1


if __name__ == "__main__":
    sys.exit(main())
