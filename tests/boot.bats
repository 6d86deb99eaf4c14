#!/usr/bin/env bats
# The whole chain for a kernel target, as the driver uses it: Debian's
# kernel, vm-initrd's initramfs with vm-init, qemu-launch, and qga-exec
# running commands in a guest whose userspace is the host's.  One guest
# serves the file.  Host paths the guest must see live under /var/tmp:
# the guest's /tmp is its own tmpfs.

load helpers
load fixtures/vm
bats_require_minimum_version 1.5.0

setup_file() {
	vm_requires
	BOOT_T=$(mktemp -d /var/tmp/vt-boot.XXXXXX)
	export BOOT_T
	mkdir "$BOOT_T/share"
	echo "from the shared directory" >"$BOOT_T/share/hello"
	echo "from the host" >"$BOOT_T/host-file"
	qemu-launch --kernel "$(vm_kernel)" --accel tcg --share "$BOOT_T/share" \
		--detach >"$BOOT_T/launch.json" 2>"$BOOT_T/launch.err" ||
		{ cat "$BOOT_T/launch.err" >&2; return 1; }
}

teardown_file() {
	local pid
	pid=$(jq -r .pid "$BOOT_T/launch.json" 2>/dev/null)
	qmp-send --sock "$(jq -r .qmp "$BOOT_T/launch.json")" --timeout 5s quit \
		>/dev/null 2>&1 || kill "$pid" 2>/dev/null
	rm -rf "$(jq -r .rundir "$BOOT_T/launch.json")" "$BOOT_T"
}

guest() { qga-exec --sock "$(jq -r .qga "$BOOT_T/launch.json")" --wait 90s "$@"; }

@test "the chain: qemu-launch's JSON line names its sockets, and tcg" {
	jq -e '.accel == "tcg" and (.qga | endswith("/qga.sock")) and
		(.qmp | endswith("/qmp.sock")) and (.argv | length > 10)' "$BOOT_T/launch.json"
}

@test "the chain: uname -r in the guest names the booted Debian kernel" {
	run guest -- uname -r
	[ "$status" -eq 0 ]
	[ "$output" = "$(vm_kernel_version)" ]
}

@test "the chain: the guest sees the host's files at their own paths" {
	run guest -- cat "$BOOT_T/host-file"
	[ "$status" -eq 0 ]
	[ "$output" = "from the host" ]
}

@test "the chain: the shared directory is at /mnt/vmtest" {
	run guest -- cat /mnt/vmtest/hello
	[ "$status" -eq 0 ]
	[ "$output" = "from the shared directory" ]
}

@test "the chain: what the guest writes lands on the host" {
	run guest --cwd "$BOOT_T" -- sh -c 'echo "from the guest" >from-guest'
	[ "$status" -eq 0 ]
	[ "$(cat "$BOOT_T/from-guest")" = "from the guest" ]
}

@test "a guest panic: 69, named, within a second of QEMU's exit" {
	local rundir=$BOOT_T/panic-run end last
	run --separate-stderr qemu-launch --kernel "$(vm_kernel)" --accel tcg \
		--kernel-args 'rdinit=/nonexistent' --rundir "$rundir" --keep-rundir
	end=$(date +%s.%N)
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"the guest kernel panicked"*"Kernel panic"* ]]
	# The kernel's last line is QEMU's last act: qemu-launch must follow at once.
	last=$(stat -c %.9Y "$rundir/serial.log")
	awk -v e="$end" -v l="$last" 'BEGIN { exit !(e - l < 1.0) }'
}
