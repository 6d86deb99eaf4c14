#!/usr/bin/env python3
"""Baseline for bench/qmp.sh: one QMP query over a raw socket.

This is what a user would write without qmp-send or a QMP library: connect
to QEMU's QMP Unix socket, read the greeting, negotiate capabilities, send
query-status and print its return value as one compact JSON line.  Only the
standard library is used, so the timing is Python's own start-up plus the
exchange.

usage: qmp_raw.py SOCKET
"""
import json
import socket
import sys


def reply(stream):
    """Return the next reply, skipping any events that arrive first."""
    while True:
        line = stream.readline()
        if not line:
            sys.exit("qmp_raw: QEMU closed the connection")
        msg = json.loads(line)
        if "event" not in msg:
            return msg


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: qmp_raw.py SOCKET")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(sys.argv[1])
        stream = sock.makefile("rb")
        greeting = json.loads(stream.readline() or b"null")
        if not isinstance(greeting, dict) or "QMP" not in greeting:
            sys.exit("qmp_raw: no QMP greeting")
        for command in ("qmp_capabilities", "query-status"):
            sock.sendall(json.dumps({"execute": command}).encode() + b"\n")
            msg = reply(stream)
            if "return" not in msg:
                sys.exit("qmp_raw: %s failed: %s" % (command, json.dumps(msg)))
    print(json.dumps(msg["return"], separators=(",", ":")))


if __name__ == "__main__":
    main()
