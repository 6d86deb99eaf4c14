# toml-targets: a vmtest.toml read by Python's own TOML parser (tomllib),
# printed for qemu-launch as JSON lines: each [[target]] and each value
# of one, with the line it was written on.  qemu-launch embeds this file
# and runs it as `python3 -I -c SCRIPT FILE`; it alone judges the keys
# (configtoml.c), so this knows only TOML and the [[target]] array.
#
#   {"line": L, "error": "..."}               the file cannot be read
#   {"line": L, "target": I}                  target I begins
#   {"target": I, "key": [...], "lines": [...], "type": T, "value": V}
#                                             one value of target I
#   {"key": [...], "lines": [...], "type": T, "value": V}
#                                             a value outside [[target]]
#   {"end": true}                             all was said
#
# "key" is the path of the value below its target (["vm", "memory"]),
# "lines" the line each part of it was first written on, "type" its TOML
# type.  Tables are walked down to their values; an empty one is a value
# of type "table".  Line numbers come from the parser too: a line starts
# a statement if the text before it parses and the line is neither blank
# nor a comment, and what a statement wrote is what the document holds
# once it is parsed with that statement and not before.

import datetime
import json
import math
import re
import sys

MAX_BYTES = 1 << 20


def say(obj):
    sys.stdout.write(json.dumps(obj) + "\n")


try:
    import tomllib
except ImportError:
    say({"error": "python3 %d.%d has no tomllib: reading a .toml file "
         "needs python3 3.11 or later" % sys.version_info[:2]})
    say({"end": True})
    sys.exit(0)


def parses(text):
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None


def type_name(v):
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "table"
    return "datetime"


def plain(v):
    """v as JSON holds it: what JSON has no place for becomes null."""
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (datetime.date, datetime.time)):
        return None
    return v


def paths(node, path, out):
    """Every path of the document: tables' keys and arrays' items."""
    out.add(path)
    if isinstance(node, dict):
        for k, v in node.items():
            paths(v, path + (k,), out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            paths(v, path + (i,), out)
    return out


def statements(text):
    """The statements' first lines (1-based) and offsets."""
    found, start, pending = [], 0, None
    for number, line in enumerate(text.split("\n"), 1):
        # One statement parses alone once it is complete; until then the
        # line is inside it (a multi-line string or array).
        if pending is not None and parses(text[pending:start]) is not None:
            pending = None
        body = line.strip(" \t\r")
        if pending is None and body != "" and not body.startswith("#"):
            found.append((number, start))
            pending = start
        start += len(line) + 1
    return found


def first_lines(text):
    """The line each path of the document was first written on."""
    line_of, seen = {}, set()
    marks = statements(text)
    for j, (number, offset) in enumerate(marks):
        end = marks[j + 1][1] if j + 1 < len(marks) else len(text)
        doc = parses(text[:end])
        if doc is None:
            continue    # not a whole statement: the next one says it
        for p in paths(doc, (), set()) - seen:
            line_of[p] = number
        seen |= line_of.keys()
    return line_of


def values(node, top, key, line_of, where):
    """Each value below node (at top + key), tables walked down."""
    for k, v in node.items():
        if isinstance(v, dict) and v:
            values(v, top, key + (k,), line_of, where)
            continue
        p = key + (k,)
        obj = dict(where)
        obj["key"] = list(p)
        obj["lines"] = [line_of.get(top + p[:i], 0)
                        for i in range(1, len(p) + 1)]
        obj["type"] = type_name(v)
        obj["value"] = plain(v)
        say(obj)


def main():
    path = sys.argv[1]
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as e:
        say({"error": e.strerror or str(e)})
        return
    if len(data) > MAX_BYTES:
        say({"error": "over %d bytes: too big for a config" % MAX_BYTES})
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        say({"line": data[:e.start].count(b"\n") + 1, "error": "not UTF-8"})
        return
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        msg, line = str(e), 0
        m = re.search(r" \(at line (\d+), column (\d+)\)$", msg)
        if m:
            msg, line = msg[:m.start()] + " (column %s)" % m.group(2), \
                int(m.group(1))
        elif msg.endswith(" (at end of document)"):
            line = text.count("\n") + 1
        say({"line": line, "error": msg})
        return
    line_of = first_lines(text)
    targets = doc.pop("target", None)
    if isinstance(targets, list) and all(isinstance(t, dict)
                                         for t in targets):
        for i, t in enumerate(targets):
            say({"line": line_of.get(("target", i), 0), "target": i})
            values(t, ("target", i), (), line_of, {"target": i})
    elif targets is not None:
        doc = {"target": targets, **doc}
    values(doc, (), (), line_of, {})


main()
say({"end": True})
