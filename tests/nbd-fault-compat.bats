#!/usr/bin/env bats
# nbd-fault's compatible mode: QEMU's nbd-fault-injector.py, as QEMU's
# iotest 083 drives it (qemu-io against a rule that kills the server at a
# chosen byte of the handshake or of a request), plus the injector's
# config errors and output, and the two fixes nbd-fault makes.

load helpers
load nbd-helpers
bats_require_minimum_version 1.5.0

# iotest 083: every event and `when`, over TCP and a Unix socket, with
# qemu-io's outcome from 083.out.

@test "083 neg1 at before, after, 8, 16: qemu-io can't open the device (tcp, unix)" {
	requires qemu-io
	local proto when
	for proto in tcp unix; do
		for when in before after 8 16; do
			check_disconnect "$proto" neg1 "$when" open
		done
	done
}

@test "083 export at before, after, 4, 12, 16: qemu-io can't open the device (tcp, unix)" {
	requires qemu-io
	local proto when
	for proto in tcp unix; do
		for when in before after 4 12 16; do
			check_disconnect "$proto" export "$when" open
		done
	done
}

@test "083 neg2 at before, 8, 10: can't open; after: read fails with EIO (tcp, unix)" {
	requires qemu-io
	local proto when
	for proto in tcp unix; do
		for when in before 8 10; do
			check_disconnect "$proto" neg2 "$when" open
		done
		check_disconnect "$proto" neg2 after eio
	done
}

@test "083 request at before, after: read fails with EIO (tcp, unix)" {
	requires qemu-io
	local proto when
	for proto in tcp unix; do
		for when in before after; do
			check_disconnect "$proto" request "$when" eio
		done
	done
}

@test "083 reply at before, after, 4, 8: read fails with EIO (tcp, unix)" {
	requires qemu-io
	local proto when
	for proto in tcp unix; do
		for when in before after 4 8; do
			check_disconnect "$proto" reply "$when" eio
		done
	done
}

@test "083 data at before: read fails with EIO; after: the read succeeds (tcp, unix)" {
	requires qemu-io
	local proto
	for proto in tcp unix; do
		check_disconnect "$proto" data before eio
		check_disconnect "$proto" data after ok
	done
}

@test "083 neg-classic at before, 8, 16, 24, 28: can't open; after: read fails with EIO (tcp, unix)" {
	requires qemu-io
	local proto when
	for proto in tcp unix; do
		for when in before 8 16 24 28; do
			check_disconnect "$proto" neg-classic "$when" open
		done
		check_disconnect "$proto" neg-classic after eio
	done
}

# Config errors: the injector's messages, exit 1, after the Listening line.

# bad_config TEXT: runs the compatible server on TEXT as its rules file,
# stdout and stderr in one stream, as 083 does.
bad_config() {
	rm -f "$T/bad.sock"
	printf '%s\n' "$1" >"$T/bad.ini"
	run timeout 10 nbd-fault "$T/bad.sock" "$T/bad.ini" 2>&1
}

@test "config: a rule without event: 'missing \"event\" option in NAME', exit 1" {
	bad_config $'[inject-error]\nio=read'
	[ "$status" -eq 1 ]
	[ "$output" = "Listening on $T/bad.sock"$'\n''missing "event" option in inject-error' ]
}

@test "config: an unknown event is refused with the rule's whole name" {
	bad_config $'[inject-error "x"]\nevent=bogus'
	[ "$status" -eq 1 ]
	[ "$output" = "Listening on $T/bad.sock"$'\n''invalid "event" option value "bogus" in inject-error "x"' ]
}

@test "config: the full-mode events are not compatible-mode events" {
	bad_config $'[inject-error]\nevent=option'
	[ "$status" -eq 1 ]
	[ "$output" = "Listening on $T/bad.sock"$'\n''invalid "event" option value "option" in inject-error' ]
}

@test "config: an unknown io is refused" {
	bad_config $'[inject-error]\nevent=neg1\nio=rw'
	[ "$status" -eq 1 ]
	[ "$output" = "Listening on $T/bad.sock"$'\n''invalid "io" option value "rw" in inject-error' ]
}

