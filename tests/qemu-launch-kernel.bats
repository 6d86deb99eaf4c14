#!/usr/bin/env bats
# qemu-launch's kernels unpacked on the host (kernel.c): Debian's bzImage
# to its PVH ELF, arm64's Image.gz and EFI zboot images to the raw Image,
# everything else as given; the cache under XDG_CACHE_HOME, keyed by the
# kernel's content.  --print-argv shows what QEMU would boot without
# booting it; one real boot proves the ELF boots.  Synthetic kernels are
# made here: a hand-made setup header or zboot header around a gzip.

load helpers
load fixtures/vm
bats_require_minimum_version 1.5.0

setup() {
	helpers_setup
	mkdir -m 700 "$T/xdg"
	export XDG_RUNTIME_DIR=$T/xdg XDG_CACHE_HOME=$T/cache
	KERNELS=$T/cache/vmtest-tools/kernels
	: >"$T/initrd"
}

# booted ARG...: the kernel QEMU would boot for qemu-launch ARG...
booted() {
	qemu-launch "$@" --initrd "$T/initrd" --accel tcg --print-argv |
		jq -er '.[index("-kernel") + 1]'
}

# real_kernel: Debian's bzImage, or skip.
real_kernel() {
	requires qemu-system-x86_64 jq python3
	K=$(vm_kernel) || skip "no readable /boot/vmlinuz-* (make deps installs linux-image-amd64)"
}

