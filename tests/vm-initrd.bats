#!/usr/bin/env bats
# vm-initrd against Debian's installed kernel and its modules: the release
# read from every kind of image, the modules and their order checked
# against modules.dep, compressed and built-in modules in modules
# directories made here with depmod, the cache, reproducible bytes, and
# the errors.  busybox-static stands in for the init: any static binary.

bats_require_minimum_version 1.5.0

load helpers
load fixtures/vm
load fixtures/modules

# The modules the guest needs, as modules.dep names them;
# virtio_blk and virtio_net are wanted only if the kernel has them;
# Debian's does.
WANTED='virtio_pci virtio_console 9pnet_virtio 9p virtio_blk virtio_net'
INIT=/bin/busybox

# initrd_requires: sets KERNEL, KVER and MODDIR, or skips.
initrd_requires() {
	requires cpio
	[ -x "$INIT" ] || skip "$INIT is not installed (make deps installs busybox-static)"
	KERNEL=$(vm_kernel) ||
		skip "no readable /boot/vmlinuz-* with its /lib/modules (make deps installs linux-image-amd64)"
	KVER=${KERNEL#/boot/vmlinuz-}
	MODDIR=/lib/modules/$KVER
}

# initrd ARG...: vm-initrd with the test's cache and init.
initrd() {
	vm-initrd --init "$INIT" "$@"
}

# listing FILE: the archive's names; module_list FILE: its module list.
listing() { cpio -t --quiet <"$1"; }
module_list() { cpio -i --quiet --to-stdout etc/vm-init/modules <"$1"; }

# needed DIR: the files (as DIR/modules.dep names them) of the wanted
# modules and their dependencies; depmod lists every dependency, however
# deep, on each module's line.
needed() { needed_modules "$1" "$WANTED"; }

# in_archive: modules.dep paths on stdin as the archive names them.
in_archive() {
	sed -E "s,^,lib/modules/$KVER/,; s,\.ko\.(gz|xz|zst)\$,.ko,"
}

# check_order DIR LIST: every module in LIST comes after everything DIR's
# modules.dep says it depends on.
check_order() {
	awk -v ver="$KVER" '
		function norm(p) {
			sub(/\.ko\.(gz|xz|zst)$/, ".ko", p)
			return "lib/modules/" ver "/" p
		}
		FNR == NR {
			split($0, f, ":")
			deps[norm(f[1])] = f[2]
			next
		}
		{ pos[$0] = FNR; line[FNR] = $0 }
		END {
			for (i = 1; i in line; i++) {
				k = split(deps[line[i]], d, " ")
				for (j = 1; j <= k; j++)
					if (!(norm(d[j]) in pos) || pos[norm(d[j])] > i) {
						print line[i] " comes before " norm(d[j])
						bad = 1
					}
			}
			exit bad
		}' "$1/modules.dep" "$2"
}

# fake_modules ROOT: the needed modules of the real directory, copied into
# ROOT/lib/modules/$KVER (FAKE), with the real modules.builtin.
fake_modules() {
	local p
	FAKE=$1/lib/modules/$KVER
	mkdir -p "$FAKE"
	for p in $(needed "$MODDIR"); do
		mkdir -p "$FAKE/${p%/*}"
		cp "$MODDIR/$p" "$FAKE/$p"
	done
	cp "$MODDIR/modules.builtin" "$FAKE/"
	: >"$FAKE/modules.order"
}

depmod_b() {
	PATH=$PATH:/usr/sbin:/sbin depmod -b "$1" "$KVER" 2>/dev/null
}

@test "the release is read from the bzImage's setup header" {
	initrd_requires
	run --separate-stderr initrd --kernel "$KERNEL" --cache-dir "$T/cache" --verbose
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	[[ "$stderr" == *"$KERNEL: release $KVER"* ]]
	[ "$output" = "$T/cache/initrd-$KVER-${output##*-}" ]
	[ -f "$output" ]
}

@test "the archive holds /init, dev/console and the module list" {
	initrd_requires
	initrd --kernel "$KERNEL" -o "$T/initrd.img"
	listing "$T/initrd.img" >"$T/names"
	grep -qx init "$T/names"
	grep -qx dev/console "$T/names"
	grep -qx etc/vm-init/modules "$T/names"
	cpio -i --quiet --to-stdout init <"$T/initrd.img" | cmp - "$INIT"
	# Directories come before what is in them.
	awk '{ seen[$0] = 1; p = $0; while (sub(/\/[^\/]*$/, "", p)) if (!(p in seen)) exit 1 }' "$T/names"
	# Modes as the guest needs them.
	cpio -tv --quiet <"$T/initrd.img" | awk '$NF == "init" { exit $1 != "-rwxr-xr-x" }'
	cpio -tv --quiet <"$T/initrd.img" | awk '$NF == "dev/console" { exit $1 != "crw-------" }'
}

@test "exactly the needed modules, each after its dependencies" {
	initrd_requires
	initrd --kernel "$KERNEL" -o "$T/initrd.img"
	module_list "$T/initrd.img" >"$T/list"
	needed "$MODDIR" | in_archive | sort >"$T/want"
	[ -s "$T/want" ]
	sort "$T/list" | diff -u "$T/want" -
	# No module in the archive that is not in the list.
	listing "$T/initrd.img" | grep '\.ko$' | sort | diff -u "$T/want" -
	check_order "$MODDIR" "$T/list"
}

@test "modules are stored byte for byte" {
	initrd_requires
	initrd --kernel "$KERNEL" -o "$T/initrd.img"
	mkdir "$T/x"
	(cd "$T/x" && cpio -i --quiet -d) <"$T/initrd.img"
	local p n=0
	for p in $(needed "$MODDIR"); do
		case $p in *.ko) ;; *) continue ;; esac
		cmp "$MODDIR/$p" "$T/x/lib/modules/$KVER/$p"
		n=$((n + 1))
	done
	(( n > 0 ))
}

