#!/usr/bin/env bats
# The whole chain for a kernel target, as the driver uses it: Debian's
# kernel, vm-initrd's initramfs with vm-init, qemu-launch, and qga-exec
# running commands in a guest whose userspace is the host's.  One guest
# serves the file.  Host paths the guest must see live under /var/tmp:
# the guest's /tmp is its own tmpfs.  The guest's mounts and clock come
# over vm-init's control channel: its RTC starts in 2001 on purpose.

load helpers
load fixtures/vm
bats_require_minimum_version 1.5.0

# A guest path with a blank, a newline and a colon: it could not go on
# the kernel command line as it is.
odd_guest_path() { printf '/mnt/a b\nc:d'; }

setup_file() {
	vm_requires
	BOOT_T=$(mktemp -d /var/tmp/vt-boot.XXXXXX)
	export BOOT_T
	mkdir "$BOOT_T/share"
	echo "from the shared directory" >"$BOOT_T/share/hello"
	echo "from the host" >"$BOOT_T/host-file"
	mkdir "$BOOT_T/odd"
	echo "through the control channel" >"$BOOT_T/odd/file"
	qemu-launch --kernel "$(vm_kernel)" --accel tcg --share "$BOOT_T/share" \
		--mount "$BOOT_T/odd:$(odd_guest_path | sed 's/:/\\:/g')" \
		--extra-arg -rtc --extra-arg base=2001-01-01T00:00:00 \
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

@test "the chain: a mount whose guest path holds a blank, a newline and a colon" {
	run guest -- cat "$(odd_guest_path)/file"
	[ "$status" -eq 0 ]
	[ "$output" = "through the control channel" ]
}

@test "the chain: the guest's clock is the host's, though its RTC says 2001 and the command line says nothing of time" {
	local cmdline guest_now host_now
	cmdline=$(jq -r '.argv[.argv | index("-append") + 1]' "$BOOT_T/launch.json")
	[[ "$cmdline" == *vm.control=* && "$cmdline" != *time* ]]
	guest_now=$(guest -- date +%s)
	host_now=$(date +%s)
	echo "guest $guest_now, host $host_now"
	(( guest_now - host_now <= 2 && host_now - guest_now <= 2 ))
}

@test "the chain: without --net the guest has no NIC, only lo, and vm-init loaded no virtio_net" {
	run guest -- sh -c 'ls /sys/class/net; ls /sys/module | grep -x -e virtio_net -e failover'
	[ "$status" -eq 1 ]
	[ "$output" = lo ]
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
