#!/usr/bin/env python3
"""wire-compare.py: nbd-fault's compatible mode against QEMU's
nbd-fault-injector.py, byte for byte, as a client sees them.

    wire-compare.py [-v] INJECTOR.py NBD-FAULT

For each case (the 27 rules of QEMU iotest 083 and a few more, over TCP
and a Unix socket) both servers are started on the same rules file and
the same scripted client talks to each: the handshake (non-fixed newstyle
with export "foo", or oldstyle), a READ of 512 bytes, a WRITE of 512
bytes, DISC.  The client records every byte it receives and how the
connection ended (eof, reset), and stops at the first end, as a real
client would.  Compared per case: the bytes received, the end, the
server's stdout, whether and how the server exited.

After each whole message it receives, the client waits 0.1 s for the
server to hang up before it sends anything more, so that the outcome does
not depend on who wins a race.

The one difference allowed is the one nbd-fault makes on purpose: the
transmission flags carry HAS_FLAGS (byte 27 of the stream, in both the
newstyle and the oldstyle layouts, is 0x01 where the injector sends 0x00).

Exit status 0 when every case matches.
"""

import os
import select
import socket
import struct
import subprocess
import sys
import tempfile
import time

IHAVEOPT = 0x49484156454F5054
REQ = 0x25609513

CASES_083 = (
    [("neg1", w) for w in ("before", "after", "8", "16")]
    + [("export", w) for w in ("before", "after", "4", "12", "16")]
    + [("neg2", w) for w in ("before", "after", "8", "10")]
    + [("request", w) for w in ("before", "after")]
    + [("reply", w) for w in ("before", "after", "4", "8")]
    + [("data", w) for w in ("before", "after")]
)
CLASSIC_083 = ["before", "8", "16", "24", "28", "after"]


def rule(event, when=None, io=None, name="inject-error"):
    text = "[%s]\nevent=%s\n" % (name, event)
    if io:
        text += "io=%s\n" % io
    if when:
        text += "when=%s\n" % when
    return text


def cases():
    out = []
    for event, when in CASES_083:
        out.append(("083 %s %s" % (event, when), rule(event, when), False))
    for when in CLASSIC_083:
        out.append(("083 classic neg-classic %s" % when, rule("neg-classic", when), True))
    out += [
        ("no rules: a whole session", "", False),
        ("classic, no rules", "", True),
        ("request when=4", rule("request", "4"), False),
        ("request when=12", rule("request", "12"), False),
        ("data when=100 (READ data cut)", rule("data", "100", io="write"), False),
        ("data io=read before (WRITE payload)", rule("data", "before", io="read"), False),
        ("data io=read when=256", rule("data", "256", io="read"), False),
        ("data io=read after", rule("data", "after", io="read"), False),
        ("reply io=read never fires", rule("reply", "before", io="read"), False),
        ("neg1 io=read never fires", rule("neg1", "before", io="read"), False),
        ("export io=write never fires", rule("export", "before", io="write"), False),
        ("classic request after", rule("request", "after"), True),
        ("classic reply 8", rule("reply", "8"), True),
        ("classic data after", rule("data", "after"), True),
        ("neg2 when=200 (more than the message)", rule("neg2", "200"), False),
        ("two rules: after then 8", rule("neg1", "after", name='inject-error "a"')
         + rule("neg1", "8", name='inject-error "b"'), False),
        ("two rules: the second event matches", rule("neg2", "after", name='inject-error "a"')
         + rule("reply", "4", name='inject-error "b"'), False),
        ("[inject-error2] and keys with ':'", "[inject-error2]\nevent: reply\nwhen: 8\n", False),
        ("DEFAULT section", "[DEFAULT]\nwhen=4\n[inject-error x]\nevent=reply\n", False),
    ]
    return out


class Ended(Exception):
    pass


class Recorder:
    def __init__(self, sock):
        self.sock = sock
        self.got = bytearray()
        self.end = None

    def recv(self, n):
        want = len(self.got) + n
        while len(self.got) < want:
            try:
                chunk = self.sock.recv(want - len(self.got))
            except ConnectionResetError:
                self.end = "reset in recv"
                raise Ended
            except socket.timeout:
                self.end = "timeout in recv"
                raise Ended
            if not chunk:
                self.end = "eof"
                raise Ended
            self.got += chunk
        self.settle()

    def settle(self):
        """After a whole message, gives the server 0.1 s to close before we
        send again, so that a close right after a message reads as the
        same end for both servers instead of racing our next send."""
        r, _, _ = select.select([self.sock], [], [], 0.1)
        if not r:
            return
        try:
            peek = self.sock.recv(1, socket.MSG_PEEK)
        except ConnectionResetError:
            self.end = "reset in recv"
            raise Ended
        if not peek:
            self.end = "eof"
            raise Ended

    def send(self, data):
        try:
            self.sock.sendall(data)
        except (ConnectionResetError, BrokenPipeError) as e:
            self.end = "%s in send" % type(e).__name__
            raise Ended