@test ".ko.xz, .ko.zst and gzip'd modules are stored decompressed" {
	initrd_requires
	requires xz zstd gzip
	fake_modules "$T/root"
	local f i=0
	for f in $(find "$FAKE" -name '*.ko' | sort); do
		case $((i++ % 3)) in
		0) xz --check=crc32 "$f" ;;
		1) zstd -q --rm "$f" ;;
		esac
	done
	depmod_b "$T/root"
	grep -q '\.ko\.xz:' "$FAKE/modules.dep"
	grep -q '\.ko\.zst:' "$FAKE/modules.dep"
	# Debian's depmod reads no .ko.gz, so gzip one under its .ko name:
	# the contents decide, not the name.
	f=$(sed -n 's/^\([^:]*\.ko\):.*/\1/p' "$FAKE/modules.dep" | head -n 1)
	[ -n "$f" ]
	gzip -c "$FAKE/$f" >"$T/gz" && mv "$T/gz" "$FAKE/$f"

	initrd --kernel "$KERNEL" --modules-dir "$FAKE" -o "$T/initrd.img"
	module_list "$T/initrd.img" >"$T/list"
	needed "$FAKE" | in_archive | sort >"$T/want"
	sort "$T/list" | diff -u "$T/want" -
	check_order "$FAKE" "$T/list"
	mkdir "$T/x"
	(cd "$T/x" && cpio -i --quiet -d) <"$T/initrd.img"
	local p
	for p in $(needed "$MODDIR"); do
		cmp "$MODDIR/$p" "$T/x/lib/modules/$KVER/$p"
	done
}

@test "a kernel with everything built in: no modules, an empty list" {
	initrd_requires
	local d=$T/root/lib/modules/$KVER
	mkdir -p "$d"
	printf '%s\n' kernel/drivers/virtio/virtio_pci.ko \
		kernel/drivers/char/virtio_console.ko \
		kernel/net/9p/9pnet_virtio.ko kernel/fs/9p/9p.ko >"$d/modules.builtin"
	: >"$d/modules.order"
	depmod_b "$T/root"
	run --separate-stderr initrd --kernel "$KERNEL" --modules-dir "$d" -o "$T/initrd.img" --verbose
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	[[ "$stderr" == *"9pnet_virtio is built in"* ]]
	[ -z "$(module_list "$T/initrd.img")" ]
	listing "$T/initrd.img" | grep -qx etc/vm-init/modules
	! listing "$T/initrd.img" | grep -q '^lib'
}

