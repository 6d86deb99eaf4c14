#!/usr/bin/env bash
# bench/vmtest.sh: the whole driver, `vmtest -k K -- true`, from its start
# to its exit (boot, the command, QEMU stopped, run directory removed),
# against the raw floor of boot.sh (floor.bash): the same QEMU command line
# and kernel, /init only powers off.  Under TCG, BENCH_RUNS times each
# (default 5), taking turns; medians.  One JSON line per figure, and one
# with the driver's own stage timings (its --json) of the median run.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
bin=${VT_BIN:-$repo/build/bin}
bench=vmtest
BENCH_RUNS=${BENCH_RUNS:-5}
# shellcheck source=bench/common.bash
. "$here/common.bash"
# shellcheck source=bench/floor.bash
. "$here/floor.bash"
export VMTEST_BINDIR=$bin VMTEST_NO_UI=1

dir=$(mktemp -d "${TMPDIR:-/tmp}/vt-bench-vmtest.XXXXXX")
vmtest_pid=""
cleanup() {
	[[ -z $vmtest_pid ]] || stop "$vmtest_pid"
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

floor_prepare

# vmtest_once: one driver run from / (no extra share); prints its
# milliseconds and keeps its --json line in $dir/vmtest.json.
vmtest_once() {
	local t0 ms
	t0=$(now_ms)
	(cd / && exec "$repo/bin/vmtest" --json -k "$kernel" -- true) \
		>"$dir/result.json" 2>"$dir/vmtest.err" &
	vmtest_pid=$!
	wait "$vmtest_pid" || { cat "$dir/vmtest.err" >&2; die "vmtest -k $kernel -- true failed"; }
	vmtest_pid=""
	ms=$(( $(now_ms) - t0 ))
	jq -c --argjson ms "$ms" '. + {ms: $ms}' "$dir/result.json" >>"$dir/vmtest.json"
	echo "$ms"
}

log "warming up (initrd cache, page cache)"
floor_once >/dev/null
vmtest_once >/dev/null
: >"$dir/floor.ms"
: >"$dir/vmtest.ms"
: >"$dir/vmtest.json"
for _ in $(seq "$runs"); do
	floor_once >>"$dir/floor.ms"
	vmtest_once >>"$dir/vmtest.ms"
done
floor=$(median <"$dir/floor.ms")
ours=$(median <"$dir/vmtest.ms")

jq -nc --argjson v "$floor" --arg runs "$runs" \
	'{bench: "vmtest", figure: "floor: the same QEMU and kernel, /init powers off", median_ms: $v, runs: ($runs | tonumber)}'
jq -nc --argjson v "$ours" --arg runs "$runs" \
	'{bench: "vmtest", figure: "vmtest -k K -- true, whole process", median_ms: $v, runs: ($runs | tonumber)}'
jq -nc --argjson a "$ours" --argjson b "$floor" \
	'{bench: "vmtest", figure: "ratio vmtest/floor", ratio: ($a / $b * 1000 | round / 1000), goal: "<= 1.3"}'
jq -sc --argjson ms "$ours" '(map(select(.ms == $ms)) | first // .[0]) |
	{bench: "vmtest", figure: "stages of the median run (s)", seconds: .seconds}' "$dir/vmtest.json"
