# floor.bash: the raw floor a kernel target's boot is measured against,
# shared by boot.sh and vmtest.sh.  Source it after common.bash, with
# $here, $repo and $bin set: it checks for the tools, puts them on PATH and
# sets $kernel.  The floor is the very same QEMU command line and kernel
# as qemu-launch's, with an initramfs whose /init only powers off, timed
# from starting QEMU to its exit, under TCG; floor_prepare needs $dir (a
# scratch directory).

require jq cc qemu-system-x86_64
for tool in qemu-launch vm-initrd qga-exec qmp-send; do
	[[ -x $bin/$tool ]] || missing "$bin/$tool" "run 'make' (or set VT_BIN)"
done
PATH=$bin:$PATH

# The kernel: the test suite's unpacked one if cached, else /boot's newest.
# shellcheck source=tests/fixtures/vm.bash
. "$repo/tests/fixtures/vm.bash"
kernel=$(vm_boot_kernel 2>/dev/null || vm_kernel) ||
	missing "a kernel" "make deps installs linux-image-amd64"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# The floor's initramfs, and QEMU's argv for it: qemu-launch's own.
floor_prepare() {
	cc -static -O2 -o "$dir/floor-init" "$here/floor-init.c"
	vm-initrd --kernel "$kernel" --init "$dir/floor-init" --no-modules -o "$dir/floor.cpio" >/dev/null
	qemu-launch --kernel "$kernel" --initrd "$dir/floor.cpio" --accel tcg --share "$dir" \
		--rundir "$dir/floor-run" --print-argv >"$dir/floor-argv.json"
	mapfile -t floor_argv < <(jq -r '.[]' "$dir/floor-argv.json")
}

# floor_once: one floor boot; prints its milliseconds.
floor_once() {
	local t0
	mkdir -p "$dir/floor-run"
	t0=$(now_ms)
	timeout 60 "${floor_argv[@]}" >/dev/null 2>&1 </dev/null ||
		die "the floor's QEMU failed: ${floor_argv[*]}"
	echo $(( $(now_ms) - t0 ))
	rm -rf "$dir/floor-run"
}
