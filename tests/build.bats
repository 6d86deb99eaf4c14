#!/usr/bin/env bats
# The build system's promises: install layout and the dependency installer.

load helpers
load fixtures/vm
bats_require_minimum_version 1.5.0

@test "make install puts tools and man pages under DESTDIR and PREFIX" {
	run make -s -C "$VT_ROOT" install DESTDIR="$T/root" PREFIX=/opt/vt
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ -x "$T/root/opt/vt/bin/qmp-send" ]
	[ -f "$T/root/opt/vt/share/man/man1/qmp-send.1" ]
	run "$T/root/opt/vt/bin/qmp-send" --version
	[ "$status" -eq 0 ]
	[ -f "$T/root/opt/vt/share/man/man1/vmtest.1" ]
}

@test "make install: the installed vmtest uses the tools beside it" {
	run make -s -C "$VT_ROOT" install DESTDIR="$T/root" PREFIX=/opt/vt
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	mkdir "$T/w"
	printf '[target a]\nkernel = missing-kernel\ncommand = true\n' >"$T/w/vmtest.ini"
	# Neither PATH nor VMTEST_BINDIR leads to the build tree's tools.
	cd "$T/w"
	run env -u VMTEST_BINDIR PATH=/usr/bin:/bin "$T/root/opt/vt/bin/vmtest"
	[ "$status" -eq 2 ]
	[[ "$output" == *"qemu-launch: error: "*"vmtest.ini:2:"*"missing-kernel"* ]]
}

@test "deps: nothing to do when every package is installed" {
	printf '# comment\ndpkg\n' >"$T/list"
	run env VT_DEBIAN_PACKAGES="$T/list" "$VT_ROOT/build-aux/deps.sh"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "deps: as a user, prints the apt-get line and fails" {
	requires setpriv
	# The user must reach the script and its list, and neither bats' own
	# directory nor a fresh clone's need be open to others.
	local dir
	dir=$(mktemp -d /tmp/vt-deps.XXXXXX)
	chmod 755 "$dir"
	cp "$VT_ROOT/build-aux/deps.sh" "$dir/"
	printf 'dpkg\nvt-no-such-package\n' >"$dir/list"
	chmod 644 "$dir/list"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env VT_DEBIAN_PACKAGES="$dir/list" "$dir/deps.sh"
	rm -rf "$dir"
	[ "$status" -eq 1 ]
	[[ "$output" == *"apt-get install -y --no-install-recommends vt-no-such-package"* ]]
	[[ "$output" != *" dpkg"* ]]
}

@test "deps: a comment after a package names no package" {
	printf '# what\ndpkg      # the package manager\n' >"$T/list"
	run env VT_DEBIAN_PACKAGES="$T/list" "$VT_ROOT/build-aux/deps.sh"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "make: without the libraries, the build stops with one error naming make deps" {
	# pkg-config is asked only when a recipe needs it, after deps has run:
	# here it finds nothing, as on a fresh machine before make deps.
	run make -C "$VT_ROOT" -n -B PKG_CONFIG=false all
	[ "$status" -eq 2 ]
	[[ "$output" == *"pkg-config finds no jansson inih"*"run 'make deps'"* ]]
	[ "$(grep -c 'pkg-config finds no' <<<"$output")" -eq 1 ]
}

@test "make demo on a fresh machine: the build asks pkg-config only after deps" {
	# As on a fresh machine, pkg-config finds nothing until deps has
	# installed the packages; make demo must still build and boot at once.
	vm_requires
	printf '#!/bin/sh\n[ -e "%s" ] || exit 1\nexec pkg-config "$@"\n' "$T/installed" >"$T/pkg-config"
	chmod +x "$T/pkg-config"
	local build=build/test-demo-$$
	run make -C "$VT_ROOT" demo BUILD="$build" PKG_CONFIG="$T/pkg-config" \
		INSTALL_DEPS="touch $T/installed"
	rm -rf "${VT_ROOT:?}/$build"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[[ "$output" == *"Linux vmtest "*" GNU/Linux"* ]]
}

# machine_of ARCH: what readelf -h says an ARCH executable's machine is.
machine_of() {
	case $1 in
	x86_64) echo 'Advanced Micro Devices X86-64' ;;
	aarch64) echo AArch64 ;;
	riscv64) echo RISC-V ;;
	s390x) echo 'IBM S/390' ;;
	esac
}

@test "make: vm-init.ARCH is a static executable of ARCH for each cross compiler found" {
	requires readelf
	local a n=0
	for a in x86_64 aarch64 riscv64 s390x; do
		[ "$a" != "$(uname -m)" ] || continue
		# The Makefile's own test: a cross gcc that finds a static libc.
		[[ "$("$a-linux-gnu-gcc" -print-file-name=libc.a 2>/dev/null)" == /* ]] || continue
		n=$((n + 1))
		[ -x "$VT_BIN/vm-init.$a" ] || { echo "no $VT_BIN/vm-init.$a"; return 1; }
		run -0 readelf -h "$VT_BIN/vm-init.$a"
		[[ "$output" == *"Type:"*"EXEC"* ]]
		[[ "$output" == *"Machine:"*"$(machine_of "$a")"* ]]
		run -0 readelf -l "$VT_BIN/vm-init.$a"
		[[ "$output" != *INTERP* ]]
	done
	[ "$n" -gt 0 ] || skip "no cross compiler (make deps installs gcc-aarch64-linux-gnu and the others)"
}

@test "make: a cross compiler that is missing leaves its vm-init out, and the build goes on" {
	run -0 make -C "$VT_ROOT" -n -p CROSS_ARCHES='aarch64 m68k' all
	local line
	line=$(grep '^VMINIT_CROSS := ' <<<"$output")
	[ -n "$line" ]
	[[ "$line" != *m68k* ]]
}

@test "make install: vm-init.ARCH goes beside vm-initrd" {
	[ -x "$VT_BIN/vm-init.aarch64" ] || skip "no vm-init.aarch64 built (gcc-aarch64-linux-gnu is not installed)"
	run make -s -C "$VT_ROOT" install DESTDIR="$T/root" PREFIX=/opt/vt
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ -x "$T/root/opt/vt/bin/vm-init.aarch64" ]
	[ -x "$T/root/opt/vt/bin/vm-initrd" ]
}
