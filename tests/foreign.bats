#!/usr/bin/env bats
# Kernels of other architectures as vmtest boots them, with no initramfs
# of the user's: `vmtest -a ARCH -k KERNEL -r ROOT`, ROOT a directory of
# Debian's packages of that architecture unpacked with dpkg-deb -x
# (tests/fixtures/mkforeign.sh).  vm-initrd packs the cross-built
# vm-init.ARCH and ROOT's modules; the guest runs ROOT's qemu-ga and
# bash.  Under TCG, never KVM: Debian's arm64 kernel on qemu-system-aarch64
# and its s390x kernel on qemu-system-s390x.  (riscv64: bookworm packages
# no riscv64 kernel; the goldens in qemu-launch.bats and build.bats cover
# it.)

load helpers
load fixtures/foreign
bats_require_minimum_version 1.5.0

VMTEST=$VT_ROOT/bin/vmtest

# guest DEBARCH CMD: vmtest --json on that guest: the result's JSON line
# on stdout, the command's output among vmtest's on stderr.  (With a root
# of its own the current directory is not shared: every test's runs are
# one setup, one snapshot.)
guest() {
	local d
	d=$(foreign_dir "$1")
	VMTEST_BINDIR=$VT_BIN VMTEST_NO_UI=1 "$VMTEST" --json -a "$(foreign_arch "$1")" \
		-k "$d/vmlinuz" -r "$d/root" -- "$2"
}

# seconds: the run's time and how it started, for the TAP stream.
seconds() { jq -r '"\(.start), \(.seconds.total) s"' <<<"$output"; }

# said LINE: the command printed LINE (a whole line of stderr).
said() { grep -qxF -- "$1" <<<"$stderr" || { echo "no line '$1' in: $stderr"; false; }; }

@test "aarch64: -a aarch64 -k -r boots Debian's arm64 kernel on an arm64 root; a second run restores its snapshot" {
	foreign_requires arm64
	local d
	d=$(foreign_dir arm64)
	run --separate-stderr guest arm64 'uname -m; uname -r; cat /proc/consoles'
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	said aarch64
	said "$(cat "$d/kver")"
	grep -q '^ttyAMA0 ' <<<"$stderr"
	echo "# aarch64, first run: $(seconds)" >&3

	run --separate-stderr guest arm64 'uname -m'
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	said aarch64
	[ "$(jq -r .start <<<"$output")" = snapshot ]
	echo "# aarch64, second run: $(seconds)" >&3
}

@test "s390x: -a s390x -k -r boots Debian's s390x kernel (virtio over CCW) and its console is ttysclp0" {
	foreign_requires s390x
	local d
	d=$(foreign_dir s390x)
	run --separate-stderr guest s390x 'uname -m; uname -r; cat /proc/consoles'
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	said s390x
	said "$(cat "$d/kver")"
	grep -q '^ttysclp0 ' <<<"$stderr"
	echo "# s390x: $(seconds)" >&3
}