@test "config: an unknown when is refused" {
	bad_config $'[inject-error]\nevent=neg1\nwhen=later'
	[ "$status" -eq 1 ]
	[ "$output" = "Listening on $T/bad.sock"$'\n''invalid "when" option value "later" in inject-error' ]
}

@test "config: quotes are not stripped and inline comments are part of the value" {
	bad_config $'[inject-error]\nevent="neg1"'
	[ "$status" -eq 1 ]
	[ "${lines[1]}" = 'invalid "event" option value ""neg1"" in inject-error' ]
	bad_config $'[inject-error]\nevent=neg1 # x'
	[ "$status" -eq 1 ]
	[ "${lines[1]}" = 'invalid "event" option value "neg1 # x" in inject-error' ]
}

@test "config: a section that is not inject-error... is refused" {
	bad_config $'[foo]\nevent=neg1'
	[ "$status" -eq 1 ]
	[ "$output" = "Listening on $T/bad.sock"$'\n''invalid config section name: foo' ]
}

@test "config: keys are case-insensitive, unknown keys ignored, ':' works, # and ; comment lines" {
	requires qemu-io
	cfg=$(rules ok <<-'EOF'
	# a comment
	; another
	[inject-error "r"]
	EVENT: request
	colour=blue
	EOF
	)
	start_nbd inj "$T/s.sock" "$cfg"
	run qio "$(qemu_uri "$NBD_ADDR" foo)" "read 0 512"
	[[ "$output" == *"read failed: Input/output error"* ]]
	nbd_wait_exit inj
	[ "$NBD_STATUS" -eq 0 ]
	[ "$(tail -n 1 "$T/inj.out")" = 'Closing connection on rule match inject-error "r"' ]
}

@test "the wrong number of arguments: the injector's usage on stderr, exit 1" {
	run --separate-stderr nbd-fault "$T/s.sock"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ "${stderr_lines[0]}" == "usage: "*"nbd-fault [--classic-negotiation] <tcp-port>|<unix-path> <config-file>" ]]
	[ "${stderr_lines[1]}" = "Run an fault injector NBD server with rules defined in a config file." ]
	[ ! -e "$T/s.sock" ]
}

# The server as the injector is: address, disk, one connection at a time.

@test "TCP port 0: the Listening line has the port it got, and it serves there" {
	requires qemu-io
	: >"$T/empty.ini"
	start_nbd inj 127.0.0.1:0 "$T/empty.ini"
	[[ "$NBD_ADDR" =~ ^127\.0\.0\.1:[0-9]+$ ]]
	[ "${NBD_ADDR#*:}" -gt 0 ]
	run qio "$(qemu_uri "$NBD_ADDR" foo)" "read 0 512"
	[ "$status" -eq 0 ]
	[[ "$output" == *"read 512/512 bytes at offset 0"* ]]
}

@test "the Unix socket file is left in place after a rule ends the server" {
	requires qemu-io
	printf '[inject-error]\nevent=neg1\n' >"$T/r.ini"
	start_nbd inj "$T/s.sock" "$T/r.ini"
	run qio "$(qemu_uri "$NBD_ADDR" foo)" "read 0 512"
	nbd_wait_exit inj
	[ "$NBD_STATUS" -eq 0 ]
	[ -S "$T/s.sock" ]
}

@test "an empty rules file: an 8 GiB disk that reads zeros and discards writes" {
	requires qemu-io
	: >"$T/empty.ini"
	start_nbd inj "$T/s.sock" "$T/empty.ini"
	run qio "$(qemu_uri "$NBD_ADDR" foo)" "write -P 0x55 0 4096" "read -P 0 0 4096" "read -P 0 8589930496 4096"
	[ "$status" -eq 0 ]
	[[ "$output" != *failed* ]]
	kill -0 "$(peer_pid inj)"
}