@test "a built-in module is skipped, its users' other dependencies are not" {
	initrd_requires
	fake_modules "$T/root"
	rm "$FAKE"/kernel/drivers/char/virtio_console.ko*
	echo kernel/drivers/char/virtio_console.ko >>"$FAKE/modules.builtin"
	depmod_b "$T/root"
	initrd --kernel "$KERNEL" --modules-dir "$FAKE" -o "$T/initrd.img"
	module_list "$T/initrd.img" >"$T/list"
	! grep -q virtio_console "$T/list"
	grep -q /virtio_pci.ko "$T/list"
	grep -q /9p.ko "$T/list"
	check_order "$FAKE" "$T/list"
}

@test "--no-modules reads no modules directory" {
	initrd_requires
	initrd --kernel "$KERNEL" --no-modules --modules-dir /nonexistent -o "$T/x" 2>"$T/err" && return 1
	initrd --kernel "$KERNEL" --no-modules -o "$T/initrd.img"
	[ -z "$(module_list "$T/initrd.img")" ]
	! listing "$T/initrd.img" | grep -q '^lib'
}

@test "the release from a vmlinux, a gzip'd Image, xz, zstd and EFI zboot" {
	initrd_requires
	requires python3 xz zstd gzip
	local vmlinux off f
	vmlinux=$(vm_boot_kernel)
	[ "$vmlinux" != "$KERNEL" ] || skip "could not unpack the bzImage to a vmlinux"
	# A slice of the vmlinux around its banner, for the slow compressors.
	off=$(grep -abo -m 1 "Linux version $KVER " "$vmlinux" | cut -d: -f1)
	[ -n "$off" ]
	tail -c +$((off > 1048576 ? off - 1048576 : 1)) "$vmlinux" | head -c 2097152 >"$T/slice"
	gzip -1 -c "$vmlinux" >"$T/Image.gz"
	xz -0 -c "$T/slice" >"$T/slice.xz"
	zstd -q -c "$T/slice" >"$T/slice.zst"
	# struct linux_efi_zboot_header, around a gzip'd payload.
	python3 - "$T/slice" "$T/zboot" <<-'EOF'
		import gzip, struct, sys
		payload = gzip.compress(open(sys.argv[1], 'rb').read(), 1)
		hdr = bytearray(64)
		hdr[0:2] = b'MZ'
		hdr[4:8] = b'zimg'
		hdr[8:16] = struct.pack('<II', 64, len(payload))
		hdr[24:28] = b'gzip'
		open(sys.argv[2], 'wb').write(bytes(hdr) + payload + b'\0' * 512)
	EOF
	for f in "$vmlinux" "$T/Image.gz" "$T/slice.xz" "$T/slice.zst" "$T/zboot"; do
		run --separate-stderr initrd --kernel "$f" --no-modules -o "$T/initrd.img" --verbose
		[ "$status" -eq 0 ] || { echo "$f: $stderr"; return 1; }
		[[ "$stderr" == *"$f: release $KVER"* ]] || { echo "$f: $stderr"; return 1; }
	done
}

@test "the cache: the same path again, from the cache; a new init, a new entry" {
	initrd_requires
	local first ino
	run --separate-stderr initrd --kernel "$KERNEL" --cache-dir "$T/cache" --verbose
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"built $output"* ]]
	first=$output
	ino=$(stat -c %i "$first")
	run --separate-stderr initrd --kernel "$KERNEL" --cache-dir "$T/cache" --verbose
	[ "$status" -eq 0 ]
	[ "$output" = "$first" ]
	[[ "$stderr" == *"cached: $first"* ]]
	[ "$(stat -c %i "$first")" = "$ino" ]

	# Another init: another entry, and the first one stays.
	cp "$INIT" "$T/init" && printf x >>"$T/init"
	run vm-initrd --kernel "$KERNEL" --cache-dir "$T/cache" --init "$T/init"
	[ "$status" -eq 0 ]
	[ "$output" != "$first" ]
	[ -f "$output" ] && [ -f "$first" ]
	cpio -i --quiet --to-stdout init <"$output" | cmp - "$T/init"

	# --no-cache builds again, into the same name, the same bytes.
	cp "$first" "$T/copy"
	run initrd --kernel "$KERNEL" --cache-dir "$T/cache" --no-cache
	[ "$status" -eq 0 ]
	[ "$output" = "$first" ]
	[ "$(stat -c %i "$first")" != "$ino" ]
	cmp "$first" "$T/copy"
	# Nothing else is left in the cache.
	[ "$(ls -A "$T/cache" | wc -l)" -eq 2 ]
}

