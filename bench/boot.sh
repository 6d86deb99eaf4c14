#!/usr/bin/env bash
# bench/boot.sh: how long a kernel target takes to be usable, against the
# floor.  Ours: from starting `qemu-launch --detach` to the first
# `qga-exec -- true` that succeeds.  The floor: the very same QEMU command
# line and kernel, with an initramfs whose /init only powers off, from
# starting QEMU to its exit.  Both under TCG, BENCH_RUNS times each
# (default 5), taking turns; medians.  One JSON line per figure, and one
# with vm-init's own step timings from the guest's kernel log.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
bin=${VT_BIN:-$repo/build/bin}
bench=boot
BENCH_RUNS=${BENCH_RUNS:-5}
# shellcheck source=bench/common.bash
. "$here/common.bash"
# shellcheck source=bench/floor.bash
. "$here/floor.bash"

dir=$(mktemp -d "${TMPDIR:-/tmp}/vt-bench-boot.XXXXXX")
qemu_pid=""
cleanup() {
	[[ -z $qemu_pid ]] || stop "$qemu_pid"
	[[ ! -f $dir/launch.json ]] || rm -rf "$(jq -r .rundir "$dir/launch.json" 2>/dev/null)"
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

floor_prepare

ours_once() {
	local t0 ms
	t0=$(now_ms)
	qemu-launch --kernel "$kernel" --accel tcg --share "$dir" --detach \
		>"$dir/launch.json" 2>"$dir/launch.err" || { cat "$dir/launch.err" >&2; die "qemu-launch failed"; }
	qemu_pid=$(jq -r .pid "$dir/launch.json")
	qga-exec --sock "$(jq -r .qga "$dir/launch.json")" --wait 60s -- true ||
		die "qga-exec never got an answer"
	ms=$(( $(now_ms) - t0 ))
	[[ ${1:-} != warm ]] || qga-exec --sock "$(jq -r .qga "$dir/launch.json")" -- \
		sh -c 'dmesg | grep "vm-init: "' >"$dir/steps.txt" || true
	qmp-send --sock "$(jq -r .qmp "$dir/launch.json")" --timeout 5s quit >/dev/null 2>&1 || true
	stop "$qemu_pid"
	qemu_pid=""
	rm -rf "$(jq -r .rundir "$dir/launch.json")"
	echo "$ms"
}

floor_compare ours_once "qemu-launch to the first qga-exec -- true"
# vm-init's steps, from the guest's kernel log of the warm-up run.
sed -n 's/.*vm-init: \(.*\): \([0-9]*\) ms$/\1\t\2/p' "$dir/steps.txt" |
	jq -Rnc '[inputs | split("\t") | {(.[0]): (.[1] | tonumber)}] | add // {} |
		{bench: "boot", figure: "vm-init steps (ms)", steps: .}'
