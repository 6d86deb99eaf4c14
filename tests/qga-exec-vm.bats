#!/usr/bin/env bats
# qga-exec in a real guest: Debian's kernel booted under TCG with the
# host's qemu-ga on a virtio-serial port (tests/fixtures/vm.bash).  One
# guest serves the whole file: a boot costs seconds, a test milliseconds.

load helpers
load fixtures/vm
bats_require_minimum_version 1.5.0

setup_file() {
	VM_T=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/vm.XXXXXX")
	export VM_T
	T=$VM_T
	: >"$T/peers"
	start_vm_qga
}

teardown_file() {
	T=$VM_T
	# The guest powers off through QMP; stop_peers TERMs what is left.
	qmp-send --sock "$VM_T/qmp.sock" --timeout 5s quit >/dev/null 2>&1 || true
	stop_peers
}

vqga() { qga-exec --sock "$VM_T/qga.sock" "$@"; }

@test "in a guest: --wait rides out the boot, and uname -r names the booted kernel" {
	vm_requires
	run vqga --wait 90s -- uname -r
	[ "$status" -eq 0 ] || { T=$VM_T vm_dump; false; }
	[ "$output" = "$(vm_kernel_version)" ]
}

@test "in a guest: streams apart, exit status through" {
	vm_requires
	run --separate-stderr vqga --wait 90s -- sh -c 'echo out; echo err >&2; exit 7'
	[ "$status" -eq 7 ]
	[ "$output" = out ]
	[ "$stderr" = err ]
}

@test "in a guest: output streams while the command runs" {
	vm_requires
	vqga --wait 90s -- sh -c 'echo first; sleep 3; echo second' >"$BATS_TEST_TMPDIR/out" &
	local pid=$!
	wait_for_content "$BATS_TEST_TMPDIR/out" 3
	kill -0 "$pid"
	wait "$pid"
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = $'first\nsecond' ]
}

@test "in a guest: --timeout stops the command, and nothing is left in /tmp" {
	vm_requires
	run vqga --wait 90s --timeout 1s -- sh -c 'sleep 60 & wait'
	[ "$status" -eq 124 ]
	run vqga -- sh -c 'ps -o pid,args | grep -c "[s]leep 60"; ls -A /tmp | grep -c qga-exec'
	[ "$output" = $'0\n0' ]
}
