#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Misbehaving clients of vsmigrated, for tests/integration/61-agent-robustness.t.

Each subcommand does one bad thing to HOST:PORT and prints one JSON line with
what the daemon did about it. The frame and message layouts are those of
docs/protocol.md, written here independently of the C code.

  garbage HOST PORT                 random bytes before authentication
  oversized HOST PORT               a token frame that announces 10 MiB
  truncated HOST PORT               half a frame, then the client goes away
  slowloris HOST PORT               one byte a second
  idle HOST PORT N HOLD             N connections that say nothing, held HOLD s
  sealed-garbage HOST PORT SPN      authenticate, then a sealed frame of noise
  replay HOST PORT SPN              authenticate, send a request twice
  token-after-auth HOST PORT SPN    authenticate, then another token frame
  request HOST PORT SPN ACTION [TAG=VALUE]...
                                    authenticate with the ccache in KRB5CCNAME (a
                                    peer host's, say) and send one request; TAG is
                                    vm, from, to, job, on-behalf-of or domain-xml,
                                    VALUE text or @FILE; prints the reply's result,
                                    message, records and how long it took
  hold HOST PORT SPN N SECONDS      N authenticated connections held open, idle
  bad-tokens HOST PORT N            N connections, each with a Kerberos token that
                                    does not verify (an AP-REQ of noise)
  unread HOST PORT SPN N HOLD       up to N requests sent without reading a reply
                                    (until the daemon ends the connection), then
                                    HOLD s of silence: does the daemon end it
"""
import json
import os
import resource
import socket
import struct
import sys
import time

TOKEN, SEALED, ERROR = 1, 2, 3


def frame(ftype, payload):
    return b"VM" + bytes([2, ftype]) + struct.pack(">I", len(payload)) + payload


def connect(host, port):
    s = socket.create_connection((host, int(port)), timeout=30)
    return s


def read_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def read_frame(s):
    hdr = read_exact(s, 8)
    if hdr is None:
        return None, None
    if hdr[:2] != b"VM":
        raise ValueError("bad magic from the server")
    (n,) = struct.unpack(">I", hdr[4:])
    return hdr[3], read_exact(s, n)


def wait_closed(s, limit):
    """Seconds until the server closes (EOF or reset), or None."""
    start = time.monotonic()
    s.settimeout(limit)
    try:
        while True:
            if not s.recv(65536):
                return time.monotonic() - start
    except (ConnectionResetError, BrokenPipeError):
        return time.monotonic() - start
    except socket.timeout:
        return None


TAGS = {"action": 1, "vm": 2, "from": 3, "to": 4, "job": 5, "on-behalf-of": 11, "domain-xml": 12, "channel": 21}
U64_TAGS = {6: "result", 8: "record", 9: "progress", 15: "pass", 16: "code", 19: "memory_mib", 20: "vcpus",
            44: "runs_here"}
TEXT_NAMES = {7: "message", 2: "vm", 4: "to", 5: "job", 10: "phase", 11: "on-behalf-of", 14: "name",
              17: "text", 18: "state"}


def message(rid, fields):
    body = b"".join(struct.pack(">HI", tag, len(v)) + v for tag, v in fields)
    return bytes([1, 0]) + struct.pack(">HI", len(fields), rid) + body


def parse_reply(data):
    """The reply's own fields and its records, as dicts."""
    (count,) = struct.unpack(">H", data[2:4])
    pos, top, records, cur = 8, {}, [], None
    for _ in range(count):
        tag, n = struct.unpack(">HI", data[pos:pos + 6])
        value = data[pos + 6:pos + 6 + n]
        pos += 6 + n
        if tag == 8:
            cur = {"kind": struct.unpack(">Q", value)[0]}
            records.append(cur)
            continue
        key = U64_TAGS.get(tag) or TEXT_NAMES.get(tag) or str(tag)
        val = struct.unpack(">Q", value)[0] if tag in U64_TAGS else value.decode("utf-8", "replace")
        (top if cur is None or tag in (6, 7) else cur)[key] = val
    top["records"] = records
    return top


def request(rid, action):
    fields = struct.pack(">HI", 1, len(action)) + action.encode()
    return bytes([1, 0]) + struct.pack(">HI", 1, rid) + fields


def authenticate(host, port, spn):
    import gssapi

    flags = (gssapi.RequirementFlag.mutual_authentication | gssapi.RequirementFlag.replay_detection
             | gssapi.RequirementFlag.out_of_sequence_detection | gssapi.RequirementFlag.integrity
             | gssapi.RequirementFlag.confidentiality)
    name = gssapi.Name(spn, gssapi.NameType.kerberos_principal)
    ctx = gssapi.SecurityContext(name=name, usage="initiate", flags=flags,
                                 mech=gssapi.MechType.kerberos)
    s = connect(host, port)
    tok = ctx.step()
    while True:
        if tok:
            s.sendall(frame(TOKEN, tok))
        if ctx.complete:
            break
        ftype, payload = read_frame(s)
        if ftype != TOKEN:
            raise RuntimeError("refused during authentication: %r" % payload)
        tok = ctx.step(payload)
    return s, ctx


def refusal(s):
    """The server's ERROR frame text, if one comes before it closes."""
    try:
        s.settimeout(10)
        ftype, payload = read_frame(s)
    except (ConnectionResetError, socket.timeout, ValueError):
        return None
    if ftype == ERROR:   # u8 error code, then the sentence
        return payload[1:].decode("utf-8", "replace")
    return None


def main():
    cmd, host, port = sys.argv[1], sys.argv[2], sys.argv[3]
    out = {"case": cmd}
    if cmd == "garbage":
        s = connect(host, port)
        s.sendall(os.urandom(64) + b"GET / HTTP/1.0\r\n\r\n")
        out["closed_after_s"] = wait_closed(s, 15)
    elif cmd == "oversized":
        s = connect(host, port)
        s.sendall(b"VM" + bytes([2, TOKEN]) + struct.pack(">I", 10 * 1024 * 1024) + b"x" * 1000)
        out["closed_after_s"] = wait_closed(s, 15)
    elif cmd == "truncated":
        s = connect(host, port)
        s.sendall(frame(TOKEN, b"y" * 100)[:50])
        s.close()
        out["sent"] = True
    elif cmd == "slowloris":
        s = connect(host, port)
        start = time.monotonic()
        payload = frame(TOKEN, b"z" * 200)
        closed = None
        for b in payload:
            try:
                s.sendall(bytes([b]))
            except (BrokenPipeError, ConnectionResetError):
                closed = time.monotonic() - start
                break
            s.settimeout(1.0)
            try:
                if not s.recv(1):
                    closed = time.monotonic() - start
                    break
            except socket.timeout:
                pass
            except ConnectionResetError:
                closed = time.monotonic() - start
                break
            if time.monotonic() - start > 60:
                break
        out["closed_after_s"] = closed
    elif cmd == "idle":
        n, hold = int(sys.argv[4]), float(sys.argv[5])
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, n + 100)), hard))
        socks, failed = [], 0
        for _ in range(n):
            try:
                socks.append(socket.create_connection((host, int(port)), timeout=10))
            except OSError:
                failed += 1
        print("opened %d" % len(socks), flush=True)
        time.sleep(hold)
        closed = 0
        for s in socks:
            s.setblocking(False)
            try:
                if s.recv(1) == b"":
                    closed += 1
            except BlockingIOError:
                pass
            except ConnectionResetError:
                closed += 1
        out.update(opened=len(socks), failed=failed, closed_by_server=closed)
    elif cmd in ("sealed-garbage", "replay", "token-after-auth"):
        spn = sys.argv[4]
        s, ctx = authenticate(host, port, spn)
        out["authenticated"] = True
        if cmd == "sealed-garbage":
            s.sendall(frame(SEALED, os.urandom(200)))
        elif cmd == "token-after-auth":
            s.sendall(frame(TOKEN, b"\x60" + os.urandom(50)))
        else:
            wrapped = ctx.wrap(request(1, "status"), True).message
            s.sendall(frame(SEALED, wrapped))
            ftype, payload = read_frame(s)
            reply = ctx.unwrap(payload).message if ftype == SEALED else b""
            out["first_reply_kind"] = reply[0] if reply else None
            s.sendall(frame(SEALED, wrapped))   # the same bytes again
        out["refusal"] = refusal(s)
        out["closed_after_s"] = wait_closed(s, 15)
    elif cmd == "request":
        spn, action = sys.argv[4], sys.argv[5]
        fields = [(1, action.encode())]
        for arg in sys.argv[6:]:
            key, _, value = arg.partition("=")
            data = open(value[1:], "rb").read() if value.startswith("@") else value.encode()
            fields.append((TAGS[key], data))
        s, ctx = authenticate(host, port, spn)
        start = time.monotonic()
        s.sendall(frame(SEALED, ctx.wrap(message(1, fields), True).message))
        s.settimeout(600)
        ftype, payload = read_frame(s)
        out["elapsed_s"] = round(time.monotonic() - start, 3)
        if ftype == SEALED:
            out.update(parse_reply(ctx.unwrap(payload).message))
        else:
            out["refusal"] = payload[1:].decode("utf-8", "replace") if payload else None
    elif cmd == "hold":
        spn, n, hold = sys.argv[4], int(sys.argv[5]), float(sys.argv[6])
        held = [authenticate(host, port, spn) for _ in range(n)]
        print("held %d" % len(held), flush=True)
        time.sleep(hold)
        out["held"] = len(held)
    elif cmd == "bad-tokens":
        n, refused, start = int(sys.argv[4]), 0, time.monotonic()
        # an AP-REQ's outer form (GSS-API Kerberos OID) around noise
        token = bytes.fromhex("6082010006092a864886f71201020201006e") + os.urandom(200)
        for _ in range(n):
            try:
                s = connect(host, port)
                s.sendall(frame(TOKEN, token))
                refused += refusal(s) is not None
                s.close()
            except OSError:
                pass
        out.update(sent=n, refused=refused, seconds=round(time.monotonic() - start, 2))
    elif cmd == "unread":
        # Whole frames only, each with a long timeout: a send cut short by a
        # timeout would leave half a frame, which the daemon then waits for
        # as a slow client rather than as one that does not read. Sending
        # stops when the daemon ends the connection (it stopped reading,
        # could not send a reply, closed) or after N requests.
        spn, n = sys.argv[4], int(sys.argv[5])
        s, ctx = authenticate(host, port, spn)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sent, last = 0, time.monotonic()
        s.settimeout(60)
        closed = None
        try:
            for i in range(n):
                s.sendall(frame(SEALED, ctx.wrap(request(i + 1, "status"), True).message))
                sent, last = sent + 1, time.monotonic()
        except (BrokenPipeError, ConnectionResetError):
            closed = time.monotonic() - last
        except socket.timeout:
            out["send_stuck_s"] = 60
        out["sent"] = sent
        if closed is None:
            time.sleep(float(sys.argv[6]))
            closed = wait_closed(s, 10)
        out["closed_after_s"] = closed
    else:
        sys.exit("unknown case %s" % cmd)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
