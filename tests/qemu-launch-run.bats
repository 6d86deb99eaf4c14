#!/usr/bin/env bats
# qemu-launch --run: QEMU lives exactly as long as a command, and nothing
# of the run outlives it: not on a signal, not when QEMU dies first, not
# when qemu-launch or its parent is killed with SIGKILL.  QEMU runs paused
# (-S) on a blank image: no guest is needed to own one.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	helpers_setup
	mkdir -m 700 "$T/xdg"
	export XDG_RUNTIME_DIR=$T/xdg
	head -c 65536 /dev/zero >"$T/disk.img"
	requires qemu-system-x86_64
}

# paused ARGS...: qemu-launch of a paused QEMU, with ARGS.
paused() { qemu-launch --image "$T/disk.img" --accel tcg --extra-arg -S "$@"; }

# rundirs: the run directories left in our XDG_RUNTIME_DIR.
rundirs() { find "$T/xdg" -mindepth 1 -maxdepth 1 ! -name vmtest-tools; }

# ours: processes of this test's runs (QEMU names the image, the command
# names $T), with the janitor.
ours() { pgrep -f -- "$T/" | grep -vx "$$" || true; }

# nothing_left_within SECONDS: no process and no directory of the run.
nothing_left_within() {
	local tenths=$(($1 * 10))
	until [ -z "$(ours)" ] && [ -z "$(rundirs)" ]; do
		((tenths-- > 0)) || { [ -z "$(ours)" ] || ps -o pid,ppid,args -p "$(ours | paste -sd,)" >&2; rundirs >&2; return 1; }
		sleep 0.1
	done
}

@test "--run: the command gets the run's sockets and directory; its status is ours; the run goes" {
	run --separate-stderr paused --report "$T/report" --run -- sh -c '
		for v in QEMU_PID QMP_SOCK QGA_SOCK SERIAL_LOG RUNDIR; do eval "echo $v=\$$v"; done
		test -S "$QMP_SOCK" && kill -0 "$QEMU_PID" && exit 7'
	[ "$status" -eq 7 ] || { echo "$output$stderr"; return 1; }
	grep -q "^QMP_SOCK=$T/xdg/qemu-launch\.[^/]*/qmp.sock$" <<<"$output"
	grep -q "^QEMU_PID=[0-9][0-9]*$" <<<"$output"
	# stdout is the command's alone; the lines are in the report.
	[ "$(grep -c . <<<"$output")" -eq 5 ]
	jq -se 'length == 2 and (.[0].pid | type == "number") and .[1] == {end: "command", status: 7, message: null}' "$T/report"
	nothing_left_within 0
}

@test "--run: a command that cannot run is 127 (or 126), named; QEMU stopped" {
	run -127 --separate-stderr paused --run -- "$T/no-such-command"
	[ "$status" -eq 127 ]
	[[ "$stderr" == *"$T/no-such-command: No such file or directory"* ]]
	nothing_left_within 0
	run -126 --separate-stderr paused --run -- /dev/null
	nothing_left_within 0
}

@test "--run: the command's own options stay its own; misuse is 2" {
	run paused --run -- sh -c 'echo "$1"' sh --detach
	[ "$status" -eq 0 ]
	[ "$output" = --detach ]
	run paused --run
	[ "$status" -eq 2 ]
	run paused --detach --run -- true
	[ "$status" -eq 2 ]
	run paused true
	[ "$status" -eq 2 ]
	[[ "$output" == *"after --run --"* ]]
}

@test "--run: QEMU dying first is 69, the command is stopped, the report says why" {
	run --separate-stderr paused --report "$T/report" --run -- sh -c 'kill -9 "$QEMU_PID"; exec sleep 60'
	[ "$status" -eq 69 ] || { echo "$stderr"; return 1; }
	[[ "$stderr" == *"QEMU was killed by signal 9"* ]]
	jq -se '.[1].end == "qemu" and .[1].status == 69' "$T/report"
	nothing_left_within 0
}

@test "--run: SIGTERM stops the command and QEMU: 143, nothing left" {
	qemu-launch --image "$T/disk.img" --accel tcg --extra-arg -S --run -- sleep 60 2>"$T/err" 3>&- &
	local ql=$!
	wait_until 20 "the command" pgrep -f -x "sleep 60" -P "$ql"
	kill -TERM "$ql"
	local rc=0
	wait "$ql" || rc=$?
	[ "$rc" -eq 143 ]
	nothing_left_within 2
}

@test "--run: SIGKILL of qemu-launch leaves no process and no directory after 2 s" {
	qemu-launch --image "$T/disk.img" --accel tcg --extra-arg -S --run -- \
		sh -c 'sleep 60; : "$1"' sh "$T/" 2>"$T/err" 3>&- &
	local ql=$!
	wait_until 20 "the command" pgrep -f "sleep 60" -P "$ql"
	[ -n "$(rundirs)" ]
	kill -KILL "$ql"
	nothing_left_within 2
}

@test "--run: SIGKILL of qemu-launch's parent leaves nothing after 2 s" {
	bash -c 'qemu-launch --image "$1" --accel tcg --extra-arg -S --run -- sleep 60; :' \
		bash "$T/disk.img" 2>"$T/err" 3>&- &
	local parent=$! ql
	# This run's command, not any "sleep 60" on the machine: killing the
	# parent while QEMU still starts tests another thing, in other time.
	wait_until 20 "qemu-launch" pgrep -P "$parent" -x qemu-launch
	ql=$(pgrep -P "$parent" -x qemu-launch)
	wait_until 20 "the command" pgrep -P "$ql" -x -f "sleep 60"
	kill -KILL "$parent"
	nothing_left_within 2
}