@test "the newstyle handshake is non-fixed, with HAS_FLAGS in the transmission flags" {
	: >"$T/empty.ini"
	start_nbd inj "$T/s.sock" "$T/empty.ini"
	run nbd_raw --no-handshake "$T/s.sock" recv:18
	[ "$output" = "recv:18: ok 4e42444d4147494349484156454f50540000" ]
	run nbd_raw --name foo "$T/s.sock" info read:0:512 disc
	[ "${lines[0]}" = "info: size=8589934592 flags=0x0001" ]
	[ "${lines[1]}" = "read:0:512: ok" ]
	[ "${lines[2]}" = "disc: ok" ]
}

@test "nbdinfo accepts the compatible server (HAS_FLAGS)" {
	requires nbdinfo
	: >"$T/empty.ini"
	start_nbd inj "$T/s.sock" "$T/empty.ini"
	run nbdinfo --json "$(nbd_uri "$NBD_ADDR" foo)"
	[ "$status" -eq 0 ]
	[ "$(jq -r .protocol <<<"$output")" = newstyle ]
	[ "$(jq -r '.exports[0]["export-size"]' <<<"$output")" = 8589934592 ]
}

@test "--classic-negotiation: oldstyle, 8 GiB, HAS_FLAGS" {
	requires nbdinfo
	: >"$T/empty.ini"
	start_nbd inj --classic-negotiation "$T/s.sock" "$T/empty.ini"
	run nbd_raw "$T/s.sock" info
	[ "$output" = "info: size=8589934592 flags=0x0001" ]
	run nbdinfo --json "$(nbd_uri "$NBD_ADDR")"
	[ "$status" -eq 0 ]
	[ "$(jq -r .protocol <<<"$output")" = oldstyle ]
}

@test "a client hanging up in the middle of a message does not stop the server" {
	requires qemu-io
	: >"$T/empty.ini"
	start_nbd inj "$T/s.sock" "$T/empty.ini"
	run nbd_raw --no-handshake "$T/s.sock" recv:18 send:0000000049484156 close
	[ "${lines[1]}" = "send:0000000049484156: ok" ]
	run nbd_raw --name foo "$T/s.sock" read:0:512 send:2560951300000000 close
	[ "${lines[0]}" = "read:0:512: ok" ]
	run qio "$(qemu_uri "$NBD_ADDR" foo)" "read 0 512"
	[ "$status" -eq 0 ]
	kill -0 "$(peer_pid inj)"
}

@test "an unrecognized command closes that connection only, and is reported on stdout" {
	requires qemu-io
	: >"$T/empty.ini"
	start_nbd inj "$T/s.sock" "$T/empty.ini"
	run nbd_raw --name foo "$T/s.sock" flush
	[ "$output" = "flush: disconnected" ]
	run qio "$(qemu_uri "$NBD_ADDR" foo)" "read 0 512"
	[ "$status" -eq 0 ]
	wait_until 5 "the unrecognized line" grep -qx 'unrecognized command type 0x3' "$T/inj.out"
}

@test "io=read on data fires on a WRITE's payload, not on a READ's data" {
	requires qemu-io
	printf '[inject-error "w"]\nevent=data\nio=read\n' >"$T/r.ini"
	start_nbd inj "$T/s.sock" "$T/r.ini"
	run qio "$(qemu_uri "$NBD_ADDR" foo)" "read 0 512"
	[ "$status" -eq 0 ]
	kill -0 "$(peer_pid inj)"
	run qio "$(qemu_uri "$NBD_ADDR" foo)" "write 0 512"
	[[ "$output" == *"write failed"* ]]
	nbd_wait_exit inj
	[ "$NBD_STATUS" -eq 0 ]
	[ "$(tail -n 1 "$T/inj.out")" = 'Closing connection on rule match inject-error "w"' ]
}

