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
	# One 9p share, tag vtshare, for --mount.
	mkdir "$T/share"
	echo "from the host" >"$T/share/hello"
	start_vm_qga -fsdev "local,id=vtshare,path=$T/share,security_model=none" \
		-device virtio-9p-pci,fsdev=vtshare,mount_tag=vtshare
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

# vm_9p_modules DIR: the guest kernel's 9p modules under DIR/lib/modules/KVER
# with their modules.dep (the fixture's initramfs has none of them), as a
# tar of files only, on stdout.
vm_9p_modules() {
	local kver dir=$1 m f rel
	kver=$(vm_kernel_version) || return 1
	for m in 9p 9pnet 9pnet_virtio netfs fscache; do
		f=$(PATH=$PATH:/usr/sbin:/sbin modinfo -k "$kver" -n "$m") || return 1
		rel=${f#/lib/modules/"$kver"/}
		rel=${rel%.ko*}.ko
		mkdir -p "$dir/lib/modules/$kver/${rel%/*}"
		case $f in
		*.xz) xz -dc "$f" ;;
		*.zst) zstd -qdc "$f" ;;
		*.gz) gzip -dc "$f" ;;
		*) cat "$f" ;;
		esac >"$dir/lib/modules/$kver/$rel" || return 1
	done
	# virtio and virtio_ring are loaded already: depmod says so, harmlessly.
	PATH=$PATH:/usr/sbin:/sbin depmod -b "$dir" "$kver" 2>/dev/null || return 1
	(cd "$dir" && find lib -type f -print0 | tar -c --null -T - -f -)
}

@test "in a guest: --mount loads 9p and mounts a share at a path with a blank and a colon" {
	vm_requires
	vm_9p_modules "$BATS_TEST_TMPDIR/mods" >"$BATS_TEST_TMPDIR/mods.tar"
	run vqga --wait 90s --stdin -- tar -x -C / -f - <"$BATS_TEST_TMPDIR/mods.tar"
	[ "$status" -eq 0 ] || { echo "$output"; T=$VM_T vm_dump; false; }
	run vqga --mount 'vtshare:/mnt/a b:c' -- sh -c 'cat "/mnt/a b:c/hello"; echo back >"/mnt/a b:c/written"'
	[ "$status" -eq 0 ] || { echo "$output"; T=$VM_T vm_dump; false; }
	[ "$output" = "from the host" ]
	[ "$(cat "$VM_T/share/written")" = back ]
	# A virtio-9p share mounts once at a time: again, read-only, elsewhere,
	# and alone, without COMMAND.
	run vqga -- umount '/mnt/a b:c'
	[ "$status" -eq 0 ]
	run vqga --mount 'vtshare:/mnt/ro:ro'
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run vqga -- sh -c 'cat /mnt/ro/hello && ! touch /mnt/ro/nope 2>/dev/null'
	[ "$status" -eq 0 ]
	[ ! -e "$VM_T/share/nope" ]
}
