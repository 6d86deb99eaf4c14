#!/usr/bin/env bash
# bench/qga.sh: wall time of one short command (`true`) run through the
# guest agent, process start to exit: qga-exec with its own poll schedule,
# qga-exec with vmtest's (first poll after 200 ms, then doubling), and a
# raw-socket python3 client polling in a tight loop (bench/qga_raw.py).  All
# of them run in one hyperfine run against a qemu-ga started here on the
# host (unix-listen, dangerous RPCs blocked; no VM needed).
#
# stdout: one compact JSON line per figure, nothing else; progress and
# hyperfine's own report go to stderr.  BENCH_RUNS sets hyperfine's --runs
# and the number of in-process python timings (default 30); VT_BIN the
# directory holding qga-exec (default build/bin); PYTHON the interpreter for
# the baseline.
# Exit status: 0 done, 1 failure, 2 a required program is missing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
bin=${VT_BIN:-$repo/build/bin}
bench=qga
# shellcheck source=bench/common.bash
. "$here/common.bash"
require hyperfine jq timeout
# qemu-ga lives in /usr/sbin, which a user's PATH may lack.
qga=$(PATH=$PATH:/usr/sbin:/sbin command -v qemu-ga) ||
	missing qemu-ga "run 'make deps' (Debian package qemu-guest-agent)"
[[ -x $bin/qga-exec ]] || missing "$bin/qga-exec" "run 'make' (or set VT_BIN)"

choose_python