def client(addr, classic):
    if ":" in addr:
        host, port = addr.rsplit(":", 1)
        sock = socket.create_connection((host, int(port)), 5)
    else:
        sock = socket.socket(socket.AF_UNIX)
        sock.settimeout(5)
        sock.connect(addr)
    sock.settimeout(5)
    r = Recorder(sock)
    try:
        if classic:
            r.recv(152)
        else:
            r.recv(18)
            # client flags, the EXPORT_NAME option and its name in one write
            r.send(struct.pack(">IQII", 0, IHAVEOPT, 1, 3) + b"foo")
            r.recv(134)
        r.send(struct.pack(">IIQQI", REQ, 0, 1, 0, 512))
        r.recv(16 + 512)
        r.send(struct.pack(">IIQQI", REQ, 1, 2, 0, 512) + b"\xaa" * 512)
        r.recv(16)
        r.send(struct.pack(">IIQQI", REQ, 2, 3, 0, 0))
        r.recv(1)                       # DISC: no reply, the server closes
        r.end = "data after DISC"
    except Ended:
        pass
    sock.close()
    return bytes(r.got), r.end


def run_server(argv, tmp, proto, cfg, classic):
    addr = "127.0.0.1:0" if proto == "tcp" else os.path.join(tmp, "s.sock")
    if proto != "tcp" and os.path.exists(addr):
        os.unlink(addr)
    args = argv + (["--classic-negotiation"] if classic else []) + [addr, cfg]
    srv = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = srv.stdout.readline().decode()
    if not first.startswith("Listening on "):
        srv.kill()
        out, err = srv.communicate()
        return {"error": "no ready line: %r %r %r" % (first, out, err)}
    addr = first[len("Listening on "):].strip()
    try:
        got, end = client(addr, classic)
    except OSError as e:
        got, end = b"", "client error: %s" % e
    finally:
        deadline = time.time() + 1.5
        while srv.poll() is None and time.time() < deadline:
            time.sleep(0.02)
        alive = srv.poll() is None
        if alive:
            srv.terminate()
    try:
        out, err = srv.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        srv.kill()
        out, err = srv.communicate()
    return {
        "bytes": got,
        "end": end,
        "stdout": (first + out.decode()).replace(addr, "ADDR"),
        "exit": "still running" if alive else "exit %d" % srv.returncode,
        "stderr": err.decode(),
    }


def normalize(res, ours):
    """Masks the HAS_FLAGS byte; returns a problem string or None."""
    b = bytearray(res["bytes"])
    if len(b) > 27:
        want = 1 if ours else 0
        if b[27] != want:
            return "byte 27 (transmission flags, low byte) is 0x%02x, expected 0x%02x" % (b[27], want)
        b[27] = 0xFF
    res["bytes"] = bytes(b)
    return None


def main(argv):
    verbose = "-v" in argv
    argv = [a for a in argv if a != "-v"]
    if len(argv) != 3:
        sys.exit(__doc__)
    injector = [sys.executable, argv[1]]
    ours = [argv[2]]
    failed = 0
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "rules.ini")
        for name, text, classic in cases():
            for proto in ("tcp", "unix"):
                total += 1
                with open(cfg, "w") as f:
                    f.write(text)
                a = run_server(injector, tmp, proto, cfg, classic)
                b = run_server(ours, tmp, proto, cfg, classic)
                problems = []
                if "error" in a:
                    problems.append("injector: " + a["error"])
                if "error" in b:
                    problems.append("nbd-fault: " + b["error"])
                if not problems:
                    for who, res, mine in (("injector", a, False), ("nbd-fault", b, True)):
                        p = normalize(res, mine)
                        if p:
                            problems.append("%s: %s" % (who, p))
                    for key in ("bytes", "end", "stdout", "exit"):
                        if a[key] != b[key]:
                            va, vb = a[key], b[key]
                            if key == "bytes":
                                va = "%d bytes %s" % (len(va), va.hex()[:120])
                                vb = "%d bytes %s" % (len(vb), vb.hex()[:120])
                            problems.append("%s differs:\n      injector:  %r\n      nbd-fault: %r" % (key, va, vb))
                label = "%-45s %-4s" % (name, proto)
                if problems:
                    failed += 1
                    print("DIFF %s" % label)
                    for p in problems:
                        print("    " + p)
                elif verbose:
                    print("same %s  %d bytes, %s, %s" % (label, len(a["bytes"]), a["end"], a["exit"]))
    print("wire-compare: %d of %d cases the same" % (total - failed, total))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
