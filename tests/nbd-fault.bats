#!/usr/bin/env bats
# nbd-fault's full mode against real clients: qemu-io and qemu-img
# (QEMU's NBD client), nbdinfo and nbdcopy (libnbd), and tests/nbd-raw.py
# for requests no real client sends.  Each test starts its own server.

load helpers
load nbd-helpers
bats_require_minimum_version 1.5.0

# The command line.

@test "-h prints the usage and exits 0" {
	run nbd-fault -h
	[ "$status" -eq 0 ]
	[[ "$output" == *"--backend"* ]]
	[[ "$output" == *"--classic-negotiation"* ]]
}

@test "-V prints the version and exits 0" {
	run nbd-fault -V
	[ "$status" -eq 0 ]
	[[ "$output" == *[0-9].[0-9]* ]]
}

@test "an unknown option is a usage error: exit 2, nothing listens" {
	run --separate-stderr nbd-fault --no-such-option "$T/s.sock"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ -n "$stderr" ]
	[ ! -e "$T/s.sock" ]
}

@test "an unknown backend is a usage error: exit 2" {
	run --separate-stderr nbd-fault -b floppy "$T/s.sock"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ ! -e "$T/s.sock" ]
}

@test "a rules file error names FILE:LINE, exits 2, before listening" {
	cfg=$(rules bad <<-'EOF'
	[inject-error "a"]
	event=request
	action=explode
	EOF
	)
	run --separate-stderr timeout 10 nbd-fault -b memory "$T/s.sock" "$cfg"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == *"$cfg:3"* ]]
	[ ! -e "$T/s.sock" ]
}

@test "in full mode an unknown key is an error with its line" {
	cfg=$(rules bad <<-'EOF'
	# comment
	[inject-error "a"]
	event=request

	colour=blue
	EOF
	)
	run --separate-stderr timeout 10 nbd-fault -b memory "$T/s.sock" "$cfg"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"$cfg:5"* ]]
	[ ! -e "$T/s.sock" ]
}

@test "in full mode a bad event value is an error with its line" {
	printf '[inject-error "a"]\nevent=neg3\n' >"$T/bad.ini"
	run --separate-stderr timeout 10 nbd-fault -r "$T/s.sock" "$T/bad.ini"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"$T/bad.ini:2"* ]]
}

@test "--compat keeps the injector's config errors: Listening first, exit 1" {
	printf '[inject-error]\nio=read\n' >"$T/bad.ini"
	run timeout 10 nbd-fault --compat --once "$T/s.sock" "$T/bad.ini" 2>&1
	[ "$status" -eq 1 ]
	[ "$output" = "Listening on $T/s.sock"$'\n''missing "event" option in inject-error' ]
}

@test "a ready line that cannot be written is 71, named, and leaves no socket or pid file" {
	run bash -c 'timeout 10 nbd-fault -b memory -s 1M --pidfile "$1/pid" "$1/s.sock" >/dev/full' _ "$T"
	[ "$status" -eq 71 ]
	[ "$output" = "nbd-fault: error: stdout: No space left on device" ]
	[ ! -e "$T/s.sock" ]
	[ ! -e "$T/pid" ]
	run bash -c 'timeout 10 nbd-fault -b memory -s 1M --log-json "$1/s.sock" >/dev/full' _ "$T"
	[ "$status" -eq 71 ]
	[ "$output" = "nbd-fault: error: stdout: No space left on device" ]
	[ ! -e "$T/s.sock" ]
}

@test "--seed is a plain decimal number" {
	run --separate-stderr nbd-fault --seed 1K -b memory "$T/s.sock"
	[ "$status" -eq 2 ]
	[ "$stderr" = "nbd-fault: error: --seed: '1K' is not a number from 0 to 18446744073709551615" ]
	[ ! -e "$T/s.sock" ]
}

@test "TCP port 0: the ready line has the real port, and clients reach it" {
	requires nbdinfo
	start_nbd srv -b memory -s 1M 127.0.0.1:0
	[[ "$NBD_ADDR" =~ ^127\.0\.0\.1:[0-9]+$ ]]
	[ "${NBD_ADDR#*:}" -gt 0 ]
	[ "$(cat "$T/srv.out")" = "Listening on $NBD_ADDR" ]
	run nbdinfo --size "nbd://$NBD_ADDR"
	[ "$status" -eq 0 ]
	[ "$output" = 1048576 ]
}

@test "SIGTERM: exit 0" {
	start_nbd srv -b memory "$T/s.sock"
	kill -TERM "$(peer_pid srv)"
	nbd_wait_exit srv
	[ "$NBD_STATUS" -eq 0 ]
}

@test "SIGTERM with a client connected: exit 0" {
	requires qemu-io stdbuf
	start_nbd srv -b memory -s 1M "$T/s.sock"
	start_peer client timeout 60 stdbuf -oL qemu-io -f raw -c "read 0 512" -c "sleep 20000" "$(nbd_uri "$NBD_ADDR")"
	wait_until 10 "the client's read" grep -q '^read 512/512' "$T/client.out"
	kill -TERM "$(peer_pid srv)"
	nbd_wait_exit srv
	[ "$NBD_STATUS" -eq 0 ]
}

@test "--once: serves one connection, then exits 0" {
	requires nbdinfo
	start_nbd srv --once -b memory -s 1M "$T/s.sock"
	run nbdinfo --size "$(nbd_uri "$NBD_ADDR")"
	[ "$output" = 1048576 ]
	nbd_wait_exit srv
	[ "$NBD_STATUS" -eq 0 ]
}

@test "--pidfile: the file holds the server's pid" {
	start_nbd srv --pidfile "$T/pid" -b memory "$T/s.sock"
	wait_for_path "$T/pid"
	[ "$(cat "$T/pid")" = "$(peer_pid srv)" ]
}

@test "--exit-with-parent: the server goes when its parent is killed" {
	start_peer parent bash -c "nbd-fault --exit-with-parent --pidfile '$T/pid' -b memory '$T/s.sock' & wait"
	wait_for_path "$T/pid"
	local pid
	pid=$(cat "$T/pid")
	kill -0 "$pid"
	kill -KILL "$(peer_pid parent)"
	wait_for_gone "$pid" 5
}

@test "--log-json: the ready line is a JSON object" {
	start_nbd srv --log-json -b memory "$T/s.sock"
	[ "$(head -n 1 "$T/srv.out" | jq -r .listening)" = "$T/s.sock" ]
	[ "$NBD_ADDR" = "$T/s.sock" ]
}

@test "the Unix socket file goes when the full-mode server exits" {
	start_nbd srv -b memory "$T/s.sock"
	[ -S "$T/s.sock" ]
	kill -TERM "$(peer_pid srv)"
	nbd_wait_exit srv
	[ ! -e "$T/s.sock" ]
}

# Stopping: every wait ends on SIGTERM, whatever the mode and the state of
# the client, and the server exits 0 (the man page's status for a signal).

@test "--once: SIGTERM ends it within 2 s while its client idles after the handshake" {
	start_nbd srv --once -b memory -s 1M "$T/s.sock"
	nbd_client client "$NBD_ADDR" info sleep:30
	wait_until 10 "the handshake" grep -q '^info: ' "$T/client.out"
	nbd_term_within srv 2000
	[ "$NBD_STATUS" -eq 0 ]
	[ ! -e "$T/s.sock" ]
}

@test "--once: SIGTERM ends it within 2 s in the middle of the handshake" {
	start_nbd srv --once -b memory -s 1M "$T/s.sock"
	nbd_client client --no-handshake "$NBD_ADDR" recv:18 sleep:30
	wait_until 10 "the greeting" grep -q '^recv:18: ok' "$T/client.out"
	nbd_term_within srv 2000
	[ "$NBD_STATUS" -eq 0 ]
}

@test "--once: SIGTERM ends it within 2 s while a reply waits for the client to read" {
	start_nbd srv --once "$T/s.sock"
	nbd_client client "$NBD_ADDR" send:$NBD_BIG_READ sleep:30
	wait_until 10 "the request" grep -q '^send:' "$T/client.out"
	nbd_term_within srv 2000
	[ "$NBD_STATUS" -eq 0 ]
}

