#!/usr/bin/env bats
# The C unit tests of lib/, one program per file (tests/unit/test-*.c).

load helpers

unit() {
	run "$VT_TESTBIN/test-$1"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "backend: zero, memory, pattern, file" { unit backend; }
@test "base64: RFC 4648 vectors, every byte, padding, in-place decoding" { unit base64; }
@test "cachedir: XDG_CACHE_HOME, else HOME, made private; pruning the least recently used and dead runs' temporary files" { unit cachedir; }
@test "child: stop with grace (SIGTERM, SIGKILL after it, already gone), waits through EINTR, pidfd or not, siblings untouched" { unit child; }
@test "cpio: newc headers, parents, padding, names, write errors" { unit cpio; }
@test "deadline: never, passed, poll timeouts, bounded sleeps" { unit deadline; }
@test "fdio: whole writes through partial ones and EINTR, EPIPE, EBADF" { unit fdio; }
@test "jsonl: whole-line parsing, one-line encoding, excerpts" { unit jsonl; }
@test "kimage: kernel image headers at their least size and below it, payloads to the end and past it, names that do not end, the PVH note; le: byte order" { unit kimage; }
@test "linereader: CRLF, pieces, NULs, EOF, maximum, sentinel skipping" { unit linereader; }
@test "parse: numbers in a range, durations and sizes, bounds, formatting back" { unit parse; }
@test "powercut: what a power cut keeps: all, none, the first K, a prefix, a coin per write" { unit powercut; }
@test "qga: version tuples, exec-status and file-read decoding" { unit qga; }
@test "rules: the rule file grammar, compat errors, matching" { unit rules; }
@test "sanitize: escapes, CR, tabs, UTF-8, widths, clipping, bounded lines" { unit sanitize; }
@test "snapfile: whole entries open at their stream; corrupt, truncated, foreign and empty ones do not; eviction by recency within the cap, dead runs' temporary files, idle locks" { unit snapfile; }
@test "sock: addresses, listening on paths and port 0, connecting" { unit sock; }
@test "stop: a stop signal before or during a wait ends it, SIGCHLD does not, acknowledging, a watched pidfd" { unit stop; }
@test "window: frames, cursor arithmetic, erasing, skipping, terminal rows" { unit window; }
@test "xalloc: sizes of 0, contents kept, out of memory is one line and 71; diag: errno reasons, errno kept" { unit xalloc; }

@test "every unit test program has a test here" {
	local f n
	for f in "$VT_ROOT"/tests/unit/test-*.c; do
		n=$(basename "$f" .c)
		grep -q "unit ${n#test-};" "$BATS_TEST_FILENAME"
	done
}