@test "the cache: a module file changed is a new entry, a broken entry is rebuilt" {
	initrd_requires
	fake_modules "$T/root"
	depmod_b "$T/root"
	local first
	first=$(initrd --kernel "$KERNEL" --modules-dir "$FAKE" --cache-dir "$T/cache")
	touch -d '2001-01-01' "$FAKE/kernel/fs/9p/9p.ko"
	run initrd --kernel "$KERNEL" --modules-dir "$FAKE" --cache-dir "$T/cache"
	[ "$status" -eq 0 ]
	[ "$output" != "$first" ]
	# A truncated entry is not used.
	head -c 1000 "$output" >"$T/cut" && cat "$T/cut" >"$output"
	run initrd --kernel "$KERNEL" --modules-dir "$FAKE" --cache-dir "$T/cache"
	[ "$status" -eq 0 ]
	[ "$(stat -c %s "$output")" -gt 1000 ]
}

@test "the cache lives under XDG_CACHE_HOME, else HOME" {
	initrd_requires
	run env XDG_CACHE_HOME="$T/xdg" vm-initrd --init "$INIT" --kernel "$KERNEL"
	[ "$status" -eq 0 ]
	[[ "$output" == "$T/xdg/vmtest-tools/initrd/initrd-$KVER-"*.img ]]
	run env -u XDG_CACHE_HOME HOME="$T/home" vm-initrd --init "$INIT" --kernel "$KERNEL"
	[ "$status" -eq 0 ]
	[[ "$output" == "$T/home/.cache/vmtest-tools/initrd/initrd-$KVER-"*.img ]]
	[ "$(stat -c %a "$T/home/.cache")" = 700 ]
}

@test "reproducible: two builds are byte-identical, and equal the cached one" {
	initrd_requires
	local cached
	initrd --kernel "$KERNEL" --no-cache -o "$T/a.img"
	initrd --kernel "$KERNEL" --no-cache -o "$T/b.img"
	cmp "$T/a.img" "$T/b.img"
	cached=$(initrd --kernel "$KERNEL" --cache-dir "$T/cache")
	cmp "$T/a.img" "$cached"
	# Every entry: owner root, time 0.
	cpio -tv --quiet <"$T/a.img" | awk '$3 != "root" || $4 != "root" { exit 1 }'
	[ -z "$(cpio -tv --quiet <"$T/a.img" | grep -v ' 1970 ')" ]
}

@test "-o replaces FILE whole and leaves no temporary file" {
	initrd_requires
	mkdir "$T/out"
	echo old >"$T/out/initrd.img"
	run initrd --kernel "$KERNEL" -o "$T/out/initrd.img"
	[ "$status" -eq 0 ]
	[ "$output" = "$T/out/initrd.img" ]
	[ "$(ls -A "$T/out")" = initrd.img ]
	listing "$T/out/initrd.img" | grep -qx init
	[ "$(stat -c %a "$T/out/initrd.img")" = "$(printf '%o' $(( 0644 & ~$(umask) )))" ]
}

@test "errors: a missing kernel, an unreadable release" {
	initrd_requires
	run initrd --kernel "$T/nope" -o "$T/x"
	[ "$status" -eq 2 ]
	[ "$output" = "vm-initrd: error: $T/nope: No such file or directory" ]
	head -c 4096 /dev/urandom >"$T/junk"
	run initrd --kernel "$T/junk" -o "$T/x"
	[ "$status" -eq 2 ]
	[[ "$output" == "vm-initrd: error: $T/junk: cannot read the kernel release: "* ]]
	: >"$T/empty"
	run initrd --kernel "$T/empty" -o "$T/x"
	[ "$status" -eq 2 ]
	[[ "$output" == *"$T/empty: cannot read the kernel release: empty file"* ]]
	run initrd --kernel "$T" -o "$T/x"
	[ "$status" -eq 2 ]
	[[ "$output" == *"$T: Is a directory"* ]]
	[ ! -e "$T/x" ]
}