@test "--once: SIGTERM ends it within 2 s during a delay rule's pause" {
	printf '[inject-error d]\nevent=reply\ndelay=60s\n' >"$T/r.ini"
	start_nbd srv --once -b memory -s 1M "$T/s.sock" "$T/r.ini"
	nbd_client client --timeout 50 "$NBD_ADDR" read:0:512
	wait_until 10 "the delay" grep -q 'injecting delay' "$T/srv.err"
	nbd_term_within srv 2000
	[ "$NBD_STATUS" -eq 0 ]
}

@test "--once --exit-with-parent: the server goes with its parent while a client idles" {
	start_peer parent bash -c "nbd-fault --once --exit-with-parent --pidfile '$T/pid' -b memory -s 1M '$T/s.sock' & wait"
	wait_for_path "$T/pid"
	local pid
	pid=$(cat "$T/pid")
	nbd_client client "$T/s.sock" info sleep:30
	wait_until 10 "the handshake" grep -q '^info: ' "$T/client.out"
	kill -KILL "$(peer_pid parent)"
	wait_for_gone "$pid" 2
}

# The threads see the signal too: the server does not wait out the second
# it gives them.
@test "SIGTERM ends the full server and its threads at once, with clients mid-handshake, idle and mid-reply" {
	start_nbd srv -b zero "$T/s.sock"
	nbd_client shaking --no-handshake "$NBD_ADDR" recv:18 sleep:30
	nbd_client idle "$NBD_ADDR" info sleep:30
	nbd_client reading "$NBD_ADDR" send:$NBD_BIG_READ sleep:30
	wait_until 10 "the greeting" grep -q '^recv:18: ok' "$T/shaking.out"
	wait_until 10 "the handshake" grep -q '^info: ' "$T/idle.out"
	wait_until 10 "the request" grep -q '^send:' "$T/reading.out"
	nbd_term_within srv 900
	[ "$NBD_STATUS" -eq 0 ]
}

# Out of file descriptors: the server refuses what it cannot take, without
# spinning, and takes clients again once descriptors are free.

@test "out of file descriptors: no spinning, said once, its clients served, new ones served when descriptors free up" {
	start_peer srv bash -c 'ulimit -n 32 && exec nbd-fault -b memory -s 1M "$1"' - "$T/s.sock"
	nbd_wait_ready srv
	local pid idle before used
	pid=$(peer_pid srv)
	idle=$(open_sockets "$pid")
	nbd_client held "$NBD_ADDR" write:0:512:0x55 sleep:3 readhex:0:4
	wait_until 10 "the held client's write" grep -q '^write:0:512:0x55: ok' "$T/held.out"
	nbd_flood flood "$NBD_ADDR" 40
	wait_until 10 "the flood's connections" grep -q '^connected 40' "$T/flood.out"
	wait_until 10 "the server at its descriptor limit" fds_at_least "$pid" 32
	before=$(cpu_ticks "$pid")
	sleep 2
	used=$(( $(cpu_ticks "$pid") - before ))
	if (( used > 20 )); then
		echo "the server used $used ticks of CPU in 2 s at its descriptor limit" >&2
		return 1
	fi
	[ "$(grep -c 'out of file descriptors' "$T/srv.err")" -eq 1 ]
	wait_until 10 "the held client's read" grep -q '^readhex:0:4: ok 55555555$' "$T/held.out"
	kill -TERM "$(peer_pid flood)"
	wait_until 10 "the clients' sockets to be closed" sockets_below "$pid" $(( idle + 1 ))
	run nbd_raw "$NBD_ADDR" readhex:0:4
	[ "$output" = "readhex:0:4: ok 55555555" ]
	[ "$(grep -c 'out of file descriptors' "$T/srv.err")" -eq 1 ]
}

# What clients see: nbdinfo.

@test "nbdinfo --json: fixed newstyle, structured replies, base:allocation, the size" {
	requires nbdinfo
	start_nbd srv -b memory -s 4M "$T/s.sock"
	run nbdinfo --json "$(nbd_uri "$NBD_ADDR")"
	[ "$status" -eq 0 ]
	jq -e '.protocol == "newstyle-fixed" and .structured == true' <<<"$output"
	jq -e '.exports[0]["export-size"] == 4194304' <<<"$output"
	jq -e '.exports[0].contexts | index("base:allocation") != null' <<<"$output"
	jq -e '.exports[0].is_read_only == false' <<<"$output"
	jq -e '.exports[0].can_flush and .exports[0].can_fua and .exports[0].can_trim and .exports[0].can_zero' <<<"$output"
	jq -e '.exports[0].can_fast_zero and .exports[0].can_cache' <<<"$output"
}

@test "the default export is 8 GiB" {
	requires nbdinfo
	start_nbd srv -b zero "$T/s.sock"
	run nbdinfo --size "$(nbd_uri "$NBD_ADDR")"
	[ "$status" -eq 0 ]
	[ "$output" = 8589934592 ]
}

@test "-r: nbdinfo sees a read-only export" {
	requires nbdinfo
	start_nbd srv -r -b memory -s 1M "$T/s.sock"
	run nbdinfo --json "$(nbd_uri "$NBD_ADDR")"
	jq -e '.exports[0].is_read_only == true' <<<"$output"
}

@test "--multi-conn: nbdinfo sees CAN_MULTI_CONN, and not without it" {
	requires nbdinfo
	start_nbd srv --multi-conn -b memory -s 1M "$T/s.sock"
	run nbdinfo --json "$(nbd_uri "$NBD_ADDR")"
	jq -e '.exports[0].can_multi_conn == true' <<<"$output"
	start_nbd srv2 -b memory -s 1M "$T/s2.sock"
	run nbdinfo --json "$(nbd_uri "$NBD_ADDR")"
	jq -e '.exports[0].can_multi_conn == false' <<<"$output"
}

@test "-n NAME: nbdinfo --list lists it, that name opens, another does not" {
	requires nbdinfo
	start_nbd srv -n disk1 -b memory -s 1M "$T/s.sock"
	run nbdinfo --list --json "$(nbd_uri "$NBD_ADDR")"
	[ "$status" -eq 0 ]
	jq -e '[.exports[]["export-name"]] == ["disk1"]' <<<"$output"
	run nbdinfo --size "$(nbd_uri "$NBD_ADDR" disk1)"
	[ "$status" -eq 0 ]
	[ "$output" = 1048576 ]
	run nbdinfo --size "$(nbd_uri "$NBD_ADDR" disk2)"
	[ "$status" -ne 0 ]
	run nbd_raw --name disk2 "$NBD_ADDR" info
	[[ "$output" == "handshake: GO error 0x80000006"* ]]	# ERR_UNKNOWN
}

@test "without -n any export name opens" {
	requires nbdinfo
	start_nbd srv -b memory -s 1M "$T/s.sock"
	run nbdinfo --size "$(nbd_uri "$NBD_ADDR" whatever)"
	[ "$status" -eq 0 ]
	[ "$output" = 1048576 ]
	run nbdinfo --list "$(nbd_uri "$NBD_ADDR")"
	[ "$status" -eq 0 ]
}

@test "nbdinfo --map: base:allocation shows written data and the holes" {
	requires nbdinfo qemu-io
	start_nbd srv -b memory -s 1M "$T/s.sock"
	run qio "$(nbd_uri "$NBD_ADDR")" "write -P 0x11 0 64k"
	[ "$status" -eq 0 ]
	run nbdinfo --map "$(nbd_uri "$NBD_ADDR")"
	[ "$status" -eq 0 ]
	# offset length type description; the first extent is data from 0,
	# the last one a hole up to the end.
	read -r off len type _ <<<"${lines[0]}"
	[ "$off" = 0 ] && [ "$type" = 0 ]
	[ "$len" -ge 65536 ] && [ "$len" -lt 1048576 ]
	read -r off len type _ <<<"${lines[-1]}"
	[ "$type" = 3 ]
	[ $((off + len)) -eq 1048576 ]
}

@test "nbdinfo --map on the zero backend: one hole,zero extent" {
	requires nbdinfo
	start_nbd srv -s 1G "$T/s.sock"
	run nbdinfo --map "$(nbd_uri "$NBD_ADDR")"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	read -r off len type desc <<<"${lines[0]}"
	[ "$off $len $type $desc" = "0 1073741824 3 hole,zero" ]
}

# Data integrity: qemu-img, nbdcopy, qemu-io, the backends.

