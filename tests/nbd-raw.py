#!/usr/bin/env python3
"""nbd-raw.py: a deliberately naive NBD client for tests (stdlib only).

    nbd-raw.py [options] ADDR STEP...

ADDR is a Unix socket path or HOST:PORT.  Unless --no-handshake is given the
client negotiates first: fixed newstyle (C_FIXED_NEWSTYLE, and C_NO_ZEROES
when offered) with OPT_GO, non-fixed newstyle with EXPORT_NAME, or oldstyle,
whichever the server speaks.  Then it runs the STEPs in order and prints one
line per step, "STEP: RESULT", where RESULT is

    ok [HEX]          the reply said success (HEX: the data, for readhex)
    EINVAL, EIO, ...  the reply carried that NBD errno (or "error N")
    disconnected      the server closed the connection (EOF)
    reset             the connection was reset (ECONNRESET/EPIPE)
    timeout           nothing came within --timeout seconds
    not connected     an earlier step lost the connection
    bad reply: ...    the server broke the protocol

Steps (numbers may be decimal or 0x hex):
    read:OFF:LEN            READ, print ok or the error
    readhex:OFF:LEN         READ, print the data as hex
    write:OFF:LEN[:BYTE]    WRITE LEN bytes of BYTE (default 0)
    fua:OFF:LEN[:BYTE]      the same WRITE with the FUA flag
    flush  trim:OFF:LEN  zero:OFF:LEN  cache:OFF:LEN
    cmd:TYPE:FLAGS:OFF:LEN  any request without a payload
    badmagic                a READ 0 512 header with magic 0xdeadbeef
    disc                    NBD_CMD_DISC, then expect the server to close
    info                    print size=N flags=0xNNNN (from the handshake)
    witness                 READ 0 512 on the second connection (--witness)
    sleep:SECONDS
    send:HEX                raw bytes (for --no-handshake)
    recv:N                  read exactly N raw bytes, print them as hex
    option:NUM[:HEX]        send an option (data in hex) and print the
                            types of its replies up to the final one
    close                   close the connection now

Options:
    --name NAME       export name (default "")
    --structured      negotiate structured replies (fixed newstyle only)
    --witness         open a second, well-behaved connection before the steps
    --no-handshake    start the steps right after connecting
    --timeout SECS    per-step receive timeout (default 10)
    --linger0         close with SO_LINGER 0 (a TCP reset) at the end
"""

import errno as _errno
import socket
import struct
import sys
import time

NBDMAGIC = 0x4E42444D41474943
IHAVEOPT = 0x49484156454F5054
CLISERV = 0x00420281861253
OPT_REPLY = 0x0003E889045565A9
REQ_MAGIC = 0x25609513
SIMPLE_REPLY = 0x67446698
STRUCT_REPLY = 0x668E33EF

OPT_EXPORT_NAME, OPT_GO, OPT_STRUCTURED_REPLY = 1, 7, 8
REP_ACK, REP_INFO = 1, 3
CMD = {"read": 0, "write": 1, "disc": 2, "flush": 3, "trim": 4, "cache": 5,
       "zero": 6, "block_status": 7}

ERRNO = {1: "EPERM", 5: "EIO", 12: "ENOMEM", 22: "EINVAL", 28: "ENOSPC",
         75: "EOVERFLOW", 95: "ENOTSUP", 108: "ESHUTDOWN"}


class Lost(Exception):
    """The connection went away; args[0] is how (disconnected, reset, ...)."""