dir=$(mktemp -d "${TMPDIR:-/tmp}/vt-bench-qga.XXXXXX")
qga_pid="" hf_pid=""
cleanup() {
	[[ -z $hf_pid ]] || stop "$hf_pid"
	[[ -z $qga_pid ]] || stop "$qga_pid"
	rm -rf "$dir" "${state:-}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

sock=$dir/qga.sock
(( ${#sock} < 108 )) || die "socket path too long for AF_UNIX: $sock (set TMPDIR)"
# The agent's state directory on tmpfs, as in a guest (qemu-ga's default is
# /var/run, a tmpfs): qemu-ga rewrites and fsyncs its state file on every
# guest-file-open, which costs milliseconds on a disk and nothing in a guest.
state=$(mktemp -d "$( [[ -d /dev/shm ]] && echo /dev/shm || echo "$dir")/vt-bench-qga-state.XXXXXX")

# As in the notes (qmp-qga.md §8): its own statedir (absolute, writable; the
# default is /var/run), no config file (QGA_CONF pointing nowhere: 7.2 has
# no -c and would read /etc/qemu/qemu-ga.conf), no -d/-v/-r, and every RPC
# that would act on this host blocked.  guest-exec stays: it is what is
# measured, and it runs `true` as this user.  The socket is created with
# the umask inside a 0700 directory, so only this user can reach it.
blocked=guest-shutdown,guest-suspend-disk,guest-suspend-ram,guest-suspend-hybrid
blocked+=,guest-set-time,guest-fsfreeze-freeze,guest-fsfreeze-freeze-list
blocked+=,guest-fsfreeze-thaw,guest-set-vcpus,guest-set-memory-blocks
blocked+=,guest-set-user-password,guest-ssh-add-authorized-keys
blocked+=,guest-ssh-remove-authorized-keys

# alive: is our qemu-ga still running?  Not just kill -0, which succeeds
# on a zombie that bash has not reaped yet: the state in /proc must not be Z.
alive() {
	local stat
	{ read -r stat <"/proc/$qga_pid/stat"; } 2>/dev/null || return 1
	stat=${stat##*) }
	[[ ${stat%% *} != Z ]]
}
# agent_died WHEN: report the agent's death and its log, then fail.
agent_died() {
	cat "$dir/qga.log" >&2
	die "qemu-ga died $1 (a client probably closed its connection with replies unread)"
}

log "starting $qga (socket $sock)"
QGA_CONF=/nonexistent "$qga" -m unix-listen -p "$sock" -t "$state" \
	-b "$blocked" </dev/null >"$dir/qga.log" 2>&1 &
qga_pid=$!
# Ready = socket present AND process alive: a failed start (bad statedir,
# say) logs an error and exits with status 0, and a stale socket file would
# still be there.
for _ in {1..100}; do
	[[ -S $sock ]] && break
	alive || { cat "$dir/qga.log" >&2; die "qemu-ga exited early"; }
	sleep 0.1
done
[[ -S $sock ]] || { cat "$dir/qga.log" >&2; die "no qemu-ga socket after 10 s"; }
sleep 0.1
alive || { cat "$dir/qga.log" >&2; die "qemu-ga exited after creating its socket"; }

names=("qga-exec true" "qga-exec --capture true" "qga-exec --poll-initial 200ms true" "python3 qga_raw.py true")
argvs=(
	"$(printf '%q ' "$bin/qga-exec" --sock "$sock" -- true)"
	"$(printf '%q ' "$bin/qga-exec" --sock "$sock" --capture -- true)"
	"$(printf '%q ' "$bin/qga-exec" --sock "$sock" --poll-initial 200ms -- true)"
	"$(printf '%q ' "$py" "$here/qga_raw.py" "$sock" true)"
)

# check I: command I must exit 0 with `true` and 1 with `false` (so a
# client that exits 0 without running anything is not timed), each run
# bounded, and the agent must survive it.
check() {
	local argv=${argvs[$1]} rc
	rc=0; eval "timeout 10 $argv" >/dev/null 2>"$dir/check.err" || rc=$?
	alive || agent_died "while checking '${names[$1]}'"
	if (( rc != 0 )); then
		cat "$dir/check.err" >&2
		die "'${names[$1]}' exited $rc, not 0: $argv"
	fi
	rc=0; eval "timeout 10 ${argv%true }false" >/dev/null 2>"$dir/check.err" || rc=$?
	alive || agent_died "while checking '${names[$1]}' with false"
	if (( rc != 1 )); then
		cat "$dir/check.err" >&2
		die "'${names[$1]}' with false exited $rc, not 1: ${argv%true }false"
	fi
}

log "checking each command runs true and false (python3 is $py)"
for i in "${!names[@]}"; do
	check "$i"
done

json=$dir/hyperfine.json
# Sequential runs, one client at a time, which is all qemu-ga serves.
if ! time_commands "$json"; then
	alive || agent_died "during the hyperfine run"
	die "hyperfine failed"
fi
alive || agent_died "during the hyperfine run"

# The python client's own exchange time (connect to exit status), without
# Python's start-up: the protocol-level baseline for qga-exec.
log "timing the python3 client in-process ($runs runs)"
inproc=$dir/inproc.txt
: >"$inproc"
for _ in $(seq "$runs"); do
	QGA_RAW_TIMING=1 timeout 10 "$py" "$here/qga_raw.py" "$sock" true \
		>/dev/null 2>"$dir/raw.err" ||
		{ alive || agent_died "during the in-process timing"; cat "$dir/raw.err" >&2; die "qga_raw.py failed"; }
	sed -n 's/^qga_raw: exchange_ms=\([0-9.]*\) .*/\1/p' "$dir/raw.err" >>"$inproc"
done
(( $(wc -l <"$inproc") == runs )) || die "qga_raw.py did not report its timing"
alive || agent_died "during the in-process timing"

jq -c --slurpfile inproc "$inproc" '
	def r: . * 1000 | round / 1000;
	def ms: . * 1000 | r;
	# pct(P): the P-quantile of a non-empty array, linear between the two
	# nearest ranks (P=0.5 is the usual median).
	def pct($p): sort as $s | (($s | length - 1) * $p) as $x
		| ($x | floor) as $lo | ($x | ceil) as $hi
		| $s[$lo] + ($s[$hi] - $s[$lo]) * ($x - $lo);
	.results as $res
	| ($res | map({key: .command, value: .mean}) | from_entries) as $mean
	| ($res | map({key: .command, value: (.times | pct(0.5))}) | from_entries) as $p50
	| ($res[] | {bench: "qga", figure: .command, mean_ms: (.mean | ms),
		stddev_ms: (if .stddev == null then null else .stddev | ms end),
		median_ms: (.times | pct(0.5) | ms),
		p90_ms: (.times | pct(0.9) | ms)}),
	  {bench: "qga", figure: "python3 tight loop, in-process",
		median_ms: ($inproc | pct(0.5) | r)},
	  {bench: "qga", figure: "ratio 200ms-schedule/qga-exec",
		ratio: ($mean["qga-exec --poll-initial 200ms true"] / $mean["qga-exec true"] | r),
		goal: ">= 20"},
	  {bench: "qga", figure: "ratio qga-exec/python3 tight loop",
		ratio: ($mean["qga-exec true"] / $mean["python3 qga_raw.py true"] | r),
		goal: "<= 1.5"},
	  {bench: "qga", figure: "qga-exec p50",
		median_ms: ($p50["qga-exec true"] | ms), goal: "<= 10"}
' "$json"