@test "qemu-img convert into a memory export, then qemu-img compare: identical" {
	requires qemu-img
	head -c 4194304 /dev/urandom >"$T/img"
	start_nbd srv -b memory -s 4M "$T/s.sock"
	run qemu-img convert -n -f raw -O raw "$T/img" "$(nbd_uri "$NBD_ADDR")"
	[ "$status" -eq 0 ]
	run qemu-img compare -f raw -F raw "$T/img" "$(nbd_uri "$NBD_ADDR")"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Images are identical"* ]]
	run qemu-img convert -f raw -O raw "$(nbd_uri "$NBD_ADDR")" "$T/back"
	cmp "$T/img" "$T/back"
}

@test "nbdcopy a file into a memory export and back: the same bytes" {
	requires nbdcopy
	head -c 3145728 /dev/urandom >"$T/in"
	start_nbd srv -b memory -s 3M "$T/s.sock"
	run nbdcopy "$T/in" "$(nbd_uri "$NBD_ADDR")"
	[ "$status" -eq 0 ]
	run nbdcopy "$(nbd_uri "$NBD_ADDR")" "$T/out"
	[ "$status" -eq 0 ]
	cmp "$T/in" "$T/out"
}

@test "nbdcopy over TCP with --multi-conn: the same bytes" {
	requires nbdcopy
	head -c 8388608 /dev/urandom >"$T/in"
	start_nbd srv --multi-conn -b memory -s 8M 127.0.0.1:0
	run nbdcopy --connections=4 "$T/in" "$(nbd_uri "$NBD_ADDR")"
	[ "$status" -eq 0 ]
	run nbdcopy --connections=4 "$(nbd_uri "$NBD_ADDR")" "$T/out"
	[ "$status" -eq 0 ]
	cmp "$T/in" "$T/out"
}

@test "qemu-io: write, FUA write, write zeroes, discard, flush on a memory export" {
	requires qemu-io
	start_nbd srv -b memory -s 1M "$T/s.sock"
	run qio "$(nbd_uri "$NBD_ADDR")" \
		"write -P 0xaa 0 64k" "write -f -P 0xbb 64k 4k" "write -z 0 4k" \
		"discard 8k 4k" "flush" \
		"read -P 0 0 4k" "read -P 0xaa 4k 4k" "read -P 0 8k 4k" \
		"read -P 0xaa 12k 52k" "read -P 0xbb 64k 4k" "read -P 0 68k 4k"
	[ "$status" -eq 0 ]
	[[ "$output" != *failed* ]]
	# and a second connection sees the same data
	run qio "$(nbd_uri "$NBD_ADDR")" "read -P 0xbb 64k 4k" "read -P 0xaa 60k 4k"
	[ "$status" -eq 0 ]
}

@test "qemu-io: write -z -u and a fast zero (write -z -n)" {
	requires qemu-io
	start_nbd srv -b memory -s 1M "$T/s.sock"
	run qio "$(nbd_uri "$NBD_ADDR")" "write -P 0x33 0 64k" "write -z -u 0 16k" "write -z -n 16k 16k" \
		"read -P 0 0 32k" "read -P 0x33 32k 32k"
	[ "$status" -eq 0 ]
	[[ "$output" != *failed* ]]
}

@test "16 qemu-io clients at once, each writing and reading back its own MiB" {
	requires qemu-io stdbuf
	start_nbd srv -b memory -s 16M 127.0.0.1:0
	local i uri
	uri=$(nbd_uri "$NBD_ADDR")
	for i in $(seq 0 15); do
		start_peer "c$i" timeout 120 stdbuf -oL qemu-io -f raw -c "write -P $((i + 1)) ${i}M 1M" \
			-c "sleep 8000" -c "read -P $((i + 1)) ${i}M 1M" "$uri"
	done
	# All 16 have written before the first one wakes up: they were
	# connected and served at the same time.
	for i in $(seq 0 15); do
		wait_until 7 "client $i's write" grep -q "^wrote 1048576/1048576" "$T/c$i.out"
	done
	for i in $(seq 0 15); do
		nbd_wait_exit "c$i" 60
		[ "$NBD_STATUS" -eq 0 ] || { cat "$T/c$i.out" "$T/c$i.err"; false; }
		grep -q "^read 1048576/1048576 bytes at offset $((i * 1048576))" "$T/c$i.out"
	done
	local cmds=()
	for i in $(seq 0 15); do cmds+=("read -P $((i + 1)) ${i}M 1M"); done
	run qio "$uri" "${cmds[@]}"
	[ "$status" -eq 0 ]
	[[ "$output" != *failed* ]]
}

@test "pattern backend: each 8 bytes hold their own offset, big-endian; read-only" {
	requires qemu-io nbdinfo
	start_nbd srv -b pattern -s 1M "$T/s.sock"
	run timeout 60 qemu-io -r -f raw -c "read -v 4096 16" "$(nbd_uri "$NBD_ADDR")"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "00001000:  00 00 00 00 00 00 10 00 00 00 00 00 00 00 10 08  ................" ]
	run nbd_raw "$NBD_ADDR" readhex:0x0ffff8:8 readhex:0:16 write:0:512
	[ "${lines[0]}" = "readhex:0x0ffff8:8: ok 00000000000ffff8" ]
	[ "${lines[1]}" = "readhex:0:16: ok 00000000000000000000000000000008" ]
	[ "${lines[2]}" = "write:0:512: EPERM" ]
	run nbdinfo --json "$(nbd_uri "$NBD_ADDR")"
	jq -e '.exports[0].is_read_only == true' <<<"$output"
}

@test "file backend: the file's size, its bytes out, writes land in the file" {
	requires nbdinfo nbdcopy qemu-io
	head -c 1048576 /dev/urandom >"$T/disk"
	cp "$T/disk" "$T/orig"
	start_nbd srv -b "file:$T/disk" "$T/s.sock"
	run nbdinfo --size "$(nbd_uri "$NBD_ADDR")"
	[ "$output" = 1048576 ]
	run nbdcopy "$(nbd_uri "$NBD_ADDR")" "$T/out"
	[ "$status" -eq 0 ]
	cmp "$T/orig" "$T/out"
	run qio "$(nbd_uri "$NBD_ADDR")" "write -P 0x5a 4096 4096" "flush"
	[ "$status" -eq 0 ]
	[ "$(dd if="$T/disk" bs=4096 skip=1 count=1 2>/dev/null | tr -d '\132' | wc -c)" -eq 0 ]
	cmp -n 4096 "$T/disk" "$T/orig"
	cmp -i 8192 "$T/disk" "$T/orig"
	[ "$(stat -c %s "$T/disk")" -eq 1048576 ]
}

@test "file backend with -r refuses writes with EPERM and leaves the file alone" {
	head -c 65536 /dev/urandom >"$T/disk"
	cp "$T/disk" "$T/orig"
	start_nbd srv -r -b "file:$T/disk" "$T/s.sock"
	run nbd_raw "$NBD_ADDR" write:0:512:1 trim:0:512 zero:0:512 read:0:512
	[ "$output" = $'write:0:512:1: EPERM\ntrim:0:512: EPERM\nzero:0:512: EPERM\nread:0:512: ok' ]
	cmp "$T/disk" "$T/orig"
}

# The volatile cache: what a disk's write cache does with the power.

# file_hex FILE OFF LEN: the bytes of FILE at OFF as hex.
file_hex() { od -An -v -tx1 -j "$2" -N "$3" "$1" | tr -d ' \n'; }

@test "--volatile-cache: unflushed writes are read back, but reach the file only when flushed" {
	truncate -s 1M "$T/disk"
	start_nbd srv --volatile-cache -b "file:$T/disk" "$T/s.sock"
	run nbd_raw "$NBD_ADDR" write:4096:4096:0xbb write:8192:512:0xcc readhex:8190:4 \
		read:4096:4096
	[ "$output" = $'write:4096:4096:0xbb: ok\nwrite:8192:512:0xcc: ok\nreadhex:8190:4: ok bbbbcccc\nread:4096:4096: ok' ]
	# Another connection sees the newest data too; the file has none of it.
	run nbd_raw "$NBD_ADDR" readhex:4094:4 readhex:8702:4
	[ "$output" = $'readhex:4094:4: ok 0000bbbb\nreadhex:8702:4: ok cccc0000' ]
	[ "$(file_hex "$T/disk" 4096 8)" = 0000000000000000 ]
	run nbd_raw "$NBD_ADDR" flush
	[ "$output" = "flush: ok" ]
	[ "$(file_hex "$T/disk" 4094 4)" = 0000bbbb ]
	[ "$(file_hex "$T/disk" 8702 4)" = cccc0000 ]
}