# is_entry PATH PREFIX FILE: PATH is the cache's entry PREFIX-KEY for FILE,
# whose key is a CRC-64 of its bytes (16 hex digits) and its size.
is_entry() {
	local name=${1#"$KERNELS/"} re
	re="^$2-[0-9a-f]{16}-$(stat -c %s "$3")\$"
	[ "$name" != "$1" ] && [[ $name =~ $re ]] && [ -f "$1" ]
}

# pvh_elf FILE: FILE is a whole ELF (every segment inside it) with the PVH
# entry note, XEN_ELFNOTE_PHYS32_ENTRY.
pvh_elf() {
	python3 - "$1" <<-'EOF'
		import struct, sys
		d = open(sys.argv[1], 'rb').read()
		assert d[:4] == b'\x7fELF' and d[4] == 2, 'not an ELF64'
		phoff, = struct.unpack_from('<Q', d, 0x20)
		entsize, phnum = struct.unpack_from('<HH', d, 0x36)
		pvh = False
		for i in range(phnum):
		    typ, _, off, _, _, size = struct.unpack_from('<IIQQQQ', d, phoff + i * entsize)
		    assert off + size <= len(d), 'a segment past the end'
		    pos = off
		    while typ == 4 and pos + 12 <= off + size:
		        n, m, t = struct.unpack_from('<III', d, pos)
		        pvh |= d[pos + 12:pos + 16] == b'Xen\0' and t == 18
		        pos += 12 + (n + 3) // 4 * 4 + (m + 3) // 4 * 4
		assert pvh, 'no PVH note'
	EOF
}

# mkelf OUT [note]: a tiny ELF64, with the PVH note if asked.
mkelf() {
	python3 - "$@" <<-'EOF'
		import struct, sys
		def note(name, typ, desc):
		    n = name + b'\0'
		    pad = lambda b: b + b'\0' * (-len(b) % 4)
		    return struct.pack('<III', len(n), len(desc), typ) + pad(n) + pad(desc)
		notes = note(b'Xen', 6, b'linux\0')
		if sys.argv[2:] == ['note']:
		    notes += note(b'Xen', 18, struct.pack('<I', 0x1000000))
		e = bytearray(64)
		e[0:7] = b'\x7fELF\x02\x01\x01'
		struct.pack_into('<HHIQQ', e, 16, 2, 62, 1, 0x1000000, 64)
		struct.pack_into('<HHH', e, 0x34, 64, 56, 1)
		ph = struct.pack('<IIQQQQQQ', 4, 4, 120, 0, 0, len(notes), len(notes), 4)
		open(sys.argv[1], 'wb').write(bytes(e) + ph + notes + b'\0' * 256)
	EOF
}

# mkbzimage OUT PAYLOAD: a bzImage setup header (boot protocol 2.15, one
# setup sector) with PAYLOAD as its compressed kernel.
mkbzimage() {
	python3 - "$@" <<-'EOF'
		import struct, sys
		p = open(sys.argv[2], 'rb').read()
		h = bytearray(1024)
		h[0x1f1] = 1
		h[0x202:0x206] = b'HdrS'
		struct.pack_into('<H', h, 0x206, 0x020f)
		struct.pack_into('<II', h, 0x248, 0, len(p))
		open(sys.argv[1], 'wb').write(bytes(h) + p)
	EOF
}

# mkimage OUT: an arm64 Image: its 64-byte header, magic at 0x38, padding.
mkimage() {
	python3 - "$1" <<-'EOF'
		import sys
		h = bytearray(64)
		h[0:4] = b'MZ\x40\xfa'
		h[0x38:0x3c] = b'ARM\x64'
		open(sys.argv[1], 'wb').write(bytes(h) + bytes(range(256)) * 64)
	EOF
}

# mkzboot OUT PAYLOAD TYPE: an EFI zboot image around PAYLOAD, compressed
# with TYPE (drivers/firmware/efi/libstub/zboot-header.S).
mkzboot() {
	python3 - "$@" <<-'EOF'
		import struct, sys
		p = open(sys.argv[2], 'rb').read()
		h = bytearray(512)
		h[0:2] = b'MZ'
		h[4:8] = b'zimg'
		struct.pack_into('<II', h, 8, len(h), len(p))
		h[24:24 + len(sys.argv[3])] = sys.argv[3].encode()
		h[0x38:0x3c] = b'ARMd'
		open(sys.argv[1], 'wb').write(bytes(h) + p)
	EOF
}

@test "a bzImage boots as its PVH ELF, from the cache; vm-initrd still reads the bzImage" {
	real_kernel
	local out elf
	out=$(qemu-launch --kernel "$K" --accel tcg --print-argv)
	elf=$(jq -r '.[index("-kernel") + 1]' <<<"$out")
	is_entry "$elf" vmlinux "$K"
	jq -e --arg k "$K" '.[index("-initrd") + 1] | contains("vm-initrd --kernel '"'"'" + $k + "'"'"'")' <<<"$out"
	pvh_elf "$elf"
	[ "$(stat -c %a "$T/cache/vmtest-tools")" = 700 ]
}

@test "a second run takes the cached ELF as it is, and marks it used" {
	real_kernel
	local first inode
	first=$(booted --kernel "$K")
	inode=$(stat -c %i "$first")
	touch -d '2 days ago' "$first"
	[ "$(booted --kernel "$K")" = "$first" ]
	[ "$(stat -c %i "$first")" = "$inode" ]
	[ "$(stat -c %Y "$first")" -gt "$(date -d '1 day ago' +%s)" ]
}

@test "the key is the content: a copy is the same, one byte more a new ELF, a corrupt payload boots as given" {
	real_kernel
	local first setup off len
	first=$(booted --kernel "$K")
	cp "$K" "$T/vmlinuz"
	[ "$(booted --kernel "$T/vmlinuz")" = "$first" ]
	printf 'x' >>"$T/vmlinuz"
	run --separate-stderr booted --kernel "$T/vmlinuz"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" != "$first" ]
	is_entry "$output" vmlinux "$T/vmlinuz"
	# A byte in the middle of the compressed payload, flipped.
	setup=$(od -An -tu1 -j 497 -N1 "$T/vmlinuz")
	off=$(od -An -tu4 -j 584 -N4 "$T/vmlinuz")
	len=$(od -An -tu4 -j 588 -N4 "$T/vmlinuz")
	off=$(( ( (setup ? setup : 4) + 1) * 512 + off + len / 2 ))
	printf '%s' "$(od -An -tx1 -j "$off" -N1 "$T/vmlinuz")" | python3 -c '
import sys; b = int(sys.stdin.read(), 16) ^ 0xff; sys.stdout.buffer.write(bytes([b]))' |
		dd of="$T/vmlinuz" bs=1 seek="$off" conv=notrunc status=none
	run --separate-stderr booted --kernel "$T/vmlinuz"
	[ "$status" -eq 0 ]
	[ "$output" = "$T/vmlinuz" ]
	[[ "$stderr" == "qemu-launch: $T/vmlinuz: booted as given: bzImage payload: "* ]]
	[ "$(grep -c . <<<"$stderr")" -eq 1 ]
}

@test "two runs at once both boot the ELF, and the cache holds it once, whole" {
	real_kernel
	booted --kernel "$K" >"$T/a" 2>"$T/a.err" &
	local a=$!
	booted --kernel "$K" >"$T/b" 2>"$T/b.err" &
	local b=$!
	wait "$a"
	wait "$b"
	is_entry "$(cat "$T/a")" vmlinux "$K"
	[ "$(cat "$T/b")" = "$(cat "$T/a")" ]
	[ ! -s "$T/a.err" ]
	[ ! -s "$T/b.err" ]
	[ "$(ls -A "$KERNELS")" = "$(basename "$(cat "$T/a")")" ]
	pvh_elf "$(cat "$T/a")"
}

@test "a hand-made bzImage unpacks to exactly its ELF; without the PVH note it boots as given, quietly" {
	requires python3 gzip
	mkelf "$T/note.elf" note
	gzip -c "$T/note.elf" >"$T/note.gz"
	mkbzimage "$T/note.bz" "$T/note.gz"
	run --separate-stderr booted --kernel "$T/note.bz"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	cmp "$output" "$T/note.elf"
	mkelf "$T/plain.elf"
	gzip -c "$T/plain.elf" >"$T/plain.gz"
	mkbzimage "$T/plain.bz" "$T/plain.gz"
	run --separate-stderr booted --kernel "$T/plain.bz"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "$T/plain.bz" ]
	# The next run knows without unpacking: the cache says "as given".
	[ "$(ls "$KERNELS" | grep -c '^as-given-')" -eq 1 ]
	[ "$(booted --kernel "$T/plain.bz")" = "$T/plain.bz" ]
}