class Conn:
    def __init__(self, addr, timeout):
        if ":" in addr and not addr.startswith("/"):
            host, port = addr.rsplit(":", 1)
            self.sock = socket.create_connection((host, int(port)), timeout)
        else:
            self.sock = socket.socket(socket.AF_UNIX)
            self.sock.settimeout(timeout)
            self.sock.connect(addr)
        self.sock.settimeout(timeout)
        self.alive = True
        self.structured = False
        self.size = None
        self.tflags = None
        self.cookie = 0

    def recv(self, n, partial=None):
        buf = b""
        while len(buf) < n:
            try:
                chunk = self.sock.recv(n - len(buf))
            except socket.timeout:
                raise Lost("timeout", buf)
            except (ConnectionResetError, BrokenPipeError):
                self.alive = False
                raise Lost("reset", buf)
            if not chunk:
                self.alive = False
                raise Lost("disconnected", buf)
            buf += chunk
        return buf

    def send(self, data):
        try:
            self.sock.sendall(data)
        except (ConnectionResetError, BrokenPipeError):
            self.alive = False
            raise Lost("reset", b"")
        except socket.timeout:
            raise Lost("timeout", b"")

    # -- handshake ---------------------------------------------------------

    def handshake(self, name, structured):
        magic, second = struct.unpack(">QQ", self.recv(16))
        if magic != NBDMAGIC:
            raise Lost("bad greeting magic 0x%x" % magic, b"")
        if second == CLISERV:
            self.size, flags = struct.unpack(">QI", self.recv(12))
            self.recv(124)
            self.tflags = flags & 0xFFFF
            return
        if second != IHAVEOPT:
            raise Lost("bad greeting 0x%x" % second, b"")
        (hflags,) = struct.unpack(">H", self.recv(2))
        fixed, nozeroes = hflags & 1, hflags & 2
        self.send(struct.pack(">I", (1 if fixed else 0) | (2 if nozeroes else 0)))
        namebytes = name.encode()
        if not fixed:
            self.send(struct.pack(">QII", IHAVEOPT, OPT_EXPORT_NAME, len(namebytes)) + namebytes)
            self.size, self.tflags = struct.unpack(">QH", self.recv(10))
            if not nozeroes:
                self.recv(124)
            return
        if structured:
            self.send(struct.pack(">QII", IHAVEOPT, OPT_STRUCTURED_REPLY, 0))
            rtype, _ = self.option_reply(OPT_STRUCTURED_REPLY)
            if rtype != REP_ACK:
                raise Lost("STRUCTURED_REPLY refused: 0x%x" % rtype, b"")
            self.structured = True
        data = struct.pack(">I", len(namebytes)) + namebytes + struct.pack(">H", 0)
        self.send(struct.pack(">QII", IHAVEOPT, OPT_GO, len(data)) + data)
        while True:
            rtype, payload = self.option_reply(OPT_GO)
            if rtype == REP_ACK:
                break
            if rtype & 0x80000000:
                raise Lost("GO error 0x%x %r" % (rtype, payload), b"")
            if rtype == REP_INFO and len(payload) >= 12 and payload[:2] == b"\0\0":
                self.size, self.tflags = struct.unpack(">QH", payload[2:12])
        if self.size is None:
            raise Lost("GO without INFO_EXPORT", b"")

    def option_reply(self, opt):
        magic, ropt, rtype, length = struct.unpack(">QIII", self.recv(20))
        if magic != OPT_REPLY or ropt != opt:
            raise Lost("bad option reply 0x%x opt %d" % (magic, ropt), b"")
        return rtype, self.recv(length)

    # -- transmission ------------------------------------------------------

    def request(self, ctype, flags, offset, length, payload=b"", magic=REQ_MAGIC):
        self.cookie += 1
        self.send(struct.pack(">IHHQQI", magic, flags, ctype, self.cookie, offset, length) + payload)
        return self.cookie

    def reply(self, cookie, want_data):
        """Returns (errno, data)."""
        magic = struct.unpack(">I", self.recv(4))[0]
        if magic == SIMPLE_REPLY:
            err, rcookie = struct.unpack(">IQ", self.recv(12))
            if rcookie != cookie:
                raise Lost("bad reply: cookie %d, expected %d" % (rcookie, cookie), b"")
            data = self.recv(want_data) if (want_data and err == 0) else b""
            return err, data
        if magic != STRUCT_REPLY:
            raise Lost("bad reply: magic 0x%08x" % magic, b"")
        if not self.structured:
            raise Lost("bad reply: structured reply not negotiated", b"")
        data = bytearray(want_data)
        err = 0
        while True:
            flags, ctype, rcookie, length = struct.unpack(">HHQI", self.recv(16))
            payload = self.recv(length)
            if rcookie != cookie:
                raise Lost("bad reply: cookie %d, expected %d" % (rcookie, cookie), b"")
            if ctype == 1:                      # OFFSET_DATA
                (off,) = struct.unpack(">Q", payload[:8])
                chunk = payload[8:]
                rel = off - self.last_offset
                data[rel:rel + len(chunk)] = chunk
            elif ctype == 2:                    # OFFSET_HOLE: zeros already
                pass
            elif ctype & 0x8000:                # ERROR, ERROR_OFFSET
                (err,) = struct.unpack(">I", payload[:4])
            if flags & 1:
                return err, bytes(data) if err == 0 else b""


def num(s):
    return int(s, 0)


def errname(e):
    return ERRNO.get(e, "error %d" % e)