@test "several matching rules: the first non-after rule truncates, the first match names" {
	cfg=$(rules two <<-'EOF'
	[inject-error "a"]
	event=neg1
	when=after
	[inject-error "b"]
	event=neg1
	when=8
	EOF
	)
	start_nbd inj "$T/s.sock" "$cfg"
	run nbd_raw --no-handshake "$T/s.sock" recv:18
	[ "$output" = "recv:18: disconnected 4e42444d41474943" ]
	nbd_wait_exit inj
	[ "$NBD_STATUS" -eq 0 ]
	[ "$(tail -n 1 "$T/inj.out")" = 'Closing connection on rule match inject-error "a"' ]
}

@test "request before: the server hangs up right after the handshake, without waiting for a request" {
	printf '[inject-error]\nevent=request\nwhen=before\n' >"$T/r.ini"
	start_nbd inj "$T/s.sock" "$T/r.ini"
	run nbd_raw --timeout 5 --name foo "$NBD_ADDR" recv:1
	[ "$output" = "recv:1: disconnected" ]
	nbd_wait_exit inj
	[ "$NBD_STATUS" -eq 0 ]
}

@test "a rule for another direction never fires: neg1 with io=read" {
	requires qemu-io
	printf '[inject-error]\nevent=neg1\nio=read\n' >"$T/r.ini"
	start_nbd inj "$T/s.sock" "$T/r.ini"
	run qio "$(qemu_uri "$NBD_ADDR" foo)" "read 0 512"
	[ "$status" -eq 0 ]
	kill -0 "$(peer_pid inj)"
}

# Stopping: the injector dies of SIGTERM; nbd-fault ends every wait on it
# and exits 0, as in the full mode.

@test "SIGTERM ends the server within 2 s while a client idles after the handshake" {
	: >"$T/empty.ini"
	start_nbd inj "$T/s.sock" "$T/empty.ini"
	nbd_client client --name foo "$NBD_ADDR" info sleep:30
	wait_until 10 "the handshake" grep -q '^info: ' "$T/client.out"
	nbd_term_within inj 2000
	[ "$NBD_STATUS" -eq 0 ]
}

@test "SIGTERM ends the server within 2 s in the middle of the handshake" {
	: >"$T/empty.ini"
	start_nbd inj "$T/s.sock" "$T/empty.ini"
	nbd_client client --no-handshake "$NBD_ADDR" recv:18 send:00000000 sleep:30
	wait_until 10 "the client flags" grep -q '^send:00000000: ok' "$T/client.out"
	nbd_term_within inj 2000
	[ "$NBD_STATUS" -eq 0 ]
}

@test "SIGTERM ends the server within 2 s while a reply waits for the client to read" {
	: >"$T/empty.ini"
	start_nbd inj "$T/s.sock" "$T/empty.ini"
	nbd_client client --name foo "$NBD_ADDR" send:$NBD_BIG_READ sleep:30
	wait_until 10 "the request" grep -q '^send:' "$T/client.out"
	nbd_term_within inj 2000
	[ "$NBD_STATUS" -eq 0 ]
}

@test "SIGTERM ends the server within 2 s while a rule stalls the client" {
	printf '[inject-error s]\nevent=reply\naction=stall\n' >"$T/r.ini"
	start_nbd inj --compat --log-json "$T/s.sock" "$T/r.ini"
	nbd_client client --name foo --timeout 50 "$NBD_ADDR" read:0:512
	wait_until 10 "the stall" grep -q '"action":"stall"' "$T/inj.out"
	nbd_term_within inj 2000
	[ "$NBD_STATUS" -eq 0 ]
}

# Opt-in: QEMU's own iotest 083 and injector, from a QEMU source tree.

@test "QEMU's iotest 083 passes with nbd-fault, and the bytes on the wire match the injector's (VT_QEMU_SRC)" {
	[ -n "${VT_QEMU_SRC:-}" ] ||
		skip "set VT_QEMU_SRC to an extracted QEMU source tree (apt-get source qemu) to compare with QEMU's own injector"
	requires qemu-io python3
	run "$VT_ROOT/tests/compat/run-083.sh" "$VT_QEMU_SRC"
	echo "$output"
	[ "$status" -eq 0 ]
}
