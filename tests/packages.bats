#!/usr/bin/env bats
# build-aux/check-commands.sh: a command that a test, fixture, benchmark,
# the demo or the driver calls must come from build-aux/debian-packages or
# a minimal root, or a new user's fresh machine is missing it.

load helpers
bats_require_minimum_version 1.5.0

CHECK=$VT_ROOT/build-aux/check-commands.sh

@test "packages: every command the scripts call comes from the list or a minimal root" {
	run "$CHECK"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ -z "$output" ]
}

@test "packages: the list before col's package was added is caught, naming the place" {
	# bsdextrautils (col) was missing until the fresh root showed it.
	sed '/^bsdextrautils/d' "$VT_ROOT/build-aux/debian-packages" >"$T/list"
	run "$CHECK" --list "$T/list"
	[ "$status" -eq 1 ]
	[[ "$output" == *"tests/man.bats:"*": col: its package bsdextrautils is neither in $T/list nor in a minimal root"* ]]
}

@test "packages: the command behind each wrapper is the one checked" {
	printf 'jq\nshfmt\n' >"$T/list"
	# (bats would take a test line here for one of its own)
	printf '%s\n' '@''test "x" { run -0 timeout -s KILL 5 env A=1 col -b; }' >"$T/t.bats"
	cat >>"$T/t.bats" <<-'EOF'
	bash -euc 'true && readelf -h x'
	qga-exec --sock s -- 'cd / && mcopy a b'
	wait_until 5 "a peer" socat - -
	start_peer term tmux new-session
	requires sfdisk
	wait_until() { :; }; start_peer() { :; }
	EOF
	run "$CHECK" --list "$T/list" "$T/t.bats"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/t.bats:1: col: its package bsdextrautils"* ]]
	[[ "$output" == *"$T/t.bats:2: readelf: its package binutils"* ]]
	[[ "$output" == *"$T/t.bats:3: mcopy: its package mtools"* ]]
	[[ "$output" == *"$T/t.bats:4: socat: its package socat"* ]]
	[[ "$output" == *"$T/t.bats:5: tmux: its package tmux"* ]]
	[[ "$output" == *"$T/t.bats:6: sfdisk: its package fdisk"* ]]
	[ "$(grep -c . <<<"$output")" -eq 6 ]
}

@test "packages: functions, builtins, minimal-root commands and the project's tools pass" {
	: >"$T/list"
	cat >"$T/t.sh" <<-'EOF'
	helper() { printf '%s\n' "$@" | sort | awk 1 | grep -c .; }
	helper a b; cd / && command -v jq; "$tool" --x
	qga-exec --sock s -- uname -r; qemu-launch --print-argv; vmtest -k k -- true
	EOF
	run "$CHECK" --list "$T/list" "$T/t.sh"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
}

@test "packages: a command installed nowhere is named" {
	printf 'vt-no-such-command --now\n' >"$T/t.sh"
	run "$CHECK" --list "$VT_ROOT/build-aux/debian-packages" "$T/t.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == "$T/t.sh:1: vt-no-such-command: not installed here, and no package of "*"debian-packages provides it" ]]
}

@test "packages: a script shfmt cannot parse is an error, not a pass" {
	printf 'if then fi (\n' >"$T/t.sh"
	run "$CHECK" "$T/t.sh"
	[ "$status" -ne 0 ]
	[[ "$output" == *"$T/t.sh: shfmt cannot parse it"* ]]
}