@test "--interactive: stdout is the console's alone, the JSON line goes to --report" {
	qemu-launch --image "$T/disk.img" --accel tcg --extra-arg -S --interactive \
		--report "$T/report" >"$T/out" 2>"$T/err" 3>&- </dev/null &
	local ql=$!
	wait_until 20 "the ready line" test -s "$T/report"
	jq -e '.serial == null and (.pid | type == "number")' "$T/report"
	qmp-send --sock "$(jq -r .qmp "$T/report")" quit
	wait "$ql" || true
	! grep -q '"pid"' "$T/out"
}

@test "--share-cwd: a current directory under /tmp with blanks is shared at its own path, read-only with ro" {
	echo kernel >"$T/vmlinuz"
	echo initrd >"$T/initrd"
	local dir="$T/tmp/a dir: with 'quotes'"
	mkdir -p "$dir"
	# The guest's /tmp is its own: the directory is shared in.
	run bash -c 'cd "$1" && qemu-launch -k "$2" --initrd "$3" --accel tcg --share-cwd --print-argv' \
		bash "$dir" "$T/vmlinuz" "$T/initrd"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	jq -e --arg d "$(realpath "$dir")" 'map(select(startswith("local,id=mount0,path=" + $d + ",") and
		(contains("readonly=on") | not))) | length == 1' <<<"$output"
	run bash -c 'cd "$1" && qemu-launch -k "$2" --initrd "$3" --accel tcg --share-cwd --kernel-args "quiet ro" --print-argv' \
		bash "$dir" "$T/vmlinuz" "$T/initrd"
	jq -e 'map(select(startswith("local,id=mount0,") and contains("readonly=on"))) | length == 1' <<<"$output"
	# Outside the guest's own directories, the host's root shows it.
	run bash -c 'cd / && qemu-launch -k "$1" --initrd "$2" --accel tcg --share-cwd --print-argv' \
		bash "$T/vmlinuz" "$T/initrd"
	jq -e 'map(select(startswith("local,"))) | length == 2' <<<"$output"
}

@test "--run: what the command started and left running ends with the run" {
	run paused --run -- sh -c 'sleep 60 & echo $!'
	[ "$status" -eq 0 ]
	! kill -0 "$output" 2>/dev/null
	nothing_left_within 0
}

@test "--run: SIGKILL of the whole process group (a cancelled CI job) leaves nothing after 2 s" {
	# A sleep no other test on the machine runs: this one's alone is found.
	local nap="60.$$$RANDOM" sid
	setsid bash -c 'qemu-launch --image "$1" --accel tcg --extra-arg -S --run -- sleep "$2"; :' \
		bash "$T/disk.img" "$nap" 2>"$T/err" 3>&- &
	wait_until 20 "the command" pgrep -x -f "sleep $nap"
	# The job's group: the one its session leader, setsid's bash, leads.
	sid=$(ps -o sid= -p "$(pgrep -x -f "sleep $nap")" | tr -d ' ')
	kill -KILL -- "-$sid"
	nothing_left_within 2
}

@test "--run with a split UEFI firmware: its VARS copied at the start into the run directory, 0600, QEMU's writable pflash1; the template untouched; gone with the run" {
	mkdir -p "$T/fw" "$T/config/qemu/firmware"
	head -c 1048576 /dev/zero >"$T/fw/code.bin"
	# Data, a hole's worth of zeros, data again in a block of its own size.
	{ head -c 65536 /dev/urandom; head -c 131072 /dev/zero; head -c 8192 /dev/urandom; } >"$T/fw/vars.bin"
	cp "$T/fw/vars.bin" "$T/vars.orig"
	jq -n --arg c "$T/fw/code.bin" --arg v "$T/fw/vars.bin" '{"interface-types": ["uefi"],
		"mapping": {"device": "flash", "executable": {"filename": $c, "format": "raw"},
			"nvram-template": {"filename": $v, "format": "raw"}},
		"targets": [{"architecture": "x86_64", "machines": ["pc-i440fx-*"]}], "features": []}' \
		>"$T/config/qemu/firmware/00-test.json"
	XDG_CONFIG_HOME=$T/config run --separate-stderr paused --uefi --run -- sh -c '
		v=$RUNDIR/uefi-vars.fd
		cmp "$1" "$v" && stat -c %a "$v" && qmp-send --sock "$QMP_SOCK" query-block &&
		printf x | dd of="$v" conv=notrunc status=none' _ "$T/fw/vars.bin"
	[ "$status" -eq 0 ] || { echo "$output$stderr"; return 1; }
	[ "${lines[0]}" = 600 ]
	jq -e '.[] | select(.device == "pflash1") | .inserted.ro == false and
		(.inserted.file | endswith("/uefi-vars.fd"))' <<<"${lines[1]}"
	jq -e '.[] | select(.device == "pflash0") | .inserted.ro == true' <<<"${lines[1]}"
	cmp "$T/vars.orig" "$T/fw/vars.bin"
	nothing_left_within 2
}
