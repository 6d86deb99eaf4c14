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
# milliseconds and, unless "warm", keeps its --json line in $dir/vmtest.json.
vmtest_once() {
	local t0 ms
	t0=$(now_ms)
	(cd / && exec "$repo/bin/vmtest" --json -k "$kernel" -- true) \
		>"$dir/result.json" 2>"$dir/vmtest.err" &
	vmtest_pid=$!
	wait "$vmtest_pid" || { cat "$dir/vmtest.err" >&2; die "vmtest -k $kernel -- true failed"; }
	vmtest_pid=""
	ms=$(( $(now_ms) - t0 ))
	[[ ${1:-} == warm ]] ||
		jq -c --argjson ms "$ms" '. + {ms: $ms}' "$dir/result.json" >>"$dir/vmtest.json"
	echo "$ms"
}

floor_compare vmtest_once "vmtest -k K -- true, whole process"
jq -sc --argjson ms "$ours_ms" '(map(select(.ms == $ms)) | first // .[0]) |
	{bench: "vmtest", figure: "stages of the median run (s)", seconds: .seconds}' "$dir/vmtest.json"
