#!/usr/bin/env python3
"""Baseline for bench/qga.sh: run one command through the guest agent.

This is the least a correct hand-written client does without qga-exec or a
QGA library, over a raw socket and with the standard library only:

  1. connect to the agent's Unix socket;
  2. resynchronise: send 0xFF and guest-sync-delimited with a random id,
     skip everything up to the agent's 0xFF sentinel and read replies until
     {"return": id} (stale replies and the parse error our own 0xFF causes
     come first);
  3. guest-exec COMMAND with capture-output;
  4. guest-exec-status in a tight loop, no sleep, until "exited";
  5. write out-data to stdout and err-data to stderr, as bytes;
  6. close gracefully: shutdown(SHUT_WR), read to EOF, close.  qemu-ga 7.2
     on a Unix socket exits if a client closes with replies unread.

The exit status is the command's (128+N if a signal killed it).  With
QGA_RAW_TIMING=1 in the environment the time from just before connect to
the exit status having arrived is printed to stderr as
"qga_raw: exchange_ms=N polls=M", so that the exchange itself can be compared
without Python's start-up.

usage: qga_raw.py SOCKET COMMAND [ARG...]
"""
import base64
import json
import os
import socket
import sys
import time


def die(msg):
    sys.exit("qga_raw: " + msg)


def send(sock, command, arguments):
    msg = {"execute": command, "arguments": arguments}
    sock.sendall(json.dumps(msg).encode() + b"\n")


def reply(stream, command):
    """Return the next reply's "return" value; any error is fatal."""
    line = stream.readline()
    if not line:
        die("the agent closed the connection")
    msg = json.loads(line)
    if "return" not in msg:
        die("%s failed: %s" % (command, line.decode(errors="replace").strip()))
    return msg["return"]


def sync(sock, stream):
    # A fresh id in 1 .. 2^53-1: exact in any JSON implementation.
    sync_id = int.from_bytes(os.urandom(8), "big") % (2**53 - 1) + 1
    sock.sendall(b"\xff")
    send(sock, "guest-sync-delimited", {"id": sync_id})
    while True:
        line = stream.readline()
        if not line:
            die("the agent closed the connection during the sync")
        # The agent's output is ASCII, so 0xFF can only be a sentinel, and
        # the reply to that sync follows it directly, possibly after a
        # partial line left over from an earlier client.
        at = line.rfind(b"\xff")
        if at < 0:
            continue
        try:
            msg = json.loads(line[at + 1:])
        except ValueError:
            continue
        if isinstance(msg, dict) and msg.get("return") == sync_id:
            return


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: qga_raw.py SOCKET COMMAND [ARG...]")
    path, argv = sys.argv[1], sys.argv[2:]
    t0 = time.perf_counter()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(10)
    sock.connect(path)
    stream = sock.makefile("rb")
    sync(sock, stream)
    send(sock, "guest-exec",
         {"path": argv[0], "arg": argv[1:], "capture-output": True})
    pid = reply(stream, "guest-exec")["pid"]
    polls = 0
    while True:
        polls += 1
        send(sock, "guest-exec-status", {"pid": pid})
        status = reply(stream, "guest-exec-status")
        if status.get("exited"):
            break
    t1 = time.perf_counter()

    if "signal" in status:
        code = 128 + status["signal"]
    else:
        code = status.get("exitcode", 0)
    # Nothing is left unanswered, so the drain ends at the agent's EOF.
    sock.shutdown(socket.SHUT_WR)
    while stream.read(65536):
        pass
    stream.close()
    sock.close()

    sys.stdout.buffer.write(base64.b64decode(status.get("out-data", "")))
    sys.stdout.flush()
    sys.stderr.buffer.write(base64.b64decode(status.get("err-data", "")))
    if status.get("out-truncated") or status.get("err-truncated"):
        sys.stderr.write("qga_raw: warning: output truncated by the agent\n")
    if os.environ.get("QGA_RAW_TIMING") == "1":
        sys.stderr.write("qga_raw: exchange_ms=%.3f polls=%d\n"
                         % ((t1 - t0) * 1000, polls))
    sys.stderr.flush()
    sys.exit(min(code, 255) if code >= 0 else 1)


if __name__ == "__main__":
    main()
