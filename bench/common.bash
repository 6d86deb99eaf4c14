# common.bash: what the benchmarks share.  Source it with $bench set to the
# benchmark's name; it checks BENCH_RUNS and defines the helpers below.
# Exit statuses: 1 a failure, 2 a required program is missing.

runs=${BENCH_RUNS:-30}

log() { printf 'bench/%s: %s\n' "$bench" "$*" >&2; }
die() { log "$*"; exit 1; }
missing() { log "$1 not found: $2"; exit 2; }

[[ $runs =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, not '$runs'"

# require PROG...: each must be on PATH (make deps installs them).
require() {
	local prog
	for prog in "$@"; do
		command -v "$prog" >/dev/null || missing "$prog" "run 'make deps'"
	done
}

# choose_python: sets py to the baseline interpreter.  The python3 first on
# PATH may be a version manager's shim (pyenv's is a bash script costing
# ~100 ms a start), and timing that would measure the shim, not Python.
# So: $PYTHON if set, else Debian's /usr/bin/python3 (what make deps
# installs), else whatever interpreter the python3 on PATH resolves to.
choose_python() {
	if [[ -n ${PYTHON:-} ]]; then
		py=$(command -v "$PYTHON") || missing "$PYTHON" "set PYTHON to a python3 interpreter"
	elif [[ -x /usr/bin/python3 ]]; then
		py=/usr/bin/python3
	elif command -v python3 >/dev/null; then
		py=$(python3 -c 'import sys; print(sys.executable)')
	else
		missing python3 "run 'make deps'"
	fi
}

# stop PID: SIGTERM, up to 5 s to go, then SIGKILL; reap it.
stop() {
	kill "$1" 2>/dev/null || return 0
	for _ in {1..50}; do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# time_commands JSON: one hyperfine run of the commands named in names[]
# with the command lines in argvs[], the figures exported to JSON.  In the
# background so that a SIGTERM to the script interrupts the wait (bash runs
# traps only between foreground commands) and its cleanup stops hyperfine.
time_commands() {
	local i args=()
	for i in "${!names[@]}"; do
		args+=(-n "${names[i]}" "${argvs[i]}")
	done
	hyperfine -N --warmup 3 --runs "$runs" --export-json "$1" "${args[@]}" >&2 &
	hf_pid=$!
	wait "$hf_pid" || { hf_pid=; return 1; }
	hf_pid=
}