def run_step(conn, witness, step):
    parts = step.split(":")
    op = parts[0]
    if op == "sleep":
        time.sleep(float(parts[1]))
        return "ok"
    if op == "info":
        return "size=%d flags=0x%04x" % (conn.size, conn.tflags)
    if op == "witness":
        if witness is None:
            return "no witness connection"
        return run_step(witness, None, "read:0:512")
    if not conn.alive:
        return "not connected"
    if op == "close":
        conn.sock.close()
        conn.alive = False
        return "ok"
    if op == "send":
        conn.send(bytes.fromhex(parts[1]))
        return "ok"
    if op == "recv":
        return "ok " + conn.recv(num(parts[1])).hex()
    if op == "option":
        opt = num(parts[1])
        data = bytes.fromhex(parts[2]) if len(parts) > 2 else b""
        conn.send(struct.pack(">QII", IHAVEOPT, opt, len(data)) + data)
        types = []
        while True:
            try:
                rtype, _ = conn.option_reply(opt)
            except Lost as e:
                if not types:
                    raise
                return "ok " + " ".join(types) + " " + e.args[0]
            types.append("0x%x" % rtype)
            if rtype == REP_ACK or rtype & 0x80000000:
                return "ok " + " ".join(types)
    if op == "disc":
        conn.request(CMD["disc"], 0, 0, 0)
        try:
            extra = conn.sock.recv(1)
        except socket.timeout:
            return "timeout"
        except ConnectionResetError:
            conn.alive = False
            return "reset"
        conn.alive = False
        return "ok" if not extra else "bad reply: data after DISC"
    if op in ("read", "readhex"):
        off, length = num(parts[1]), num(parts[2])
        conn.last_offset = off
        cookie = conn.request(CMD["read"], 0, off, length)
        err, data = conn.reply(cookie, length)
        if err:
            return errname(err)
        return "ok " + data.hex() if op == "readhex" else "ok"
    if op in ("write", "fua"):
        off, length = num(parts[1]), num(parts[2])
        byte = num(parts[3]) if len(parts) > 3 else 0
        flags = 1 if op == "fua" else 0       # NBD_CMD_FLAG_FUA
        cookie = conn.request(CMD["write"], flags, off, length, bytes([byte]) * length)
        err, _ = conn.reply(cookie, 0)
        return errname(err) if err else "ok"
    if op == "badmagic":
        cookie = conn.request(CMD["read"], 0, 0, 512, magic=0xDEADBEEF)
        err, _ = conn.reply(cookie, 512)
        return "bad reply: answered a request with a bad magic (%s)" % (errname(err) if err else "ok")
    if op == "flush":
        ctype, flags, off, length = CMD["flush"], 0, 0, 0
    elif op in ("trim", "zero", "cache"):
        ctype, flags, off, length = CMD[op], 0, num(parts[1]), num(parts[2])
    elif op == "cmd":
        ctype, flags, off, length = (num(p) for p in parts[1:5])
    else:
        raise SystemExit("nbd-raw.py: unknown step %r" % step)
    conn.last_offset = off
    cookie = conn.request(ctype, flags, off, length)
    err, _ = conn.reply(cookie, length if ctype == 0 else 0)
    return errname(err) if err else "ok"


def main(argv):
    name, structured, want_witness, handshake, timeout, linger0 = "", False, False, True, 10.0, False
    args = argv[1:]
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt == "--name":
            name = args.pop(0)
        elif opt == "--structured":
            structured = True
        elif opt == "--witness":
            want_witness = True
        elif opt == "--no-handshake":
            handshake = False
        elif opt == "--timeout":
            timeout = float(args.pop(0))
        elif opt == "--linger0":
            linger0 = True
        else:
            raise SystemExit("nbd-raw.py: unknown option " + opt)
    if not args:
        raise SystemExit(__doc__)
    addr, steps = args[0], args[1:]
    witness = None
    if want_witness:
        witness = Conn(addr, timeout)
        try:
            witness.handshake(name, False)
        except Lost as e:
            print("witness handshake: %s" % e.args[0])
            return 1
    conn = Conn(addr, timeout)
    if handshake:
        try:
            conn.handshake(name, structured)
        except Lost as e:
            print("handshake: %s" % e.args[0])
            return 1
    for step in steps:
        try:
            result = run_step(conn, witness, step)
        except Lost as e:
            result = e.args[0]
            if e.args[1] and step.startswith("recv"):
                result += " " + e.args[1].hex()
        print("%s: %s" % (step, result), flush=True)
    if linger0 and conn.alive:
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.sock.close()
    if witness:
        witness.sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
