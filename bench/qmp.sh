#!/usr/bin/env bash
# bench/qmp.sh: wall time of one whole QMP query (process start to exit),
# qmp-send against what a user would otherwise type: a raw-socket python3
# script (bench/qmp_raw.py) and a socat one-liner.  All of them run in one
# hyperfine run against a guest-less QEMU started here.
#
# stdout: one compact JSON line per figure, nothing else; progress and
# hyperfine's own report go to stderr.  BENCH_RUNS sets hyperfine's --runs
# (default 30); VT_BIN the directory holding qmp-send (default build/bin);
# PYTHON the interpreter for the baseline (see below).
# Exit status: 0 done, 1 failure, 2 a required program is missing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
bin=${VT_BIN:-$repo/build/bin}
bench=qmp
# shellcheck source=bench/common.bash
. "$here/common.bash"
require hyperfine socat qemu-system-x86_64 jq
[[ -x $bin/qmp-send ]] || missing "$bin/qmp-send" "run 'make' (or set VT_BIN)"

choose_python

dir=$(mktemp -d "${TMPDIR:-/tmp}/vt-bench-qmp.XXXXXX")
qemu_pid="" hf_pid=""
cleanup() {
	[[ -z $hf_pid ]] || stop "$hf_pid"
	[[ -z $qemu_pid ]] || stop "$qemu_pid"
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

sock=$dir/qmp.sock
(( ${#sock} < 108 )) || die "socket path too long for AF_UNIX: $sock (set TMPDIR)"

log "starting QEMU (QMP socket $sock)"
qemu-system-x86_64 -M none -nodefaults -display none \
	-qmp "unix:$sock,server=on,wait=off" </dev/null >"$dir/qemu.log" 2>&1 &
qemu_pid=$!
for _ in {1..100}; do
	[[ -S $sock ]] && break
	kill -0 "$qemu_pid" 2>/dev/null || { cat "$dir/qemu.log" >&2; die "QEMU exited early"; }
	sleep 0.1
done
[[ -S $sock ]] || { cat "$dir/qemu.log" >&2; die "no QMP socket after 10 s"; }

# The socat one-liner a user types is
#   printf '{"execute":"qmp_capabilities"}\n{"execute":"query-status"}\n' | socat - UNIX-CONNECT:S
# hyperfine -N cannot run a pipeline, and a shell would add its own start-up,
# so the timed form reads the same two lines from a file through socat's dual
# address OPEN:FILE!!STDOUT: same bytes, same half-close at EOF, no shell.
# The pipeline itself is checked below to print the same reply.
#
# socat's default -t 0.5 (wait after stdin EOF) is mostly not paid: socat
# half-closes the socket at EOF, QEMU answers what it has read and then
# closes its end, and socat exits on that EOF.  The -t 0.05 variant is kept
# because it was verified to get the reply (1000 of 1000 tries; -t 0.001
# missed 5 in 200, -t 0 more than half), and it is re-checked below: if it
# ever misses, it is left out of the run with a warning.
cmds=$dir/cmds.jsonl
printf '{"execute":"qmp_capabilities"}\n{"execute":"query-status"}\n' >"$cmds"

names=("qmp-send query-status" "python3 qmp_raw.py" "socat" "socat -t 0.05")
argvs=(
	"$(printf '%q ' "$bin/qmp-send" --sock "$sock" query-status)"
	"$(printf '%q ' "$py" "$here/qmp_raw.py" "$sock")"
	"$(printf '%q ' socat "OPEN:$cmds!!STDOUT" "UNIX-CONNECT:$sock")"
	"$(printf '%q ' socat -t 0.05 "OPEN:$cmds!!STDOUT" "UNIX-CONNECT:$sock")"
)

# check ARGV: run it once (bounded) and insist on a "running" status.
check() {
	local out
	out=$(eval "timeout 10 $1" 2>&1) || true
	[[ $out == *'"running"'* ]]
}

log "checking each command returns the status (python3 is $py)"
for i in 0 1 2; do
	check "${argvs[i]}" || die "'${names[i]}' did not print a running status: ${argvs[i]}"
done
out=$(printf '{"execute":"qmp_capabilities"}\n{"execute":"query-status"}\n' |
	timeout 10 socat - "UNIX-CONNECT:$sock" 2>&1) || true
[[ $out == *'"running"'* ]] || die "the socat pipeline did not print a running status"
for _ in {1..20}; do
	if ! check "${argvs[3]}"; then
		log "warning: '${names[3]}' missed the reply; leaving it out"
		unset 'names[3]' 'argvs[3]'
		break
	fi
done

json=$dir/hyperfine.json
time_commands "$json" || die "hyperfine failed"

jq -c '
	def r: . * 1000 | round / 1000;
	def ms: . * 1000 | r;
	.results as $res
	| ($res | map({key: .command, value: .mean}) | from_entries) as $mean
	| ($res[] | {bench: "qmp", figure: .command, mean_ms: (.mean | ms),
		stddev_ms: (if .stddev == null then null else .stddev | ms end),
		median_ms: (.median | ms)}),
	  {bench: "qmp", figure: "ratio qmp-send/python3",
		ratio: ($mean["qmp-send query-status"] / $mean["python3 qmp_raw.py"] | r),
		goal: "<= 0.5"},
	  {bench: "qmp", figure: "ratio qmp-send/socat",
		ratio: ($mean["qmp-send query-status"] / $mean["socat"] | r),
		goal: "<= 1.0"}
' "$json"
