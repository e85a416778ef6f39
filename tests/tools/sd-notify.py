#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""sd-notify.py: play systemd's part for a Type=notify service, and say what
it told us.

  sd-notify.py --listening UNIX-SOCKET -- DAEMON [ARG...]

Binds a datagram socket, starts DAEMON with NOTIFY_SOCKET pointing at it,
then, as systemd would: waits for READY=1 (and checks at that moment that
UNIX-SOCKET accepts a connection, which is what "ready" promises), sends
SIGHUP and waits for RELOADING=1 then READY=1, sends SIGTERM and waits for
STOPPING=1 and the exit. Prints one line per event:

  notify READY=1 accepting=yes
  notify RELOADING=1
  ...
  exit 0

and stops early with "timeout waiting for ..." when a message does not come
within 30 s. Exit status 0 when the whole sequence was seen, else 1."""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

TIMEOUT = 30.0


def accepting(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        return "yes"
    except OSError as e:
        return "no (%s)" % e.strerror
    finally:
        s.close()


def main():
    args = sys.argv[1:]
    if len(args) < 4 or args[0] != "--listening" or args[2] != "--":
        sys.exit(__doc__)
    listening, cmd = args[1], args[3:]
    tmp = tempfile.mkdtemp(prefix="sd-notify.")
    path = os.path.join(tmp, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(TIMEOUT)
    env = dict(os.environ, NOTIFY_SOCKET=path)
    child = subprocess.Popen(cmd, env=env)
    ok = True

    def expect(state, probe_listening=False):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                msg = sock.recv(4096).decode(errors="replace")
            except socket.timeout:
                break
            for line in msg.split("\n"):
                if not line:
                    continue
                extra = ""
                if line == "READY=1" and probe_listening:
                    extra = " accepting=%s" % accepting(listening)
                print("notify %s%s" % (line, extra), flush=True)
                if line == state:
                    return True
        print("timeout waiting for %s" % state, flush=True)
        return False

    try:
        ok = expect("READY=1", probe_listening=True)
        if ok:
            child.send_signal(signal.SIGHUP)
            ok = expect("RELOADING=1") and expect("READY=1")
        if ok:
            child.send_signal(signal.SIGTERM)
            ok = expect("STOPPING=1")
        if ok:
            print("exit %d" % child.wait(TIMEOUT), flush=True)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        sock.close()
        os.unlink(path)
        os.rmdir(tmp)
    sys.exit(0 if ok else 1)


main()