@test "errors: a missing modules directory names it and the release" {
	initrd_requires
	requires python3
	run initrd --kernel "$KERNEL" --modules-dir "$T/none" -o "$T/x"
	[ "$status" -eq 2 ]
	[ "$output" = "vm-initrd: error: $T/none: No such file or directory (the modules of kernel $KVER)" ]
	# The default directory, from a release that has none.
	python3 - "$T/bz" <<-'EOF'
		import struct, sys
		img = bytearray(0x400)
		img[0x202:0x206] = b'HdrS'
		img[0x206:0x208] = struct.pack('<H', 0x20f)
		img[0x20e:0x210] = struct.pack('<H', 0x100)
		img[0x300:0x316] = b'9.9.9-vt-none (x@y) #1'
		open(sys.argv[1], 'wb').write(img)
	EOF
	run initrd --kernel "$T/bz" -o "$T/x"
	[ "$status" -eq 2 ]
	[[ "$output" == "vm-initrd: error: /lib/modules/9.9.9-vt-none: No such file or directory (the modules of kernel 9.9.9-vt-none); give --modules-dir"* ]]
	mkdir "$T/empty"
	run initrd --kernel "$KERNEL" --modules-dir "$T/empty" -o "$T/x"
	[ "$status" -eq 2 ]
	[ "$output" = "vm-initrd: error: $T/empty/modules.dep.bin: No such file or directory (run depmod for kernel $KVER)" ]
	[ ! -e "$T/x" ]
}

@test "errors: a needed module neither there nor built in is named" {
	initrd_requires
	fake_modules "$T/root"
	rm "$FAKE"/kernel/fs/9p/9p.ko*
	depmod_b "$T/root"
	run initrd --kernel "$KERNEL" --modules-dir "$FAKE" -o "$T/x"
	[ "$status" -eq 2 ]
	[[ "$output" == "vm-initrd: error: module 9p is missing: neither in $FAKE/modules.dep nor in $FAKE/modules.builtin (kernel $KVER)" ]]
	[ ! -e "$T/x" ]
}

@test "errors: an init that is missing or dynamic" {
	initrd_requires
	run vm-initrd --kernel "$KERNEL" --init "$T/none" -o "$T/x"
	[ "$status" -eq 2 ]
	[ "$output" = "vm-initrd: error: $T/none: No such file or directory" ]
	run vm-initrd --kernel "$KERNEL" --init /bin/sh -o "$T/x"
	[ "$status" -eq 2 ]
	[[ "$output" == *"/bin/sh: dynamically linked"*"/init must be static" ]]
	# The default is the vm-init beside vm-initrd.
	mkdir "$T/bin"
	cp "$VT_BIN/vm-initrd" "$T/bin/"
	run "$T/bin/vm-initrd" --kernel "$KERNEL" -o "$T/x"
	[ "$status" -eq 2 ]
	[[ "$output" == "vm-initrd: error: $T/bin/vm-init: No such file or directory (the default init, next to vm-initrd; give --init PATH)" ]]
	cp "$INIT" "$T/bin/vm-init"
	run "$T/bin/vm-initrd" --kernel "$KERNEL" -o "$T/x"
	[ "$status" -eq 0 ]
	cpio -i --quiet --to-stdout init <"$T/x" | cmp - "$INIT"
}

@test "errors: usage, and an output directory that is not there" {
	initrd_requires
	run vm-initrd
	[ "$status" -eq 2 ]
	[[ "$output" == *"--kernel is required"* ]]
	run vm-initrd --kernel "$KERNEL" --bogus
	[ "$status" -eq 2 ]
	[[ "$output" == *"usage: vm-initrd"* ]]
	run vm-initrd --kernel "$KERNEL" extra
	[ "$status" -eq 2 ]
	run vm-initrd --kernel "$KERNEL" --modules-dir "$MODDIR" --no-modules
	[ "$status" -eq 2 ]
	run vm-initrd --kernel "$KERNEL" --cache-dir "$T/c" -o "$T/x"
	[ "$status" -eq 2 ]
	run initrd --kernel "$KERNEL" -o "$T/no/such/dir/x"
	[ "$status" -eq 2 ]
	[[ "$output" == "vm-initrd: error: $T/no/such/dir: No such file or directory" ]]
	run vm-initrd --help
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: vm-initrd"* ]]
}