@test "arm64: an Image.gz boots as the Image inside" {
	requires qemu-system-aarch64 python3 gzip
	mkimage "$T/Image"
	gzip -c "$T/Image" >"$T/Image.gz"
	run --separate-stderr booted --kernel "$T/Image.gz" --arch aarch64
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	is_entry "$output" Image "$T/Image.gz"
	cmp "$output" "$T/Image"
}

@test "arm64: an EFI zboot image boots as the Image inside, gzip or zstd" {
	requires qemu-system-aarch64 python3 gzip zstd
	mkimage "$T/Image"
	gzip -c "$T/Image" >"$T/Image.gz"
	mkzboot "$T/zboot-gzip" "$T/Image.gz" gzip
	run --separate-stderr booted --kernel "$T/zboot-gzip" --arch aarch64
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	cmp "$output" "$T/Image"
	zstd -q -c "$T/Image" >"$T/Image.zst"
	mkzboot "$T/zboot-zstd" "$T/Image.zst" zstd
	cmp "$(booted --kernel "$T/zboot-zstd" --arch aarch64)" "$T/Image"
}

@test "what is not a kernel we unpack boots as given, quietly, with nothing cached" {
	requires qemu-system-aarch64 python3
	head -c 70000 /dev/urandom >"$T/vmlinuz"
	mkimage "$T/Image"
	mkzboot "$T/zboot-lz4" "$T/Image" lz4
	for arch in x86_64 aarch64; do
		for k in "$T/vmlinuz" "$T/Image" "$T/zboot-lz4"; do
			run --separate-stderr booted --kernel "$k" --arch "$arch"
			[ "$status" -eq 0 ]
	[ -z "$stderr" ]
			[ "$output" = "$k" ]
		done
	done
	[ ! -e "$T/cache" ]
}

@test "a cache that cannot be made: one warning, and the bzImage boots as given" {
	requires python3 gzip
	mkelf "$T/note.elf" note
	gzip -c "$T/note.elf" >"$T/note.gz"
	mkbzimage "$T/note.bz" "$T/note.gz"
	: >"$T/not-a-dir"
	XDG_CACHE_HOME=$T/not-a-dir run --separate-stderr booted --kernel "$T/note.bz"
	[ "$status" -eq 0 ]
	[ "$output" = "$T/note.bz" ]
	[ "$stderr" = "qemu-launch: $T/note.bz: booted as given, not unpacked: $T/not-a-dir/vmtest-tools/kernels: Not a directory" ]
}

@test "the ready line says which kernel was given, which boots, and its form" {
	requires qemu-system-aarch64 python3 gzip
	mkimage "$T/Image"
	gzip -c "$T/Image" >"$T/Image.gz"
	# Paused (-S): QEMU loads the kernel and answers QMP, nothing runs.
	run --separate-stderr qemu-launch --kernel "$T/Image.gz" --arch aarch64 --initrd "$T/initrd" \
		--accel tcg --extra-arg -S --report "$T/report.jsonl" --run -- true
	[ "$status" -eq 0 ]
	head -n 1 "$T/report.jsonl" >"$T/ready"
	jq -e --arg k "$T/Image.gz" '.kernel.path == $k and .kernel.form == "image" and
		.argv[.argv | index("-kernel") + 1] == .kernel.boot' "$T/ready"
	is_entry "$(jq -r .kernel.boot "$T/ready")" Image "$T/Image.gz"
}

@test "a real boot: Debian's bzImage boots through its PVH ELF, and the guest runs" {
	vm_requires
	local kernel
	kernel=$(vm_kernel)
	run --separate-stderr qemu-launch --kernel "$kernel" --accel tcg --report "$T/report.jsonl" \
		--run -- sh -c 'exec qga-exec --sock "$QGA_SOCK" --wait 120s --pid "$QEMU_PID" -- uname -r'
	[ "$status" -eq 0 ] || { echo "$stderr" >&2; return 1; }
	[ "$output" = "$(vm_kernel_version)" ]
	head -n 1 "$T/report.jsonl" >"$T/ready"
	jq -e --arg k "$kernel" '.kernel.path == $k and .kernel.form == "pvh-elf" and
		.argv[.argv | index("-kernel") + 1] == .kernel.boot' "$T/ready"
	is_entry "$(jq -r .kernel.boot "$T/ready")" vmlinux "$kernel"
}
