#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""s4u-probe: prove the lab's two-hop constrained delegation, with MIT GSSAPI.

  s4u-probe serve --port P --keytab KT --s4u SPN[,SPN...] [--store DIR]
      Accept one GSSAPI context (mutual) with a credential usable both ways
      (keytab + client keytab), then, acting for the client through the proxy
      credential (S4U2Proxy), start a context toward each --s4u principal.
      Prints one JSON line and sends it to the client too.
  s4u-probe connect --host H --port P --spn SPN
      Start a context toward SPN with the default ccache (no delegation flag:
      the client's TGT never leaves the client), print the server's JSON.

This is the lab's own check, independent of vsmigrate's krb/ library.
"""
import argparse
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile

import gssapi


def send(sock, data):
    sock.sendall(struct.pack(">I", len(data)) + data)


def recv(sock):
    head = b""
    while len(head) < 4:
        chunk = sock.recv(4 - len(head))
        if not chunk:
            raise EOFError("peer closed the connection")
        head += chunk
    (n,) = struct.unpack(">I", head)
    if n > 1 << 20:
        raise ValueError("token of %d bytes is too large" % n)
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("peer closed the connection")
        data += chunk
    return data


def principal(text):
    return gssapi.Name(text, gssapi.NameType.kerberos_principal)


def serve(args):
    ccdir = tempfile.mkdtemp(prefix="s4u-probe.")
    store = {"keytab": args.keytab, "client_keytab": args.keytab,
             "ccache": "FILE:%s/host.cc" % ccdir}
    creds = gssapi.Credentials(usage="both", store=store)
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("0.0.0.0", args.port))
    lsock.listen(1)
    print("listening", flush=True)
    conn, _ = lsock.accept()
    ctx = gssapi.SecurityContext(creds=creds, usage="accept")
    while not ctx.complete:
        out = ctx.step(recv(conn))
        if out:
            send(conn, out)
    if args.dump_pac:
        # raw PAC buffers, as unit-test fixtures for krb/'s decoder
        for attr in ("urn:mspac:logon-info", "urn:mspac:delegation-info"):
            try:
                got = ctx.initiator_name.attributes[attr]
            except (KeyError, gssapi.exceptions.GSSError):
                continue
            for value in got.values:
                with open("%s/%s.bin" % (args.dump_pac, attr.split(":")[-1]), "wb") as f:
                    f.write(bytes(value))
    result = {"client": str(ctx.initiator_name),
              "mutual": gssapi.RequirementFlag.mutual_authentication in ctx.actual_flags,
              "proxy_credential": ctx.delegated_creds is not None,
              "targets": {}}
    for target in [t for t in args.s4u.split(",") if t]:
        entry = {}
        try:
            if ctx.delegated_creds is None:
                raise RuntimeError("no proxy credential came back from the acceptor")
            tctx = gssapi.SecurityContext(name=principal(target), creds=ctx.delegated_creds,
                                          usage="initiate",
                                          flags=[gssapi.RequirementFlag.mutual_authentication])
            tctx.step()
            entry["ok"] = True
            if args.store:
                # the proxy credential now holds the S4U2Proxy ticket: show it with klist
                cc = "FILE:%s/%s.cc" % (ccdir, target.split("/")[0])
                ctx.delegated_creds.store(store={"ccache": cc}, overwrite=True, set_default=False)
                entry["klist"] = subprocess.run(["klist", "-c", cc], capture_output=True,
                                                text=True).stdout
        except (gssapi.exceptions.GSSError, RuntimeError) as e:
            entry["ok"] = False
            entry["error"] = str(e)
        result["targets"][target] = entry
    line = json.dumps(result)
    print(line, flush=True)
    send(conn, line.encode())
    conn.close()
    subprocess.run(["rm", "-rf", ccdir])


def connect(args):
    ctx = gssapi.SecurityContext(name=principal(args.spn), usage="initiate",
                                 flags=[gssapi.RequirementFlag.mutual_authentication])
    sock = socket.create_connection((args.host, args.port), timeout=30)
    token = ctx.step()
    while True:
        send(sock, token)
        if ctx.complete:
            break
        token = ctx.step(recv(sock))
        if ctx.complete and not token:
            break
    print(recv(sock).decode(), flush=True)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="verb", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--keytab", required=True)
    s.add_argument("--s4u", default="")
    s.add_argument("--store", action="store_true")
    s.add_argument("--dump-pac", metavar="DIR", help="write the client's raw PAC buffers here")
    c = sub.add_parser("connect")
    c.add_argument("--host", required=True)
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--spn", required=True)
    args = p.parse_args()
    try:
        serve(args) if args.verb == "serve" else connect(args)
    except (gssapi.exceptions.GSSError, OSError, EOFError, ValueError) as e:
        print(json.dumps({"error": str(e)}), flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