@test "errors: stdout that cannot be written is 71, the archive made" {
	initrd_requires
	run bash -c 'vm-initrd --init "$1" --kernel "$2" -o "$3" >/dev/full' - \
		"$INIT" "$KERNEL" "$T/x"
	[ "$status" -eq 71 ]
	[ "$output" = "vm-initrd: error: stdout: No space left on device" ]
	listing "$T/x" | grep -qx init
}

@test "errors: out of memory is 71, one line, and leaves no temporary file" {
	initrd_requires
	if grep -qa __asan_init "$VT_BIN/vm-initrd"; then
		skip "AddressSanitizer's shadow memory does not fit under ulimit -v"
	fi
	fake_modules "$T/root"
	depmod_b "$T/root"
	# 9p unpacks to 300 MiB, below the bound on a module but more than
	# the 200 MB of address space vm-initrd gets.
	f=$(ls "$FAKE"/kernel/fs/9p/9p.ko*)
	{ printf '\177ELF'; head -c 300M /dev/zero; } | gzip -1 >"$f"
	mkdir "$T/out"
	run bash -c 'ulimit -v 200000 && exec vm-initrd "$@"' - --init "$INIT" \
		--kernel "$KERNEL" --modules-dir "$FAKE" -o "$T/out/x"
	[ "$status" -eq 71 ]
	[ "$output" = "vm-initrd: error: out of memory" ]
	[ -z "$(ls -A "$T/out")" ]
	# The address space is enough for the real modules: the 71 was 9p's.
	run bash -c 'ulimit -v 200000 && exec vm-initrd "$@"' - --init "$INIT" \
		--kernel "$KERNEL" -o "$T/out/x"
	[ "$status" -eq 0 ]
}

# Another architecture's kernel (--arch): its vm-init.ARCH, its modules
# from --rootfs.  The kernel is the host's: vm-initrd reads only its
# release, and the modules directory is the one it is pointed at.

@test "--arch: vm-init.ARCH beside vm-initrd is the init; one for another machine is refused" {
	initrd_requires
	[ -x "$VT_BIN/vm-init.aarch64" ] || skip "no vm-init.aarch64 built (gcc-aarch64-linux-gnu is not installed)"
	run --separate-stderr vm-initrd --arch aarch64 --kernel "$KERNEL" --no-modules -o "$T/x"
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	cpio -i --quiet --to-stdout init <"$T/x" | cmp - "$VT_BIN/vm-init.aarch64"
	run vm-initrd --arch s390x --init "$VT_BIN/vm-init.aarch64" --kernel "$KERNEL" --no-modules -o "$T/x"
	[ "$status" -eq 2 ]
	[ "$output" = "vm-initrd: error: $VT_BIN/vm-init.aarch64: an executable for aarch64, and the kernel is for s390x" ]
	run vm-initrd --arch m68k --kernel "$KERNEL" --no-modules -o "$T/x"
	[ "$status" -eq 2 ]
	[ "$output" = "vm-initrd: error: --arch m68k: not x86_64, aarch64, riscv64 or s390x" ]
}

@test "--arch: without vm-init.ARCH, the error names the cross compiler and --initrd" {
	initrd_requires
	mkdir "$T/bin"
	cp "$VT_BIN/vm-initrd" "$T/bin/"
	run "$T/bin/vm-initrd" --arch riscv64 --kernel "$KERNEL" --no-modules -o "$T/x"
	[ "$status" -eq 2 ]
	[[ "$output" == "vm-initrd: error: $T/bin/vm-init.riscv64: No such file or directory"*"riscv64-linux-gnu-gcc"*"gcc-riscv64-linux-gnu and libc6-dev-riscv64-cross"*"(qemu-launch --initrd)" ]]
}

