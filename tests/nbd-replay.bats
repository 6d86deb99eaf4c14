#!/usr/bin/env bats
# nbd-replay against the write logs of real nbd-fault sessions: the image
# at each flush point is checked against what was written, and against
# what the server itself serves; crash states keep what --lose and --keep
# say; a power cut is replayed exactly as the server made it.

load helpers
load nbd-helpers
bats_require_minimum_version 1.5.0

# blocks IMAGE: the first byte of each of the first four 4 KiB blocks.
blocks() {
	local i out=
	for i in 0 1 2 3; do
		out+="$(od -An -tx1 -j $((i * 4096)) -N 1 "$1" | tr -d ' ')"
		[ "$i" = 3 ] || out+=" "
	done
	echo "$out"
}

# session: a logged session under a volatile cache.  Epoch 0 writes blocks
# 0 and 1 and flushes; epoch 1 rewrites block 0, writes block 2 with FUA,
# trims block 1 and flushes; epoch 2 writes block 3 and never flushes.
session() {
	start_nbd srv --volatile-cache --write-log "$T/run.log" -b memory -s 1M "$T/s.sock"
	run nbd_raw "$NBD_ADDR" write:0:4096:1 write:4096:4096:2 flush \
		write:0:4096:3 fua:8192:4096:4 trim:4096:4096 flush write:12288:4096:5
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
}

@test "nbd-replay: the image at each flush point is what was written up to it" {
	session
	run nbd-replay --list "$T/run.log"
	[ "$output" = $'{"flush":0,"operations":2,"ends":"flush"}\n{"flush":1,"operations":3,"ends":"flush"}\n{"flush":2,"operations":1,"ends":"end"}' ]
	nbd-replay --flush 0 "$T/run.log" "$T/0.img"
	[ "$(blocks "$T/0.img")" = "00 00 00 00" ]
	[ "$(stat -c %s "$T/0.img")" -eq 1048576 ]
	run nbd-replay --flush 1 "$T/run.log" "$T/1.img"
	[ "$output" = "{\"image\":\"$T/1.img\",\"flushes\":1,\"applied\":2,\"kept\":0,\"lost\":0}" ]
	[ "$(blocks "$T/1.img")" = "01 02 00 00" ]
	nbd-replay --flush 2 "$T/run.log" "$T/2.img"
	[ "$(blocks "$T/2.img")" = "03 00 04 00" ]
	# Everything logged is what the server serves now, byte for byte.
	nbd-replay "$T/run.log" "$T/end.img"
	[ "$(blocks "$T/end.img")" = "03 00 04 05" ]
	nbdcopy "$(nbd_uri "$NBD_ADDR")" "$T/served.img"
	cmp "$T/end.img" "$T/served.img"
}

@test "nbd-replay --crash: what a power cut after a flush keeps, FUA writes always" {
	session
	nbd-replay --crash 2 "$T/run.log" "$T/a.img"
	[ "$(blocks "$T/a.img")" = "03 00 04 00" ]
	nbd-replay --crash 2 --lose none "$T/run.log" "$T/n.img"
	[ "$(blocks "$T/n.img")" = "03 00 04 05" ]
	# Epoch 1 written back in order, one operation at a time; the FUA
	# write is there from the start.
	nbd-replay --crash 1 --keep 0 "$T/run.log" "$T/k0.img"
	[ "$(blocks "$T/k0.img")" = "01 02 04 00" ]
	run nbd-replay --crash 1 --keep 1 "$T/run.log" "$T/k1.img"
	[[ "$output" == *'"kept":1,"lost":1}' ]]
	[ "$(blocks "$T/k1.img")" = "03 02 04 00" ]
	nbd-replay --crash 1 --keep 2 "$T/run.log" "$T/k2.img"
	[ "$(blocks "$T/k2.img")" = "03 00 04 00" ]
	# random: each state is one a power cut could leave, the same per seed.
	nbd-replay --crash 1 --lose random --seed 3 "$T/run.log" "$T/r1.img"
	nbd-replay --crash 1 --lose random --seed 3 "$T/run.log" "$T/r2.img"
	cmp "$T/r1.img" "$T/r2.img"
	[[ "$(blocks "$T/r1.img")" =~ ^(01|03)" "(02|00)" 04 00"$ ]]
}

