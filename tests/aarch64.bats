#!/usr/bin/env bats
# A second architecture for real: Debian's arm64 kernel under
# qemu-system-aarch64 (TCG, never KVM), started by qemu-launch with an
# arm64 initramfs made of Debian's arm64 packages
# (tests/fixtures/mkarm64.sh) whose /init runs Debian's arm64 qemu-ga;
# qga-exec runs commands in it and qmp-send ends it.  One boot.

load helpers
load fixtures/arm64
bats_require_minimum_version 1.5.0

# QEMU outlives qemu-launch --detach, so its pid goes into $T/peers by
# hand: quit through QMP first, then stop_peers TERMs what is left (and
# fails the test if QEMU does not stop).
teardown() {
	local pid
	pid=$(peer_pid qemu)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		qmp-send --sock "$T/run/qmp.sock" --timeout 5s quit >/dev/null 2>&1 || :
		wait_until 10 "QEMU to exit" not_running "$pid" 2>/dev/null || :
	fi
	stop_peers
	rm -rf "$T"
}

# dump_guest: the end of the guest's console and QEMU's stderr.
dump_guest() {
	{
		echo "--- tail of $T/run/serial.log:"
		tail -n 30 "$T/run/serial.log" 2>/dev/null
		echo "--- qemu.err:"
		tail -n 20 "$T/run/qemu.err" 2>/dev/null
	} >&2
}

@test "aarch64: Debian's arm64 kernel boots under TCG and runs uname through the agent" {
	arm64_requires
	local kernel initrd kver pid t0 t1
	kernel=$(arm64_kernel)
	initrd=$(arm64_initrd)
	kver=$(arm64_kernel_version)

	t0=$(date +%s%N)
	run -0 qemu-launch --arch aarch64 --kernel "$kernel" --initrd "$initrd" \
		--accel tcg --detach --rundir "$T/run"
	pid=$(jq -er .pid <<<"$output")
	echo "$pid qemu" >>"$T/peers"
	[ "$(jq -r '.arch + " " + .accel' <<<"$output")" = "aarch64 tcg" ]

	run qga-exec --sock "$T/run/qga.sock" --wait 180s -- uname -m
	t1=$(date +%s%N)
	[ "$status" -eq 0 ] || { dump_guest; false; }
	[ "$output" = aarch64 ]
	printf '# aarch64: the agent answered %d.%01d s after qemu-launch started\n' \
		$(( (t1 - t0) / 1000000000 )) $(( (t1 - t0) / 100000000 % 10 )) >&3

	run -0 qga-exec --sock "$T/run/qga.sock" -- uname -r
	[ "$output" = "$kver" ]

	run -0 qmp-send --sock "$T/run/qmp.sock" quit
	wait_until 10 "QEMU to exit" not_running "$pid"
}
