# floor.bash: the raw floor a kernel target's boot is measured against,
# shared by boot.sh and vmtest.sh.  Source it after common.bash, with
# $here, $repo and $bin set: it checks for the tools, puts them on PATH and
# sets $kernel.  The floor is the very same QEMU command line and kernel
# as qemu-launch's, with an initramfs whose /init only powers off, timed
# from starting QEMU to its exit, under TCG; floor_prepare needs $dir (a
# scratch directory).
# shellcheck disable=SC2154 # $here, $repo, $bin and $dir are the caller's

require jq cc qemu-system-x86_64
for tool in qemu-launch vm-initrd qga-exec qmp-send; do
	[[ -x $bin/$tool ]] || missing "$bin/$tool" "run 'make' (or set VT_BIN)"
done
PATH=$bin:$PATH

# The kernel: /boot's newest, the bzImage a user passes.  qemu-launch
# boots the ELF inside it; the floor boots the bzImage as QEMU alone would.
# shellcheck source=tests/fixtures/vm.bash
. "$repo/tests/fixtures/vm.bash"
kernel=$(vm_kernel) ||
	missing "a kernel" "make deps installs linux-image-amd64"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# The floor's initramfs, and QEMU's argv for it: qemu-launch's own.
floor_prepare() {
	cc -static -O2 -o "$dir/floor-init" "$here/floor-init.c"
	vm-initrd --kernel "$kernel" --init "$dir/floor-init" --no-modules -o "$dir/floor.cpio" >/dev/null
	qemu-launch --kernel "$kernel" --initrd "$dir/floor.cpio" --accel tcg --share "$dir" \
		--rundir "$dir/floor-run" --no-snapshot --print-argv >"$dir/floor-argv.json"
	# Raw QEMU: the bzImage itself, as given.
	mapfile -t floor_argv < <(jq -r --arg k "$kernel" '. as $a | to_entries |
		map(if .key > 0 and $a[.key - 1] == "-kernel" then $k else .value end) | .[]' "$dir/floor-argv.json")
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

# floor_compare OURS FIGURE: the floor against OURS, a function that prints
# one run's milliseconds (given "warm" for the warm-up run, which is not
# counted).  Both run $runs times, taking turns; prints the two medians
# and their ratio as JSON lines, and leaves ours in $ours_ms.
floor_compare() {
	local ours=$1 figure=$2 floor_ms
	log "warming up (initrd cache, page cache)"
	floor_once >/dev/null
	"$ours" warm >/dev/null
	: >"$dir/floor.ms"
	: >"$dir/ours.ms"
	for _ in $(seq "$runs"); do
		floor_once >>"$dir/floor.ms"
		"$ours" >>"$dir/ours.ms"
	done
	floor_ms=$(median <"$dir/floor.ms")
	ours_ms=$(median <"$dir/ours.ms")
	jq -nc --arg b "$bench" --argjson v "$floor_ms" --arg runs "$runs" \
		'{bench: $b, figure: "floor: the same QEMU and kernel, /init powers off", median_ms: $v, runs: ($runs | tonumber)}'
	jq -nc --arg b "$bench" --arg f "$figure" --argjson v "$ours_ms" --arg runs "$runs" \
		'{bench: $b, figure: $f, median_ms: $v, runs: ($runs | tonumber)}'
	jq -nc --arg b "$bench" --argjson a "$ours_ms" --argjson f "$floor_ms" \
		'{bench: $b, figure: "ratio \($b)/floor", ratio: ($a / $f * 1000 | round / 1000), goal: "<= 1.3"}'
}
