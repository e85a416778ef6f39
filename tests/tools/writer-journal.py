#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""writer-journal.py JOURNAL...: line up the disk exports' writer journals
(nbdkit-smbio-plugin writer-journal=, one per host) and check that no two
hosts ever held the disk's writer handle at once.

Each line: {"t_ms": unix ms, "host": H, "pid": P, "writer": true|false, "why": W}.
The journals come from different hosts: their clocks must agree (the lab's
hosts share one). Within one millisecond a let-go sorts before a take: a
hand-off's take on the destination follows the source's release reply.

Prints one JSON line: events, takes, switches (a take by another host than the
last taker's), overlaps (a take while another host held the writer), the
sequence of hosts that took it, and the first overlap. Exit 0 when there is
no overlap, 1 when there is, 2 on bad input.

--died HOST[:PID]@T_MS (repeatable): that export (every export of HOST without
PID) was killed -9 at T_MS, or its host lost power, and wrote no let-go line:
from T_MS on it holds nothing (a process that is gone writes nothing; the file
server drops its handle when the connection ends, or its keepalives fail)."""
import json
import sys


def load(paths):
    events = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    if not line.strip():
                        continue
                    e = json.loads(line)
                    if not isinstance(e.get("t_ms"), int) or not isinstance(e.get("writer"), bool) \
                            or not isinstance(e.get("host"), str):
                        raise ValueError(f"{path}:{n}: not a writer-journal line")
                    events.append(e)
        except FileNotFoundError:
            continue   # a host that never ran the VM has no journal
    # let-go (False) before take (True) within one millisecond
    events.sort(key=lambda e: (e["t_ms"], e["writer"]))
    return events


def died(spec):
    """HOST[:PID]@T_MS -> a let-go event for check()"""
    who, _, t = spec.partition("@")
    host, _, pid = who.partition(":")
    if not host or not t.isdigit() or (pid and not pid.isdigit()):
        raise ValueError(f"--died {spec}: want HOST[:PID]@T_MS")
    return {"t_ms": int(t), "host": host, "pid": int(pid) if pid else None, "writer": False,
            "why": "died", "died": True}


def check(events):
    holders = {}   # (host, pid) -> t_ms taken
    takers, overlaps, first = [], 0, None
    for e in events:
        key = (e["host"], e.get("pid"))
        if e.get("died"):
            for h in [h for h in holders if h[0] == e["host"] and e["pid"] in (None, h[1])]:
                holders.pop(h)
            continue
        if e["writer"]:
            others = [h for h in holders if h[0] != e["host"]]
            if others:
                overlaps += 1
                first = first or {"t_ms": e["t_ms"], "taker": e["host"], "held_by": others[0][0]}
            holders[key] = e["t_ms"]
            takers.append(e["host"])
        else:
            holders.pop(key, None)
    switches = sum(1 for a, b in zip(takers, takers[1:]) if a != b)
    return {"events": len(events), "takes": len(takers), "switches": switches,
            "overlaps": overlaps, "takers": takers, "first_overlap": first}


def main():
    args, deaths = sys.argv[1:], []
    try:
        while len(args) >= 2 and args[0] == "--died":
            deaths.append(died(args[1]))
            args = args[2:]
        if not args:
            print("usage: writer-journal.py [--died HOST[:PID]@T_MS]... JOURNAL...", file=sys.stderr)
            return 2
        events = load(args) + deaths
        events.sort(key=lambda e: (e["t_ms"], e["writer"]))
        result = check(events)
    except (ValueError, json.JSONDecodeError) as err:
        print(f"writer-journal.py: {err}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 1 if result["overlaps"] else 0


if __name__ == "__main__":
    sys.exit(main())
