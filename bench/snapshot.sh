#!/usr/bin/env bash
# bench/snapshot.sh: snapshot boots against the raw floor (floor.bash: raw
# QEMU booting the very bzImage with an /init that only powers off).
# Taking turns, BENCH_RUNS times each (default 5), medians:
#   cold   `vmtest -k BZIMAGE -- true` with an empty snapshot cache (the
#          initrd and the unpacked kernel cached): boots and saves;
#   plain  the same with --no-snapshot: boots, saves nothing;
#   warm   the same with the snapshot there: restores.
# Then 20 warm runs back to back and 4 at once (-j 4), each checked for
# failures and leftovers, and where a warm run's time goes.  Everything
# runs with a cache of its own ($dir/cache), removed at the end.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
bin=${VT_BIN:-$repo/build/bin}
bench=snapshot
BENCH_RUNS=${BENCH_RUNS:-5}
# shellcheck source=bench/common.bash
. "$here/common.bash"
# shellcheck source=bench/floor.bash
. "$here/floor.bash"

dir=$(mktemp -d "${TMPDIR:-/tmp}/vt-bench-snapshot.XXXXXX")
mkdir "$dir/tmp"
export VMTEST_BINDIR=$bin VMTEST_NO_UI=1 XDG_CACHE_HOME=$dir/cache TMPDIR=$dir/tmp
unset XDG_RUNTIME_DIR
cleanup() { rm -rf "$dir"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

floor_prepare

# vmtest_run [VMTEST-ARG...]: one `vmtest ... -k BZIMAGE -- true` from /;
# prints its milliseconds and its "start".
vmtest_run() {
	local t0 ms
	t0=$(now_ms)
	(cd / && exec "$repo/bin/vmtest" --json "$@" -k "$kernel" -- true) \
		>"$dir/result.json" 2>"$dir/vmtest.err" ||
		{ cat "$dir/vmtest.err" >&2; die "vmtest $* -k $kernel -- true failed"; }
	ms=$(( $(now_ms) - t0 ))
	echo "$ms $(jq -r .start "$dir/result.json")"
}
cold_once() { qemu-launch --clear-snapshots; vmtest_run; }
plain_once() { vmtest_run --no-snapshot; }
warm_once() { vmtest_run; }

# expect START LINE: the run started as it should have.
expect() { [[ ${2#* } == "$1" ]] || die "a run started ${2#* }, not $1"; }

log "warming up (initrd and kernel caches, page cache)"
floor_once >/dev/null
expect cold "$(cold_once)"
: >"$dir/floor.ms" && : >"$dir/cold.ms" && : >"$dir/plain.ms" && : >"$dir/warm.ms"
for _ in $(seq "$runs"); do
	floor_once >>"$dir/floor.ms"
	r=$(cold_once) && expect cold "$r" && echo "${r% *}" >>"$dir/cold.ms"
	r=$(plain_once) && expect cold "$r" && echo "${r% *}" >>"$dir/plain.ms"
	r=$(warm_once) && expect snapshot "$r" && echo "${r% *}" >>"$dir/warm.ms"
done
floor_ms=$(median <"$dir/floor.ms")
figure() {
	jq -nc --arg b "$bench" --arg f "$1" --argjson v "$2" --arg runs "$runs" \
		'{bench: $b, figure: $f, median_ms: $v, runs: ($runs | tonumber)}'
}
ratio() {
	jq -nc --arg b "$bench" --arg f "$1" --argjson a "$2" --argjson fl "$floor_ms" --arg g "$3" \
		'{bench: $b, figure: "ratio \($f)/floor", ratio: ($a / $fl * 1000 | round / 1000), goal: $g}'
}
figure "floor: raw QEMU, the bzImage, /init powers off" "$floor_ms"
for kind in cold plain warm; do
	ms=$(median <"$dir/$kind.ms")
	figure "vmtest -k BZIMAGE -- true, $kind" "$ms"
	case $kind in
	cold) ratio cold "$ms" "<= 0.75" ;;
	plain) ratio "no-snapshot" "$ms" "<= 0.75" ;;
	warm) ratio warm "$ms" "<= 0.25" ;;
	esac
done

# No run may leave a run directory or a QEMU behind.
leftovers() {
	local n
	n=$(find "$dir/tmp" -mindepth 1 -maxdepth 1 | wc -l)
	n=$(( n + $(pgrep -fc "qemu-system.*$dir/tmp" || true) ))
	echo "$n"
}

log "20 warm runs back to back"
: >"$dir/serial.ms"
fails=0 t0=$(now_ms)
for _ in $(seq 20); do
	if r=$(vmtest_run 2>/dev/null) && [[ ${r#* } == snapshot ]]; then
		echo "${r% *}" >>"$dir/serial.ms"
	else
		fails=$((fails + 1))
	fi
done
jq -nc --arg b "$bench" --argjson total "$(( $(now_ms) - t0 ))" --argjson med "$(median <"$dir/serial.ms")" \
	--argjson fails "$fails" --argjson left "$(leftovers)" \
	'{bench: $b, figure: "20 warm runs back to back", total_ms: $total, median_ms: $med, failures: $fails, leftovers: $left}'

log "4 warm runs at once"
for i in 1 2 3 4; do printf '[target t%d]\nkernel = %s\ncommand = true\n\n' "$i" "$kernel"; done >"$dir/four.ini"
t0=$(now_ms)
rc=0
(cd / && "$repo/bin/vmtest" -c "$dir/four.ini" -j 4 --json) >"$dir/four.json" 2>"$dir/four.err" || rc=$?
jq -sc --arg b "$bench" --argjson ms "$(( $(now_ms) - t0 ))" --argjson rc "$rc" --argjson left "$(leftovers)" \
	'{bench: $b, figure: "4 warm runs at once (-j 4)", wall_ms: $ms, exit: $rc,
	  failures: map(select(.status != "pass")) | length,
	  starts: (map(.start) | group_by(.) | map({(.[0]): length}) | add), leftovers: $left}' "$dir/four.json"

# Where a warm run's time goes: qemu-launch --run, timed by its command.
log "where a warm run's time goes"
qemu-launch --kernel "$kernel" --accel tcg --report "$dir/report.json" --run -- sh -c '
	t() { echo "$1 $(($(date +%s%N) / 1000000))"; }
	t ready
	qga-exec --sock "$QGA_SOCK" --wait 60s --ping
	t agent
	qga-exec --sock "$QGA_SOCK" -- true
	t command
	qga-exec --sock "$QGA_SOCK" -- sh -c "dmesg | grep \"vm-init: \""
	t steps
' >"$dir/steps.txt" 2>&1 &
t0=$(now_ms)
wait $! || { cat "$dir/steps.txt" >&2; die "qemu-launch --run failed"; }
end=$(now_ms)
jq -se 'first.start == "snapshot"' "$dir/report.json" >/dev/null || die "the breakdown run did not restore"
awk -v t0="$t0" -v end="$end" '
	$1 == "ready" { r = $2 } $1 == "agent" { a = $2 } $1 == "command" { c = $2 } $1 == "steps" { st = $2 }
	/vm-init: .*: [0-9]+ ms$/ { sub(/.*vm-init: /, ""); n = split($0, w, ": "); s[w[1]] = w[2] + 0 }
	END {
		printf "{\"bench\":\"snapshot\",\"figure\":\"a warm run (ms)\",\"restore\":%d,\"handoff to agent\":%d,\"command\":%d,\"stop\":%d,\"vm-init\":{", r - t0, a - r, c - a, end - st
		sep = ""; for (k in s) { printf "%s\"%s\":%d", sep, k, s[k]; sep = "," }
		print "}}"
	}' "$dir/steps.txt"