@test "--volatile-cache: SIGTERM loses what was not flushed, keeps FUA writes, and says what it dropped" {
	truncate -s 1M "$T/disk"
	start_nbd srv --volatile-cache --log-json -b "file:$T/disk" "$T/s.sock"
	run nbd_raw "$NBD_ADDR" write:0:4096:0xaa flush write:0:4096:0xbb fua:65536:4096:0xdd \
		write:131072:512:0xee trim:0:4096
	[ "$status" -eq 0 ]
	[ "$(file_hex "$T/disk" 65536 2)" = dddd ]
	stop_peers
	[ "$(file_hex "$T/disk" 0 2)" = aaaa ]
	[ "$(file_hex "$T/disk" 65536 2)" = dddd ]
	[ "$(file_hex "$T/disk" 131072 2)" = 0000 ]
	grep -q 'dropped 3 unflushed operations (8704 bytes) on shutdown' "$T/srv.err"
	[ "$(tail -n 1 "$T/srv.out")" = '{"dropped":{"operations":3,"bytes":8704}}' ]
}

@test "--volatile-cache: a flush applies writes, zeroes and trims in their order; an older write never undoes a FUA one" {
	head -c 1048576 /dev/zero | tr '\0' '\021' >"$T/disk"
	start_nbd srv --volatile-cache -b "file:$T/disk" "$T/s.sock"
	run nbd_raw "$NBD_ADDR" write:0:4096:0xaa write:0:2048:0xbb zero:2048:1024 \
		write:8192:4096:0x01 fua:8192:4096:0x02 write:16384:4096:0x03 zero:16384:4096 flush
	[ "$status" -eq 0 ]
	[ "$(file_hex "$T/disk" 2046 4)" = bbbb0000 ]
	[ "$(file_hex "$T/disk" 3070 4)" = 0000aaaa ]
	[ "$(file_hex "$T/disk" 8192 2)" = 0202 ]
	[ "$(file_hex "$T/disk" 16384 2)" = 0000 ]
	[ "$(file_hex "$T/disk" 20480 2)" = 1111 ]
	run qio "$(nbd_uri "$NBD_ADDR")" "read -P 0x02 8192 4096"
	[[ "$output" == *"read 4096/4096 bytes at offset 8192"* ]]
	[[ "$output" != *failed* ]]
}

@test "--volatile-cache=MAX: a write past the cap fails with ENOSPC until a flush" {
	start_nbd srv --volatile-cache=64K -b memory -s 1M "$T/s.sock"
	# Whole pages cost their data; a page written in part costs a page more.
	run nbd_raw "$NBD_ADDR" write:0:61440:1 write:61440:4096:2 write:65536:1:9 write:0:512:7 \
		trim:0:1048576 flush write:65536:4096:3 readhex:65536:2
	[ "$output" = $'write:0:61440:1: ok\nwrite:61440:4096:2: ok\nwrite:65536:1:9: ENOSPC\nwrite:0:512:7: ENOSPC\ntrim:0:1048576: ok\nflush: ok\nwrite:65536:4096:3: ok\nreadhex:65536:2: ok 0303' ] ||
		{ echo "$output"; return 1; }
}

@test "--volatile-cache: block status shows cached pages as data" {
	requires nbdinfo
	start_nbd srv --volatile-cache -b zero -s 1M "$T/s.sock"
	run nbd_raw "$NBD_ADDR" write:65536:4096:1
	run nbdinfo --map "$(nbd_uri "$NBD_ADDR")"
	[ "$status" -eq 0 ]
	[[ "$output" == *"65536"*"4096"*"0"*"data"* ]] || { echo "$output"; return 1; }
}

@test "--volatile-cache: a bad size, or the compatible mode, is a usage error" {
	run nbd-fault --volatile-cache=lots -b memory "$T/s.sock"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--volatile-cache: not a size: 'lots'"* ]]
	run nbd-fault --volatile-cache=0 -b memory "$T/s.sock"
	[ "$status" -eq 2 ]
	printf '[inject-error x]\nevent=request\n' >"$T/r.ini"
	run nbd-fault --compat --volatile-cache "$T/s.sock" "$T/r.ini"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--compat has no volatile cache and no write log"* ]]
	[ ! -e "$T/s.sock" ]
}