@test "--rootfs: the modules of ROOTFS/lib/modules/RELEASE; s390x's transport is CCW, not PCI" {
	initrd_requires
	[ -x "$VT_BIN/vm-init.s390x" ] || skip "no vm-init.s390x built (gcc-s390x-linux-gnu is not installed)"
	fake_modules "$T/root"
	depmod_b "$T/root"
	run --separate-stderr initrd --kernel "$KERNEL" --rootfs "$T/root/" -o "$T/x" --verbose
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	[[ "$stderr" == *"modules from $T/root/lib/modules/$KVER: "* ]]
	module_list "$T/x" | grep -q /virtio_pci.ko
	# (The host's virtio_ccw is no module: none is wanted, none packed.)
	run --separate-stderr vm-initrd --arch s390x --kernel "$KERNEL" --rootfs "$T/root" -o "$T/x"
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	module_list "$T/x" >"$T/list"
	! grep -q virtio_pci "$T/list"
	grep -q /9pnet_virtio.ko "$T/list"
	grep -q /virtio_console.ko "$T/list"
}

@test "--rootfs: a foreign kernel's modules are looked for in the root only, and the error names it" {
	initrd_requires
	[ -x "$VT_BIN/vm-init.aarch64" ] || skip "no vm-init.aarch64 built (gcc-aarch64-linux-gnu is not installed)"
	mkdir "$T/root"
	# The host's /lib/modules/$KVER exists, and is not an aarch64 kernel's.
	run vm-initrd --arch aarch64 --kernel "$KERNEL" --rootfs "$T/root" -o "$T/x"
	[ "$status" -eq 2 ]
	[ "$output" = "vm-initrd: error: $T/root/lib/modules/$KVER: No such file or directory (the modules of kernel $KVER); give --modules-dir, or --no-modules for a kernel with virtio, 9p and the virtio console built in" ]
	# usr/lib/modules, a root without the /lib link, will do too.
	fake_modules "$T/root/usr"
	depmod_b "$T/root/usr"
	run --separate-stderr vm-initrd --arch aarch64 --kernel "$KERNEL" --rootfs "$T/root" -o "$T/x" --verbose
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	[[ "$stderr" == *"modules from $T/root/usr/lib/modules/$KVER: "* ]]
}

@test "no --rootfs: the modules beside the kernel, as in an unpacked kernel package" {
	initrd_requires
	# pkg/boot/vmlinuz-R and pkg/lib/modules/R, as dpkg-deb -x leaves them.
	fake_modules "$T/pkg"
	depmod_b "$T/pkg"
	mkdir -p "$T/pkg/boot"
	cp "$KERNEL" "$T/pkg/boot/"
	run --separate-stderr initrd --kernel "$T/pkg/boot/${KERNEL##*/}" -o "$T/x" --verbose
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	[[ "$stderr" == *"modules from $T/pkg/lib/modules/$KVER: "* ]]
	# Another arch's kernel too, found through a link to it.
	[ -x "$VT_BIN/vm-init.aarch64" ] || return 0
	ln -s "$T/pkg/boot/${KERNEL##*/}" "$T/vmlinuz"
	run --separate-stderr vm-initrd --arch aarch64 --kernel "$T/vmlinuz" -o "$T/x" --verbose
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	[[ "$stderr" == *"modules from $T/pkg/lib/modules/$KVER: "* ]]
}

@test "the release from a compressed kernel inside a boot image (as s390x's bzImage)" {
	initrd_requires
	requires xz
	local vmlinux off
	vmlinux=$(vm_boot_kernel)
	[ "$vmlinux" != "$KERNEL" ] || skip "could not unpack the bzImage to a vmlinux"
	off=$(grep -abo -m 1 "Linux version $KVER " "$vmlinux" | cut -d: -f1)
	tail -c +$((off > 1048576 ? off - 1048576 : 1)) "$vmlinux" | head -c 2097152 >"$T/slice"
	# A decompressor of 64 KB with no banner, the xz'd kernel, a trailer.
	{ head -c 65536 /dev/zero; xz -0 -c "$T/slice"; head -c 4096 /dev/zero; } >"$T/image"
	run --separate-stderr vm-initrd --init "$INIT" --kernel "$T/image" --no-modules -o "$T/x" --verbose
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	[[ "$stderr" == *"$T/image: release $KVER"* ]]
}