@test "nbd-replay: a power cut is replayed as the server made it" {
	local steps=() i
	printf '[inject-error "cut"]\nevent = request\ncommand = read\nonce = true\naction = power-cut\nlose = random\n' >"$T/cut.ini"
	truncate -s 1M "$T/disk"
	cp "$T/disk" "$T/base"
	for i in $(seq 0 15); do steps+=("write:$((i * 4096)):4096:$((i + 1))"); done
	start_nbd srv --volatile-cache --seed 5 --write-log "$T/run.log" -b "file:$T/disk" \
		"$T/s.sock" "$T/cut.ini"
	nbd_raw "$NBD_ADDR" write:65536:4096:0x77 flush "${steps[@]}" read:0:512 >/dev/null
	nbd_raw "$NBD_ADDR" write:69632:4096:0x88 >/dev/null
	# After the cut: the file as the server left it (the last write is
	# still in the cache).
	nbd-replay --flush 2 --base "$T/base" "$T/run.log" "$T/cut.img"
	cmp "$T/cut.img" "$T/disk"
	[ "$(od -An -tx1 -j 65536 -N 1 "$T/cut.img" | tr -d ' ')" = 77 ]
	run nbd-replay --list "$T/run.log"
	[[ "$output" == *'{"flush":1,"operations":16,"ends":"power-cut"}'* ]]
}

@test "nbd-replay: a malformed or short log is named, line and all" {
	session
	cp "$T/run.log" "$T/bad.log"
	cp "$T/run.log.data" "$T/bad.log.data"
	sed -i 's/"data":"run.log.data"/"data":"bad.log.data"/' "$T/bad.log"
	sed -i '3s/"offset":4096/"offset":1048576/' "$T/bad.log"
	run nbd-replay "$T/bad.log" "$T/x.img"
	[ "$status" -eq 2 ]
	[[ "$output" == *"nbd-replay: error: $T/bad.log:3: write at 1048576+4096 lies outside the 1048576 bytes of the export"* ]]
	run nbd-replay --flush 5 "$T/run.log" "$T/x.img"
	[ "$status" -eq 2 ]
	[[ "$output" == *"the log has 2 flushes and power cuts, not 5"* ]]
	rm "$T/run.log.data"
	run nbd-replay "$T/run.log" "$T/x.img"
	[ "$status" -eq 2 ]
	[[ "$output" == *"the log's data $T/run.log.data: No such file or directory"* ]]
	printf 'not json\n' >"$T/junk.log"
	run nbd-replay --list "$T/junk.log"
	[ "$status" -eq 2 ]
	[[ "$output" == *"$T/junk.log:1: not JSON"* ]]
}

@test "nbd-replay: stdout that cannot be written is 71, named" {
	session
	run bash -c 'nbd-replay --list "$1" >/dev/full' - "$T/run.log"
	[ "$status" -eq 71 ]
	[ "$output" = "nbd-replay: error: stdout: No space left on device" ]
	run bash -c 'nbd-replay --flush 1 "$1" "$2" >/dev/full' - "$T/run.log" "$T/1.img"
	[ "$status" -eq 71 ]
	[ "$output" = "nbd-replay: error: stdout: No space left on device" ]
	[ "$(blocks "$T/1.img")" = "01 02 00 00" ]
}

@test "nbd-replay: N, K and S are plain decimal numbers" {
	local max=18446744073709551615
	run nbd-replay --flush x "$T/a" "$T/b"
	[ "$status" -eq 2 ]
	[ "$output" = "nbd-replay: error: --flush: 'x' is not a number from 0 to $max" ]
	run nbd-replay --crash 1 --keep 1K "$T/a" "$T/b"
	[ "$status" -eq 2 ]
	[ "$output" = "nbd-replay: error: --keep: '1K' is not a number from 0 to $max" ]
	run nbd-replay --crash -1 "$T/a" "$T/b"
	[ "$status" -eq 2 ]
	[ "$output" = "nbd-replay: error: --crash: '-1' is not a number from 0 to $max" ]
	run nbd-replay --crash 1 --seed 18446744073709551616 "$T/a" "$T/b"
	[ "$status" -eq 2 ]
	[ "$output" = "nbd-replay: error: --seed: '18446744073709551616' is not a number from 0 to $max" ]
	run nbd-replay --crash 1 --seed ' 1' "$T/a" "$T/b"
	[ "$status" -eq 2 ]
	# The largest is a number like any other (the missing log fails next).
	run nbd-replay --crash 1 --seed "$max" "$T/a" "$T/b"
	[ "$status" -eq 2 ]
	[ "$output" = "nbd-replay: error: $T/a: No such file or directory" ]
}

@test "nbd-replay: misuse exits 2 with the usage" {
	run nbd-replay --lose all "$T/a" "$T/b"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--lose and --keep go with --crash"* ]]
	run nbd-replay --flush 1 --crash 1 "$T/a" "$T/b"
	[ "$status" -eq 2 ]
	run nbd-replay "$T/a"
	[ "$status" -eq 2 ]
	[[ "$output" == *"usage: nbd-replay"* ]]
	run nbd-replay --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--crash N"* ]]
}