@test "--write-log: every change as a JSON line in order, the data beside it" {
	start_nbd srv --write-log "$T/w.log" -b memory -s 1M "$T/s.sock"
	run nbd_raw "$NBD_ADDR" write:4096:16:0xab fua:0:4:0xcd trim:8192:4096 zero:0:512 flush read:0:512
	[ "$status" -eq 0 ]
	run jq -c . "$T/w.log"
	[ "$output" = '{"log":"nbd-fault write log","version":1,"size":1048576,"data":"w.log.data"}
{"seq":1,"op":"write","offset":4096,"length":16,"fua":false,"flush":0,"data":0}
{"seq":2,"op":"write","offset":0,"length":4,"fua":true,"flush":0,"data":16}
{"seq":3,"op":"trim","offset":8192,"length":4096,"fua":false,"flush":0}
{"seq":4,"op":"zero","offset":0,"length":512,"fua":false,"flush":0}
{"seq":5,"op":"flush","flush":1}' ] || { echo "$output"; return 1; }
	[ "$(od -An -tx1 "$T/w.log.data" | tr -d ' \n')" = "$(printf 'ab%.0s' {1..16})cdcdcdcd" ]
}

@test "--write-log: a log that cannot be created is a usage error naming it" {
	run nbd-fault --write-log "$T/no/such/dir/w.log" -b memory "$T/s.sock"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--write-log: $T/no/such/dir/w.log: No such file or directory"* ]]
	[ ! -e "$T/s.sock" ]
}

# power_cut_rules LOSE: a rule that cuts the power at the first READ request
# the server sees.
power_cut_rules() {
	printf '[inject-error "cut"]\nevent = request\ncommand = read\nonce = true\naction = power-cut\n%s' \
		"${1:+lose = $1$'\n'}" >"$T/cut.ini"
}

@test "power-cut: unflushed writes are lost, flushed and FUA ones stay, every connection closes, the server goes on" {
	truncate -s 1M "$T/disk"
	power_cut_rules
	start_nbd srv --volatile-cache --log-json -b "file:$T/disk" "$T/s.sock" "$T/cut.ini"
	run nbd_raw --witness "$NBD_ADDR" write:0:4096:0xaa flush write:0:4096:0xbb fua:65536:4096:0xdd \
		write:131072:4096:0xee read:0:512 witness
	[ "$(sed -n 1,6p <<<"$output")" = $'write:0:4096:0xaa: ok\nflush: ok\nwrite:0:4096:0xbb: ok\nfua:65536:4096:0xdd: ok\nwrite:131072:4096:0xee: ok\nread:0:512: disconnected' ] ||
		{ echo "$output"; return 1; }
	# The other connection is gone too.
	[[ "$(sed -n 7p <<<"$output")" =~ ^"witness: "(reset|disconnected)$ ]]
	# The next client sees the disk as after a reboot.
	run nbd_raw "$NBD_ADDR" readhex:0:2 readhex:65536:2 readhex:131072:2
	[ "$output" = $'readhex:0:2: ok aaaa\nreadhex:65536:2: ok dddd\nreadhex:131072:2: ok 0000' ]
	[ "$(file_hex "$T/disk" 0 2)" = aaaa ]
	jq -e 'select(.action == "power-cut") |
		.lost == {"operations": 2, "bytes": 8192, "ranges": [[0, 4096], [131072, 4096]]} and
		.kept == {"operations": 0, "bytes": 0, "ranges": []} and .command == "read"' "$T/srv.out"
	grep -q 'injecting power-cut: lost 2 operations (8192 bytes), kept 0 (0 bytes) at request read' "$T/srv.err"
}

@test "power-cut at qemu-io's closing flush: its FUA write survives, its other writes are lost" {
	requires qemu-io
	truncate -s 1M "$T/disk"
	printf '[inject-error "cut"]\nevent = request\ncommand = flush\nonce = true\naction = power-cut\n' >"$T/cut.ini"
	start_nbd srv --volatile-cache -b "file:$T/disk" "$T/s.sock" "$T/cut.ini"
	# writeback: qemu-io's default, writethrough, would make every write FUA.
	run timeout 60 qemu-io -f raw -t writeback -c "write -P 0x11 0 64k" \
		-c "write -f -P 0x22 64k 4k" -c "read -P 0x11 0 64k" "$(nbd_uri "$NBD_ADDR")"
	[[ "$output" == *"read 65536/65536 bytes at offset 0"* ]] || { echo "$output"; return 1; }
	# Power back on: a new client sees the FUA write and nothing else.
	run qio "$(nbd_uri "$NBD_ADDR")" "read -P 0 0 64k" "read -P 0x22 64k 4k"
	[[ "$output" == *"read 65536/65536 bytes at offset 0"*"read 4096/4096 bytes at offset 65536"* ]] ||
		{ echo "$output"; return 1; }
	[[ "$output" != *failed* && "$output" != *"Pattern verification"* ]]
	grep -q 'injecting power-cut: lost 1 operation (65536 bytes), kept 0 (0 bytes) at request flush' "$T/srv.err"
}

@test "power-cut with lose = none: every acknowledged write survives" {
	truncate -s 1M "$T/disk"
	power_cut_rules none
	start_nbd srv --volatile-cache -b "file:$T/disk" "$T/s.sock" "$T/cut.ini"
	run nbd_raw "$NBD_ADDR" write:0:4096:0xaa flush write:0:4096:0xbb write:4096:4096:0xcc read:0:512
	[[ "$output" == *"read:0:512: disconnected" ]]
	[ "$(file_hex "$T/disk" 0 2)" = bbbb ]
	[ "$(file_hex "$T/disk" 4096 2)" = cccc ]
}

# cut_sixteen LOSE SEED: writes blocks 0..15 (block i holds byte i+1) without
# a flush, cuts the power, and prints which blocks survived: one letter
# each, y or n.
cut_sixteen() {
	local steps=() i b out=
	truncate -s 1M "$T/disk.$2"
	power_cut_rules "$1"
	for i in $(seq 0 15); do steps+=("write:$((i * 4096)):4096:$((i + 1))"); done
	start_nbd "srv$2" --volatile-cache --seed "$2" -b "file:$T/disk.$2" "$T/s$2.sock" "$T/cut.ini"
	nbd_raw "$NBD_ADDR" "${steps[@]}" read:0:512 >/dev/null
	for i in $(seq 0 15); do
		b=$(file_hex "$T/disk.$2" $((i * 4096)) 1)
		if [ "$b" = "$(printf %02x $((i + 1)))" ]; then out+=y
		elif [ "$b" = 00 ]; then out+=n
		else out+="?"; fi
	done
	echo "$out"
}

@test "power-cut with lose = random: any subset, whole writes only, the same for the same --seed" {
	local a b c
	a=$(cut_sixteen random 7)
	b=$(cut_sixteen random 7)
	c=$(cut_sixteen random 8)
	[[ "$a" =~ ^[yn]{16}$ ]] || { echo "$a"; return 1; }
	[ "$a" = "$b" ]
	[[ "$c" =~ ^[yn]{16}$ ]]
	# Two seeds drawing the same 16 coins is a 1 in 65536 chance.
	[ "$a" != "$c" ] || { echo "seeds 7 and 8 kept the same: $a"; return 1; }
}

@test "power-cut with lose = prefix: the writes up to a random point survive, none after it" {
	local s out
	for s in 1 2 3 4; do
		out=$(cut_sixteen prefix "$s")
		[[ "$out" =~ ^y*n*$ ]] || { echo "seed $s: $out"; return 1; }
	done
}

@test "power-cut: lose needs action power-cut, and one of all, none, random, prefix" {
	printf '[inject-error x]\nevent = request\naction = close\nlose = all\n' >"$T/r.ini"
	run nbd-fault -b memory "$T/s.sock" "$T/r.ini"
	[ "$status" -eq 2 ]
	[[ "$output" == *"r.ini:4: "*'"lose" in inject-error x needs action power-cut'* ]]
	printf '[inject-error x]\nevent = request\naction = power-cut\nlose = most\n' >"$T/r.ini"
	run nbd-fault -b memory "$T/s.sock" "$T/r.ini"
	[ "$status" -eq 2 ]
	[[ "$output" == *"r.ini:4: "*"expected all, none, random or prefix"* ]]
}

# Faults: actions.

# bit_diff BYTE: reads hex from stdin, prints its length in bytes and how
# many bits differ from a run of BYTE.
bit_diff() {
	python3 -c "import sys; d = bytes.fromhex(sys.stdin.read().strip()); print(len(d), sum(bin(b ^ $1).count('1') for b in d))"
}

@test "a rule's default action in full mode: the match line, exit 0" {
	requires qemu-io
	printf '[inject-error x]\nevent=request\ncommand=write\n' >"$T/r.ini"
	start_nbd srv -b memory -s 1M "$T/s.sock" "$T/r.ini"
	run qio "$(nbd_uri "$NBD_ADDR")" "read 0 512" "write 0 512"
	[[ "$output" == *"read 512/512"* ]]
	[[ "$output" == *"write failed"* ]]
	nbd_wait_exit srv
	[ "$NBD_STATUS" -eq 0 ]
	[ "$(cat "$T/srv.out")" = "Listening on $NBD_ADDR"$'\n'"Closing connection on rule match inject-error x" ]
}

@test "action=error: qemu-io reports each errno it knows" {
	requires qemu-io
	local e cmd
	for e in EIO EPERM ENOSPC EINVAL ENOMEM; do
		for cmd in read write; do
			printf '[inject-error e]\nevent=request\ncommand=%s\naction=error\nerrno=%s\n' "$cmd" "$e" >"$T/$e-$cmd.ini"
			start_nbd "$e-$cmd" -b memory -s 1M "$T/$e-$cmd.sock" "$T/$e-$cmd.ini"
			run qio "$(nbd_uri "$NBD_ADDR")" "$cmd 0 512"
			[[ "$output" == *"$cmd failed: $(nbd_errno_text "$e")"* ]] ||
				{ echo "errno=$e on $cmd: qemu-io said: $output"; false; }
		done
	done
}

@test "action=error: every errno arrives as its NBD value, in simple and structured replies" {
	local e i=0 structured
	for structured in "" --structured; do
		for e in EPERM EIO ENOMEM EINVAL ENOSPC EOVERFLOW ENOTSUP ESHUTDOWN; do
			i=$((i + 1))
			printf '[inject-error e]\nevent=request\ncommand=read\naction=error\nerrno=%s\n' "$e" >"$T/$i.ini"
			start_nbd "s$i" -b memory -s 1M "$T/$i.sock" "$T/$i.ini"
			run nbd_raw $structured "$NBD_ADDR" read:0:512 write:0:512
			[ "$output" = "read:0:512: $e"$'\n'"write:0:512: ok" ] ||
				{ echo "errno=$e ${structured:-simple}: $output"; false; }
		done
	done
}

@test "action=error without errno: EIO" {
	printf '[inject-error e]\nevent=request\ncommand=write\naction=error\n' >"$T/r.ini"
	start_nbd srv -b memory -s 1M "$T/s.sock" "$T/r.ini"
	run nbd_raw "$NBD_ADDR" write:0:512 read:0:512
	[ "$output" = $'write:0:512: EIO\nread:0:512: ok' ]
}

@test "action=error on write leaves the data alone" {
	requires qemu-io
	printf '[inject-error e]\nevent=request\ncommand=write\noffset=0+4096\naction=error\nerrno=ENOSPC\n' >"$T/r.ini"
	start_nbd srv -b memory -s 1M "$T/s.sock" "$T/r.ini"
	[ "$(qio_outcomes "$(nbd_uri "$NBD_ADDR")" "write -P 7 0 4k" "write -P 7 4k 4k" "read -P 0 0 4k" "read -P 7 4k 4k")" = Fooo ]
}

@test "an injection is logged on stderr: action, event, rule, connection" {
	requires qemu-io
	printf '[inject-error w]\nevent=request\ncommand=write\naction=error\nerrno=ENOSPC\n' >"$T/r.ini"
	start_nbd srv -b memory -s 1M "$T/s.sock" "$T/r.ini"
	run qio "$(nbd_uri "$NBD_ADDR")" "write 0 512"
	[[ "$output" == *"write failed: No space left on device"* ]]
	grep -Fqx 'nbd-fault: injecting error ENOSPC at request write by rule inject-error w (connection 1)' "$T/srv.err"
}

@test "--log-json: each injection is one JSON object on stdout" {
	requires qemu-io
	printf '[inject-error w]\nevent=request\ncommand=write\naction=error\nerrno=EIO\n' >"$T/r.ini"
	start_nbd srv --log-json -b memory -s 1M "$T/s.sock" "$T/r.ini"
	run qio "$(nbd_uri "$NBD_ADDR")" "write 4096 512" "read 0 512"
	[[ "$output" == *"write failed: Input/output error"* ]]
	wait_until 5 "the JSON line" test "$(wc -l <"$T/srv.out")" -ge 2
	[ "$(wc -l <"$T/srv.out")" -eq 2 ]
	sed -n 2p "$T/srv.out" | jq -e '.rule == "inject-error w" and .action == "error" and .errno == "EIO"
		and .event == "request" and .command == "write" and .offset == 4096 and .length == 512
		and .connection == 1'
}

@test "action=delay: a delay=500ms rule makes the read take at least 0.5 s" {
	requires qemu-io
	printf '[inject-error d]\nevent=request\ncommand=read\naction=delay\ndelay=500ms\n' >"$T/r.ini"
	start_nbd srv -b memory -s 1M "$T/s.sock" "$T/r.ini"
	local t0 t1
	t0=$(now_ms)
	run qio "$(nbd_uri "$NBD_ADDR")" "read 0 512"
	t1=$(now_ms)
	[ "$status" -eq 0 ]
	[ $((t1 - t0)) -ge 500 ]
	grep -Fq 'injecting delay 500ms at request read by rule inject-error d' "$T/srv.err"
}

@test "action=delay: two delayed reads take at least 1 s; writes are not delayed" {
	requires qemu-io
	printf '[inject-error d]\nevent=request\ncommand=read\naction=delay\ndelay=500ms\n' >"$T/r.ini"
	start_nbd srv -b memory -s 1M "$T/s.sock" "$T/r.ini"
	local t0 t1
	t0=$(now_ms)
	run qio "$(nbd_uri "$NBD_ADDR")" "read 0 512" "write 0 512" "read 0 512"
	t1=$(now_ms)
	[ "$status" -eq 0 ]
	[ $((t1 - t0)) -ge 1000 ]
	[ "$(grep -c 'injecting delay' "$T/srv.err")" -eq 2 ]
}

@test "action=close and action=reset: the client sees EOF, or a reset (TCP)" {
	printf '[inject-error c]\nevent=reply\ncommand=read\naction=close\n' >"$T/close.ini"
	printf '[inject-error r]\nevent=reply\ncommand=read\naction=reset\n' >"$T/reset.ini"
	start_nbd close -b memory -s 1M 127.0.0.1:0 "$T/close.ini"
	run nbd_raw "$NBD_ADDR" write:0:512 read:0:512
	[ "$output" = $'write:0:512: ok\nread:0:512: disconnected' ]
	start_nbd reset -b memory -s 1M 127.0.0.1:0 "$T/reset.ini"
	run nbd_raw "$NBD_ADDR" write:0:512 read:0:512
	[ "$output" = $'write:0:512: ok\nread:0:512: reset' ]
	# and both servers carry on
	run nbd_raw "$NBD_ADDR" write:0:512
	[ "$output" = "write:0:512: ok" ]
	kill -0 "$(peer_pid close)"
	kill -0 "$(peer_pid reset)"
}

@test "action=close: qemu-io's read fails, the server carries on" {
	requires qemu-io
	printf '[inject-error c]\nevent=request\ncommand=read\nconnection=1\naction=close\n' >"$T/r.ini"
	start_nbd srv -b memory -s 1M "$T/s.sock" "$T/r.ini"
	run qio "$(nbd_uri "$NBD_ADDR")" "read 0 512"
	[[ "$output" == *"read failed"* ]]
	run qio "$(nbd_uri "$NBD_ADDR")" "read 0 512"
	[ "$status" -eq 0 ]
}

@test "action=stall: the client waits in vain; others are served; SIGTERM still ends it" {
	requires qemu-io
	printf '[inject-error s]\nevent=reply\ncommand=read\nconnection=1\naction=stall\n' >"$T/r.ini"
	start_nbd srv -b memory -s 1M "$T/s.sock" "$T/r.ini"
	nbd_raw --timeout 5 "$NBD_ADDR" read:0:512 >"$T/raw.out" &
	local raw=$!
	# Connection 1 must be the raw client: wait until the server stalls it.
	wait_until 10 "the stall" grep -q "injecting stall" "$T/srv.err"
	run qio "$(nbd_uri "$NBD_ADDR")" "write -P 1 0 512" "read -P 1 0 512"
	[ "$status" -eq 0 ]
	wait "$raw"
	[ "$(cat "$T/raw.out")" = "read:0:512: timeout" ]
}

@test "action=corrupt bits=1: the read data differs in exactly one bit" {
	requires qemu-io
	printf '[inject-error c]\nevent=data\ncommand=read\naction=corrupt\nbits=1\n' >"$T/r.ini"
	start_nbd srv -b memory -s 1M "$T/s.sock" "$T/r.ini"
	run nbd_raw "$NBD_ADDR" write:0:4096:0x55 readhex:0:4096
	[ "${lines[0]}" = "write:0:4096:0x55: ok" ]
	[ "$(bit_diff 0x55 <<<"${lines[1]#readhex:0:4096: ok }")" = "4096 1" ]
	# through QEMU: the pattern check fails
	run qio "$(nbd_uri "$NBD_ADDR")" "read -P 0x55 0 4096"
	[[ "$output" == *"Pattern verification failed"* ]]
}

@test "action=corrupt bits=8: eight bits flipped" {
	printf '[inject-error c]\nevent=data\ncommand=read\naction=corrupt\nbits=8\n' >"$T/r.ini"
	start_nbd srv -b memory -s 1M "$T/s.sock" "$T/r.ini"
	run nbd_raw "$NBD_ADDR" readhex:0:65536
	[ "$(bit_diff 0 <<<"${output#readhex:0:65536: ok }")" = "65536 8" ]
}

@test "action=truncate: the READ data comes short (at when=100, else half), the rest never" {
	printf '[inject-error t]\nevent=data\ncommand=read\naction=truncate\nwhen=100\nconnection=1\n' >"$T/r.ini"
	printf '[inject-error t]\nevent=data\ncommand=read\naction=truncate\nconnection=1\n' >"$T/half.ini"
	# a READ of 512 bytes at 0, cookie 1, then its reply header and data
	local read=25609513000000000000000000000001000000000000000000000200 zeros
	start_nbd srv -b memory -s 1M "$T/s.sock" "$T/r.ini"
	run nbd_raw --timeout 2 "$NBD_ADDR" send:$read recv:16 recv:512
	[ "${lines[1]}" = "recv:16: ok 67446698000000000000000000000001" ]
	zeros=$(printf '%0200d' 0)
	[ "${lines[2]}" = "recv:512: timeout $zeros" ]
	run nbd_raw "$NBD_ADDR" read:0:512
	[ "$output" = "read:0:512: ok" ]
	start_nbd half -b memory -s 1M "$T/h.sock" "$T/half.ini"
	run nbd_raw --timeout 2 "$NBD_ADDR" send:$read recv:16 recv:512
	zeros=$(printf '%0512d' 0)
	[ "${lines[2]}" = "recv:512: timeout $zeros" ]
}

# Faults: selectors.

@test "command=write: reads pass, writes fail" {
	requires qemu-io
	printf '[inject-error w]\nevent=request\ncommand=write\naction=error\n' >"$T/r.ini"
	start_nbd srv -b memory -s 1M "$T/s.sock" "$T/r.ini"
	[ "$(qio_outcomes "$(nbd_uri "$NBD_ADDR")" "read 0 512" "write 0 512" "read 512 512" "write 512 512")" = oFoF ]
}

@test "command=flush,trim: FLUSH and TRIM fail, READ and WRITE pass" {
	printf '[inject-error ft]\nevent=request\ncommand=flush,trim\naction=error\nerrno=EIO\n' >"$T/r.ini"
	start_nbd srv -b memory -s 1M "$T/s.sock" "$T/r.ini"
	run nbd_raw "$NBD_ADDR" write:0:512 flush trim:0:512 zero:0:512 read:0:512
	[ "$output" = $'write:0:512: ok\nflush: EIO\ntrim:0:512: EIO\nzero:0:512: ok\nread:0:512: ok' ]
}

@test "offset=START+LEN: only requests overlapping the range fail" {
	requires qemu-io
	printf '[inject-error o]\nevent=request\noffset=1048576+65536\naction=error\n' >"$T/r.ini"
	start_nbd srv -b memory -s 4M "$T/s.sock" "$T/r.ini"
	[ "$(qio_outcomes "$(nbd_uri "$NBD_ADDR")" "read 0 4k" "read 1M 4k" "read 1056768 4k" \
		"read 1044480 8k" "read 1114112 4k" "write 2M 4k" "write 1M 512")" = oFFFooF ]
}

@test "skip=2 count=3: the 3rd to 5th matching requests fail" {
	requires qemu-io
	printf '[inject-error s]\nevent=request\ncommand=read\nskip=2\ncount=3\naction=error\n' >"$T/r.ini"
	start_nbd srv -b memory -s 1M "$T/s.sock" "$T/r.ini"
	local c=() i
	for i in $(seq 0 7); do c+=("read $((i * 512)) 512" "write 0 512"); done
	[ "$(qio_outcomes "$(nbd_uri "$NBD_ADDR")" "${c[@]}")" = ooooFoFoFooooooo ]
}

@test "skip and count count per connection; scope=server counts across them" {
	requires qemu-io
	printf '[inject-error c]\nevent=request\ncommand=read\nskip=1\ncount=1\naction=error\n' >"$T/conn.ini"
	printf '[inject-error s]\nevent=request\ncommand=read\nskip=1\ncount=1\nscope=server\naction=error\n' >"$T/server.ini"
	start_nbd conn -b memory -s 1M "$T/c.sock" "$T/conn.ini"
	local uri
	uri=$(nbd_uri "$NBD_ADDR")
	[ "$(qio_outcomes "$uri" "read 0 512" "read 0 512" "read 0 512")" = oFo ]
	[ "$(qio_outcomes "$uri" "read 0 512" "read 0 512" "read 0 512")" = oFo ]
	start_nbd server -b memory -s 1M "$T/s.sock" "$T/server.ini"
	uri=$(nbd_uri "$NBD_ADDR")
	[ "$(qio_outcomes "$uri" "read 0 512")" = o ]
	[ "$(qio_outcomes "$uri" "read 0 512" "read 0 512")" = Fo ]
	[ "$(qio_outcomes "$uri" "read 0 512" "read 0 512")" = oo ]
}

@test "once=true: fires once in the server's life" {
	requires qemu-io
	printf '[inject-error o]\nevent=request\ncommand=read\nonce=true\naction=error\n' >"$T/r.ini"
	start_nbd srv -b memory -s 1M "$T/s.sock" "$T/r.ini"
	[ "$(qio_outcomes "$(nbd_uri "$NBD_ADDR")" "read 0 512" "read 0 512")" = Fo ]
	[ "$(qio_outcomes "$(nbd_uri "$NBD_ADDR")" "read 0 512" "read 0 512")" = oo ]
}

@test "connection=2: only the second connection is hit" {
	requires qemu-io
	printf '[inject-error c]\nevent=request\ncommand=read\nconnection=2\naction=error\n' >"$T/r.ini"
	start_nbd srv -b memory -s 1M "$T/s.sock" "$T/r.ini"
	local uri
	uri=$(nbd_uri "$NBD_ADDR")
	[ "$(qio_outcomes "$uri" "read 0 512")" = o ]
	[ "$(qio_outcomes "$uri" "read 0 512" "read 0 512")" = FF ]
	[ "$(qio_outcomes "$uri" "read 0 512")" = o ]
	grep -q '(connection 2)' "$T/srv.err"
	! grep -q '(connection [13])' "$T/srv.err"
}

@test "trigger=FILE: the rule fires only while the file exists" {
	requires qemu-io
	printf '[inject-error t]\nevent=request\ncommand=read\ntrigger=%s\naction=error\n' "$T/trigger" >"$T/r.ini"
	start_nbd srv -b memory -s 1M "$T/s.sock" "$T/r.ini"
	local uri
	uri=$(nbd_uri "$NBD_ADDR")
	[ "$(qio_outcomes "$uri" "read 0 512")" = o ]
	touch "$T/trigger"
	[ "$(qio_outcomes "$uri" "read 0 512")" = F ]
	rm "$T/trigger"
	[ "$(qio_outcomes "$uri" "read 0 512")" = o ]
}

@test "trigger=FILE is looked at on each request" {
	requires qemu-io stdbuf
	printf '[inject-error t]\nevent=request\ncommand=read\ntrigger=%s\naction=error\n' "$T/trigger" >"$T/r.ini"
	start_nbd srv -b memory -s 1M "$T/s.sock" "$T/r.ini"
	start_peer qio timeout 60 stdbuf -oL qemu-io -f raw -c "read 0 512" -c "sleep 5000" -c "read 0 512" \
		"$(nbd_uri "$NBD_ADDR")"
	wait_until 10 "the first read" grep -q '^read 512/512' "$T/qio.out"
	touch "$T/trigger"
	nbd_wait_exit qio 30
	grep -q 'read failed: Input/output error' "$T/qio.out" "$T/qio.err"
}

@test "rate=50% with --seed: the same seed fails the same requests" {
	requires qemu-io
	printf '[inject-error r]\nevent=request\ncommand=read\nrate=50%%\naction=error\n' >"$T/r.ini"
	local c=() i a b
	for i in $(seq 0 39); do c+=("read $((i * 512)) 512"); done
	start_nbd a --seed 42 -b memory -s 1M "$T/a.sock" "$T/r.ini"
	a=$(qio_outcomes "$(nbd_uri "$NBD_ADDR")" "${c[@]}")
	start_nbd b --seed 42 -b memory -s 1M "$T/b.sock" "$T/r.ini"
	b=$(qio_outcomes "$(nbd_uri "$NBD_ADDR")" "${c[@]}")
	echo "seed 42: $a / $b"
	[ ${#a} -eq 40 ]
	[ "$a" = "$b" ]
	[[ "$a" == *o* && "$a" == *F* ]]	# 2^-39 to fail by chance
}

@test "rate=1:10 and rate=0.1 are the same probability" {
	printf '[inject-error r]\nevent=request\ncommand=read\nrate=1:10\naction=error\n' >"$T/a.ini"
	printf '[inject-error r]\nevent=request\ncommand=read\nrate=0.1\naction=error\n' >"$T/b.ini"
	local steps=() i
	for i in $(seq 0 199); do steps+=("read:$((i * 512)):512"); done
	start_nbd a --seed 7 -b memory -s 1M "$T/a.sock" "$T/a.ini"
	nbd_raw "$NBD_ADDR" "${steps[@]}" >"$T/a.out"
	start_nbd b --seed 7 -b memory -s 1M "$T/b.sock" "$T/b.ini"
	nbd_raw "$NBD_ADDR" "${steps[@]}" >"$T/b.out"
	cmp "$T/a.out" "$T/b.out"
	local n
	n=$(grep -c ': EIO$' "$T/a.out")
	echo "failed $n of 200"
	[ "$n" -ge 3 ] && [ "$n" -le 60 ]	# 10 %: binomial, far out tails
}

@test "event=option option=go: the option fails, the next connection is fine" {
	requires qemu-io
	printf '[inject-error g]\nevent=option\noption=go\nconnection=1\naction=close\n' >"$T/r.ini"
	start_nbd srv -b memory -s 1M "$T/s.sock" "$T/r.ini"
	run qio "$(nbd_uri "$NBD_ADDR")" "read 0 512"
	[[ "$output" == *"can't open device"* ]]
	run qio "$(nbd_uri "$NBD_ADDR")" "read 0 512"
	[ "$status" -eq 0 ]
}

@test "full-mode events as the injector's: event=neg1 when=8 cuts the greeting" {
	printf '[inject-error n]\nevent=neg1\nwhen=8\naction=close\n' >"$T/r.ini"
	start_nbd srv -b memory -s 1M "$T/s.sock" "$T/r.ini"
	run nbd_raw --no-handshake "$NBD_ADDR" recv:18
	[ "$output" = "recv:18: disconnected 4e42444d41474943" ]
	kill -0 "$(peer_pid srv)"
}

@test "the full-mode greeting is fixed newstyle with NO_ZEROES" {
	start_nbd srv -b memory -s 1M "$T/s.sock"
	run nbd_raw --no-handshake "$NBD_ADDR" recv:18
	[ "$output" = "recv:18: ok 4e42444d4147494349484156454f50540003" ]
}

# Malformed requests: the right error or a disconnect, and other clients
# carry on.  --witness opens a good connection first and reads on it last.

@test "bad request magic: that connection is dropped, another carries on" {
	start_nbd srv -b memory -s 1M "$T/s.sock"
	run nbd_raw --witness "$NBD_ADDR" badmagic witness
	[[ "${lines[0]}" == "badmagic: disconnected" || "${lines[0]}" == "badmagic: reset" ]]
	[ "${lines[1]}" = "witness: ok" ]
}

@test "an unknown command: EINVAL, and the connection goes on" {
	start_nbd srv -b memory -s 1M "$T/s.sock"
	run nbd_raw --witness "$NBD_ADDR" cmd:99:0:0:512 read:0:512 witness
	[ "$output" = $'cmd:99:0:0:512: EINVAL\nread:0:512: ok\nwitness: ok' ]
}

@test "a read beyond the end: EINVAL" {
	start_nbd srv -b memory -s 1M "$T/s.sock"
	run nbd_raw --witness "$NBD_ADDR" read:1048064:1024 read:1048576:512 read:0xffffffffffff0000:512 read:1048064:512 witness
	[ "$output" = $'read:1048064:1024: EINVAL\nread:1048576:512: EINVAL\nread:0xffffffffffff0000:512: EINVAL\nread:1048064:512: ok\nwitness: ok' ]
}

@test "a write beyond the end: ENOSPC" {
	start_nbd srv -b memory -s 1M "$T/s.sock"
	run nbd_raw --witness "$NBD_ADDR" write:1048064:1024 write:1048064:512 witness
	[ "$output" = $'write:1048064:1024: ENOSPC\nwrite:1048064:512: ok\nwitness: ok' ]
}

@test "a write on a read-only export: EPERM" {
	start_nbd srv -r -b memory -s 1M "$T/s.sock"
	run nbd_raw --witness "$NBD_ADDR" write:0:512 trim:0:512 zero:0:512 read:0:512 witness
	[ "$output" = $'write:0:512: EPERM\ntrim:0:512: EPERM\nzero:0:512: EPERM\nread:0:512: ok\nwitness: ok' ]
}

@test "a zero-length read: EINVAL, no disconnect" {
	start_nbd srv -b memory -s 1M "$T/s.sock"
	run nbd_raw --witness "$NBD_ADDR" read:0:0 read:0:512 witness
	[ "$output" = $'read:0:0: EINVAL\nread:0:512: ok\nwitness: ok' ]
}

@test "an oversized read (2 GiB): EINVAL or a disconnect, others carry on" {
	start_nbd srv -s 8G "$T/s.sock"
	run nbd_raw --witness "$NBD_ADDR" read:0:0x7fffffff witness
	[[ "${lines[0]}" =~ ^read:0:0x7fffffff:\ (EINVAL|disconnected|reset)$ ]]
	[ "${lines[1]}" = "witness: ok" ]
}

@test "flags on the wrong command, unknown flags, FLUSH with a length: EINVAL" {
	start_nbd srv -b memory -s 1M "$T/s.sock"
	# READ with NO_HOLE, WRITE_ZEROES with REQ_ONE, READ with an unknown
	# flag, READ with DF without structured replies, FLUSH with a length
	run nbd_raw --witness "$NBD_ADDR" cmd:0:2:0:512 cmd:6:8:0:512 cmd:0:0x8000:0:512 \
		cmd:0:4:0:512 cmd:3:0:0:512 read:0:512 witness
	[ "$output" = $'cmd:0:2:0:512: EINVAL\ncmd:6:8:0:512: EINVAL\ncmd:0:0x8000:0:512: EINVAL\ncmd:0:4:0:512: EINVAL\ncmd:3:0:0:512: EINVAL\nread:0:512: ok\nwitness: ok' ]
}

@test "BLOCK_STATUS without structured replies: EINVAL" {
	start_nbd srv -b memory -s 1M "$T/s.sock"
	run nbd_raw "$NBD_ADDR" cmd:7:0:0:512 read:0:512
	[ "$output" = $'cmd:7:0:0:512: EINVAL\nread:0:512: ok' ]
}

@test "DISC: the server closes without a reply" {
	start_nbd srv -b memory -s 1M "$T/s.sock"
	run nbd_raw "$NBD_ADDR" read:0:512 disc
	[ "$output" = $'read:0:512: ok\ndisc: ok' ]
}

@test "a client sending garbage does not disturb qemu-io reading in a loop" {
	requires qemu-io
	start_nbd srv -b memory -s 1M "$T/s.sock"
	run qio "$(nbd_uri "$NBD_ADDR")" "write -P 0x42 0 64k"
	[ "$status" -eq 0 ]
	start_peer loop bash -c "n=0; while [ ! -e '$T/stop' ]; do
		timeout 30 qemu-io -f raw -c 'read -P 0x42 0 64k' '$(nbd_uri "$NBD_ADDR")' >/dev/null 2>&1 ||
			echo FAIL; n=\$((n + 1)); done; echo \"runs \$n\""
	local i
	for i in 1 2 3; do
		nbd_raw "$NBD_ADDR" badmagic >/dev/null
		nbd_raw "$NBD_ADDR" cmd:99:0:0:512 read:0:0 read:1048576:512 write:1048576:512 read:0:512 >/dev/null
		nbd_raw --no-handshake "$NBD_ADDR" send:00000000deadbeef close >/dev/null
		nbd_raw --no-handshake "$NBD_ADDR" recv:18 send:80000001 >/dev/null	# unknown client flag
		nbd_raw "$NBD_ADDR" read:0:0x7fffffff >/dev/null
		nbd_raw "$NBD_ADDR" send:25609513 close >/dev/null	# half a request
	done
	touch "$T/stop"
	nbd_wait_exit loop 40
	! grep -q FAIL "$T/loop.out"
	grep -q '^runs [1-9]' "$T/loop.out"
	kill -0 "$(peer_pid srv)"
}

@test "an unknown option gets ERR_UNSUP and the handshake goes on" {
	start_nbd srv -b memory -s 1M "$T/s.sock"
	# greeting, client flags (fixed + no zeroes), option 99 with data,
	# STRUCTURED_REPLY, LIST, then ABORT
	run nbd_raw --no-handshake "$NBD_ADDR" recv:18 send:00000003 option:99:616263 \
		option:8 option:3 option:2
	[ "${lines[2]}" = "option:99:616263: ok 0x80000001" ]
	[ "${lines[3]}" = "option:8: ok 0x1" ]
	[[ "${lines[4]}" =~ ^option:3:\ ok\ (0x2\ )*0x1$ ]]
	[[ "${lines[5]}" == "option:2: ok 0x1" || "${lines[5]}" == "option:2: disconnected" ]]
}

@test "SET_META_CONTEXT base:allocation before STRUCTURED_REPLY: ERR_INVALID; after: one context" {
	start_nbd srv -b memory -s 1M "$T/s.sock"
	# export name "" (u32 0), one query (u32 1), "base:allocation" (u32 15)
	local q=00000000000000010000000f626173653a616c6c6f636174696f6e
	run nbd_raw --no-handshake "$NBD_ADDR" recv:18 send:00000003 option:10:$q option:8 option:10:$q option:9:$q
	[ "${lines[2]}" = "option:10:$q: ok 0x80000003" ]
	[ "${lines[3]}" = "option:8: ok 0x1" ]
	[ "${lines[4]}" = "option:10:$q: ok 0x4 0x1" ]
	[ "${lines[5]}" = "option:9:$q: ok 0x4 0x1" ]
}

@test "an unknown client flag: the server drops the connection" {
	start_nbd srv -b memory -s 1M "$T/s.sock"
	run nbd_raw --no-handshake "$NBD_ADDR" recv:18 send:80000001 option:99
	[[ "${lines[2]}" == "option:99: disconnected" || "${lines[2]}" == "option:99: reset" ]]
	run nbd_raw "$NBD_ADDR" read:0:512
	[ "$output" = "read:0:512: ok" ]
}
