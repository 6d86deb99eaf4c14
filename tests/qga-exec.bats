#!/usr/bin/env bats
# qga-exec against the real qemu-ga, running on the host (unix-listen, the
# RPCs that would act on the host blocked, its own state directory).

load helpers
bats_require_minimum_version 1.5.0

qga() { qga-exec --sock "$T/qga.sock" "$@"; }

@test "exit status 0" {
	start_qga
	run qga -- true
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "the command's own exit status passes through" {
	start_qga
	run qga -- sh -c 'exit 3'
	[ "$status" -eq 3 ]
}

@test "a command the guest cannot find exits 127" {
	start_qga
	run -127 qga -- no-such-command-here
	[[ "$output" == *"no-such-command-here"*"not found"* ]]
}

@test "a command the guest cannot execute exits 126" {
	start_qga
	printf '#!/bin/sh\necho hi\n' >"$T/not-executable"
	chmod 644 "$T/not-executable"
	run -126 qga -- "$T/not-executable"
	[[ "$output" == *"Permission denied"* ]]
}

@test "a command killed by signal 9 exits 137" {
	start_qga
	run qga -- sh -c 'kill -9 $$'
	[ "$status" -eq 137 ]
}

@test "stdout and stderr are kept apart" {
	start_qga
	run --separate-stderr qga -- sh -c 'echo out; echo err >&2'
	[ "$status" -eq 0 ]
	[ "$output" = out ]
	[ "$stderr" = err ]
}

@test "--merge puts stderr into stdout in order" {
	start_qga
	run --separate-stderr qga --merge -- sh -c 'echo 1; echo 2 >&2; echo 3; echo 4 >&2'
	[ "$status" -eq 0 ]
	[ "$output" = $'1\n2\n3\n4' ]
	[ -z "$stderr" ]
}

@test "--tee FILE: a copy of both streams appended to FILE, the streams still apart" {
	start_qga
	echo before >"$T/copy"
	run --separate-stderr qga --tee "$T/copy" -- sh -c 'echo out1; echo err1 >&2; echo out2'
	[ "$status" -eq 0 ]
	[ "$output" = $'out1\nout2' ]
	[ "$stderr" = err1 ]
	[ "$(head -n 1 "$T/copy")" = before ]
	[ "$(tail -n +2 "$T/copy" | sort | tr '\n' ' ')" = "err1 out1 out2 " ]
	run --separate-stderr qga --tee "$T/no/such/dir/copy" -- true
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--tee $T/no/such/dir/copy: No such file or directory"* ]]
}

@test "output streams: the first line arrives before the command ends" {
	start_qga
	qga -- sh -c 'echo first; sleep 4; echo second' >"$T/out" &
	local pid=$!
	wait_for_content "$T/out" 3
	kill -0 "$pid"				# still running
	[ "$(cat "$T/out")" = first ]
	wait "$pid"
	[ "$(cat "$T/out")" = $'first\nsecond' ]
}

@test "output larger than 16 MiB arrives intact" {
	start_qga
	head -c 20000000 /dev/urandom >"$T/big"
	qga -- cat "$T/big" >"$T/copy"
	[ "$(sha256sum <"$T/big" | cut -d' ' -f1)" = "$(sha256sum <"$T/copy" | cut -d' ' -f1)" ]
}

@test "binary output is byte-exact" {
	start_qga
	printf "$(printf '\\%03o' $(seq 0 255))" >"$T/bytes"
	[ "$(stat -c %s "$T/bytes")" -eq 256 ]
	qga -- cat "$T/bytes" >"$T/copy"
	cmp "$T/bytes" "$T/copy"
}

@test "--env sets variables, keeping the agent's environment" {
	start_qga
	run qga --env FOO=bar --env 'SPACED=a b  c' -- sh -c 'echo "$FOO|$SPACED|${PATH:+has PATH}"'
	[ "$status" -eq 0 ]
	[ "$output" = "bar|a b  c|has PATH" ]
}

@test "--env-host passes this environment with a sensible PATH" {
	start_qga
	run env VT_MARK=here PATH=/opt/nothing "$VT_BIN/qga-exec" --sock "$T/qga.sock" \
		--env-host -- sh -c 'echo "$VT_MARK $PATH"'
	[ "$status" -eq 0 ]
	[ "$output" = "here /opt/nothing:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" ]
}

@test "--cwd runs the command in that directory" {
	start_qga
	mkdir "$T/work dir"
	run qga --cwd "$T/work dir" -- pwd
	[ "$status" -eq 0 ]
	[ "$output" = "$T/work dir" ]
}

@test "--cwd to a missing directory exits 126" {
	start_qga
	run -126 qga --cwd "$T/missing" -- true
	[[ "$output" == *"can't cd to $T/missing"* ]]
}

@test "--stdin sends our stdin, byte for byte" {
	start_qga
	head -c 100000 /dev/urandom >"$T/in"
	qga --stdin -- cat <"$T/in" >"$T/copy"
	cmp "$T/in" "$T/copy"
}

@test "without --stdin the command reads /dev/null" {
	start_qga
	run qga -- sh -c 'cat; echo end'
	[ "$status" -eq 0 ]
	[ "$output" = end ]
}

@test "--stdin refuses more than 32 MiB before starting anything" {
	start_qga
	run bash -c "head -c 40000000 /dev/zero | qga-exec --sock '$T/qga.sock' --stdin -- cat"
	[ "$status" -eq 2 ]
	[[ "$output" == *"more than 32 MiB"* ]]
}

@test "--timeout stops the command and its children, then exits 124" {
	start_qga
	run qga --timeout 500ms -- sh -c "sleep 60 & echo \$! >'$T/child'; echo \$\$ >'$T/pid'; wait"
	[ "$status" -eq 124 ]
	[[ "$output" == *"timed out after 500ms"* ]]
	wait_for_gone "$(cat "$T/pid")" 3
	wait_for_gone "$(cat "$T/child")" 3
}

@test "--timeout: a command that ignores SIGTERM gets SIGKILL after --kill-after" {
	start_qga
	run qga --timeout 300ms --kill-after 300ms -- sh -c "trap '' TERM; echo \$\$ >'$T/pid'; while :; do sleep 0.1; done"
	[ "$status" -eq 124 ]
	wait_for_gone "$(cat "$T/pid")" 3
}

# stops_on SIGNAL STATUS: the signal to qga-exec stops the guest command,
# and qga-exec exits with STATUS.
stops_on() {
	start_qga
	# Not through the qga function: $! must be qga-exec itself.
	qga-exec --sock "$T/qga.sock" -- sh -c "echo \$\$ >'$T/pid'; exec sleep 60" &
	local pid=$! rc=0
	wait_for_content "$T/pid"
	kill -"$1" "$pid"
	wait "$pid" || rc=$?
	[ "$rc" -eq "$2" ]
	wait_for_gone "$(cat "$T/pid")" 3
}

@test "SIGINT stops the guest command and exits 130" { stops_on INT 130; }
@test "SIGTERM stops the guest command and exits 143" { stops_on TERM 143; }
@test "SIGHUP stops the guest command and exits 129" { stops_on HUP 129; }

@test "a closed pipe stops the guest command: one error, exit 71" {
	start_qga
	# A slow producer, and a timeout, so that a failure cannot run away.
	run bash -c "qga-exec --sock '$T/qga.sock' --timeout 20s -- sh -c 'echo \$\$ >$T/pid; while :; do echo y; sleep 0.1; done' 2>'$T/err' | head -n 1; exit \${PIPESTATUS[0]}"
	[ "$status" -eq 71 ]
	[ "$output" = y ]
	[ "$(cat "$T/err")" = "qga-exec: error: stdout: Broken pipe" ]
	wait_for_gone "$(cat "$T/pid")" 3
}

@test "a full stdout (/dev/full): one error, exit 71" {
	start_qga
	run bash -c "qga-exec --sock '$T/qga.sock' -- echo hello >/dev/full"
	[ "$status" -eq 71 ]
	[ "$output" = "qga-exec: error: stdout: No space left on device" ]
}

@test "--info to a full stdout: exit 71" {
	start_qga
	run bash -c "qga-exec --sock '$T/qga.sock' --info >/dev/full"
	[ "$status" -eq 71 ]
	[[ "$output" == *"stdout: No space left on device"* ]]
}

@test "a command that writes as fast as it can is still stopped at once" {
	start_qga
	mkdir "$T/tmp"
	qga-exec --sock "$T/qga.sock" --tmpdir "$T/tmp" -- sh -c "echo \$\$ >'$T/pid'; exec yes" >/dev/null &
	local pid=$! rc=0
	wait_for_content "$T/pid"
	kill -INT "$pid"
	wait "$pid" || rc=$?
	[ "$rc" -eq 130 ]
	wait_for_gone "$(cat "$T/pid")" 5
}

@test "SIGINT while our reader does not read: the command stops at once, a second SIGINT ends us" {
	start_qga
	local hold pid rc=0
	mkfifo "$T/fifo"
	exec {hold}<>"$T/fifo"		# a reader that never reads (a pager)
	qga-exec --sock "$T/qga.sock" -- sh -c "echo \$\$ >'$T/pid'; exec yes" >"$T/fifo" &
	pid=$!
	wait_for_content "$T/pid"
	sleep 0.5			# the pipe is full
	kill -INT "$pid"
	wait_for_gone "$(cat "$T/pid")" 2
	kill -0 "$pid"			# still writing what it has
	kill -INT "$pid"
	wait "$pid" || rc=$?
	exec {hold}<&-
	[ "$rc" -eq 130 ]
}

@test "--wait waits for an agent that starts late" {
	requires qemu-ga
	mkdir -p "$T/qga-state"
	( sleep 1; exec env QGA_CONF=/nonexistent qemu-ga -m unix-listen \
		-p "$T/qga.sock" -t "$T/qga-state" -b "$QGA_BLOCKED" ) >/dev/null 2>&1 &
	echo "$! qga" >>"$T/peers"
	run qga --wait 20s -- echo up
	[ "$status" -eq 0 ]
	[ "$output" = up ]
}

@test "no agent: exits 69 at once, naming the socket" {
	run qga -- true
	[ "$status" -eq 69 ]
	[[ "$output" == *"$T/qga.sock: cannot connect: No such file or directory"* ]]
}

@test "garbage and half a request left by an earlier client are discarded" {
	start_qga
	requires socat
	printf '\001garbage {"execute":"guest-ping"' | socat -t 1 - "UNIX-CONNECT:$T/qga.sock" >/dev/null
	run qga -- echo clean
	[ "$status" -eq 0 ]
	[ "$output" = clean ]
}

@test "the agent killed mid-command: 69, with a message" {
	start_qga
	qga-exec --sock "$T/qga.sock" -- sh -c "echo \$\$ >'$T/pid'; exec sleep 30" \
		>"$T/out" 2>"$T/err" &
	local pid=$! rc=0
	wait_for_content "$T/pid"
	kill -9 "$(peer_pid qga)"
	wait "$pid" || rc=$?
	# With the agent gone nothing can stop the guest command: we do.
	kill "$(cat "$T/pid")"
	[ "$rc" -eq 69 ]
	grep -q "the guest agent went away" "$T/err"
}

# A fake agent that answers the sync, then does what $1 says.
fake_agent() {
	start_fake_peer "IFS= read -r -d '}' req; id=\${req##*:}
printf '\\377{\"return\": %s}\\n' \"\$id\"
$1"
}

@test "an agent that stops answering: 69 after --rpc-timeout" {
	fake_agent "sleep 10"
	run qga-exec --sock "$T/fake.sock" --rpc-timeout 500ms -- true
	[ "$status" -eq 69 ]
	[[ "$output" == *"the agent did not answer within 500ms"* ]]
}

@test "an agent that answers garbage: 76" {
	fake_agent "read -r line; printf 'this is not json\\n'; sleep 5"
	run qga-exec --sock "$T/fake.sock" -- true
	[ "$status" -eq 76 ]
	[[ "$output" == *"protocol error"*"this is not json"* ]]
}

@test "an agent that refuses guest-exec: exits 1" {
	start_qga guest-exec
	run qga --capture -- true
	[ "$status" -eq 1 ]
	[[ "$output" == *"CommandNotFound"*"disabled"* ]]
}

@test "--json prints one result line, checked with jq" {
	start_qga
	run --separate-stderr qga --json -- sh -c 'echo out; echo err >&2; exit 5'
	[ "$status" -eq 5 ]
	jq -e '.exitcode == 5 and .signal == null and .stdout == "out\n" and
		.stderr == "err\n" and .truncated == false and (.duration_ms | type) == "number"' <<<"$output"
}

@test "--json: a signal, and output that is not UTF-8, are said exactly" {
	start_qga
	run --separate-stderr qga --json -- sh -c 'printf "\377\376"; kill -TERM $$'
	[ "$status" -eq 143 ]
	jq -e '.exitcode == null and .signal == 15 and .stdout == null and
		.stdout_base64 == "//4="' <<<"$output"
}

@test "--capture: the agent's own capture, streams kept apart" {
	start_qga
	run --separate-stderr qga --capture -- sh -c 'echo out; echo err >&2; exit 4'
	[ "$status" -eq 4 ]
	[ "$output" = out ]
	[ "$stderr" = err ]
}

@test "--capture --merge on an agent older than 8.1 merges in the guest" {
	start_qga
	run --separate-stderr qga --capture --merge -- sh -c 'echo 1; echo 2 >&2; echo 3'
	[ "$status" -eq 0 ]
	[ "$output" = $'1\n2\n3' ]
}

@test "--capture says so when the agent cut the output at 16 MiB" {
	start_qga
	run --separate-stderr qga --capture -- head -c 17000000 /dev/zero
	[ "$status" -eq 0 ]
	[ "${#output}" -eq 0 ] || true
	[[ "$stderr" == *"cut the command's stdout at 16 MiB"* ]]
}

@test "an unwritable --tmpdir falls back to --capture with a note" {
	start_qga
	run --separate-stderr qga --tmpdir /proc -- echo still works
	[ "$status" -eq 0 ]
	[ "$output" = "still works" ]
	[[ "$stderr" == *"falling back to --capture"* ]]
}

@test "no output files are left in the guest" {
	start_qga
	mkdir "$T/tmp"
	run qga --tmpdir "$T/tmp" -- sh -c 'echo hi; echo there >&2'
	[ "$status" -eq 0 ]
	[ -z "$(ls -A "$T/tmp")" ]
}

@test "--ping exits 0 when the agent answers" {
	start_qga
	run qga --ping
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "--info prints guest-info as one JSON line" {
	start_qga
	run qga --info
	[ "$status" -eq 0 ]
	jq -e '(.version | test("^[0-9]+\\.")) and (.supported_commands | length > 10)' <<<"$output"
}

@test "--help prints the synopsis on stdout and exits 0" {
	run --separate-stderr qga-exec --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: qga-exec --sock ADDR"* ]]
	[ -z "$stderr" ]
}

@test "--version prints the version" {
	run qga-exec --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^qga-exec\ \(vmtest-tools\)\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "usage errors exit 2 before connecting" {
	run qga-exec --sock /nonexistent
	[ "$status" -eq 2 ]
	[[ "$output" == *"no COMMAND given"* ]]
	run qga-exec -- true
	[ "$status" -eq 2 ]
	run qga-exec --sock /nonexistent --env 'BAD NAME=1' -- true
	[ "$status" -eq 2 ]
	[[ "$output" == *"expected NAME=VALUE"* ]]
	run qga-exec --sock /nonexistent --timeout soon -- true
	[ "$status" -eq 2 ]
	run qga-exec --sock /nonexistent --ping -- true
	[ "$status" -eq 2 ]
	run --separate-stderr qga-exec --no-such-flag
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"usage: qga-exec"* ]]
}

now_ms() { date +%s%3N; }

# hung_agent: $T/hung.sock accepts every connection and never answers (a
# guest whose agent is hung); each accept appends a line to $T/accepts.
hung_agent() {
	requires python3
	start_peer hung python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(64)
held = []
while True:
    held.append(s.accept()[0])
    with open(sys.argv[2], "a") as f:
        f.write("accepted\n")
' "$T/hung.sock" "$T/accepts"
	wait_for_path "$T/hung.sock"
}

# py_agent: a fake agent on $T/fake.sock that logs every request to
# $T/requests and answers as a healthy agent would, except for the
# status of the first command each connection starts (pid 42): the JSON
# in $T/status, read at each query, or no answer at all if that says hang.
py_agent() {
	requires python3 jq
	echo '{"exited": true, "exitcode": 0}' >"$T/status"
	cat >"$T/agent.py" <<'PY'
import json, socket, sys, time

path, status_file, log = sys.argv[1:4]
srv = socket.socket(socket.AF_UNIX)
srv.bind(path)
srv.listen(8)
handles, pids = iter(range(1000, 10**6)), iter(range(100, 10**6))
execs = 0

def answer(name, args):
    global execs
    if name == "guest-exec":
        execs += 1
        return {"pid": 42 if execs == 1 else next(pids)}
    if name == "guest-exec-status":
        if args["pid"] != 42:
            return {"exited": True, "exitcode": 0}
        text = open(status_file).read().strip()
        if text == "hang":
            time.sleep(3600)
        return json.loads(text)
    if name == "guest-file-open":
        return next(handles)
    if name == "guest-file-read":
        return {"count": 0, "buf-b64": "", "eof": True}
    if name == "guest-info":
        return {"version": "7.2.0", "supported_commands": []}
    return {}

while True:
    conn = srv.accept()[0]
    execs = 0
    try:
        for line in conn.makefile("rb"):
            line = line.lstrip(b"\xff").strip()
            if not line:
                continue
            req = json.loads(line)
            with open(log, "a") as f:
                f.write(json.dumps(req) + "\n")
            args = req.get("arguments", {})
            if req["execute"] == "guest-sync-delimited":
                reply = b"\xff" + json.dumps({"return": args["id"]}).encode()
            else:
                reply = json.dumps({"return": answer(req["execute"], args),
                                    "id": req.get("id")}).encode()
            conn.sendall(reply + b"\n")
    except OSError:
        pass
    conn.close()
PY
	start_peer agent python3 "$T/agent.py" "$T/fake.sock" "$T/status" "$T/requests"
	wait_for_path "$T/fake.sock"
}

# requested NAME: the arguments of every NAME request, one JSON line each.
requested() { jq -c --arg n "$1" 'select(.execute == $n) | .arguments' "$T/requests"; }

@test "SIGINT while the agent does not answer: 130 within a second" {
	hung_agent
	# (--wait 5s only bounds a failure: the signal comes after 1 s)
	qga-exec --sock "$T/hung.sock" --wait 5s -- true 2>"$T/err" &
	local pid=$! rc=0 t0
	sleep 1
	t0=$(now_ms)
	kill -INT "$pid"
	wait "$pid" || rc=$?
	(( $(now_ms) - t0 < 1000 ))
	[ "$rc" -eq 130 ]
	[ ! -s "$T/err" ]
}

@test "SIGINT while waiting for a socket that is not there yet: 130 at once" {
	# (a background job starts with SIGINT ignored: caught all the same)
	qga-exec --sock "$T/not-yet.sock" --wait 5s --ping &
	local pid=$! rc=0 t0
	sleep 0.5
	t0=$(now_ms)
	kill -INT "$pid"
	wait "$pid" || rc=$?
	(( $(now_ms) - t0 < 1000 ))
	[ "$rc" -eq 130 ]
}

@test "SIGINT during a call the agent never answers: 130 within two seconds" {
	py_agent
	echo hang >"$T/status"
	qga-exec --sock "$T/fake.sock" --rpc-timeout 10s -- true 2>"$T/err" &
	local pid=$! rc=0 t0
	wait_until 5 "a status query" grep -q guest-exec-status "$T/requests"
	t0=$(now_ms)
	kill -INT "$pid"
	wait "$pid" || rc=$?
	(( $(now_ms) - t0 < 2000 ))
	[ "$rc" -eq 130 ]
	# One line: the command could not be stopped, and why.
	[ "$(wc -l <"$T/err")" -eq 1 ]
	grep -q "did not answer within 1s" "$T/err"
}

@test "an agent that hangs mid-run costs one --rpc-timeout, not two" {
	py_agent
	echo hang >"$T/status"
	local timeout_ms=2000 t0 elapsed
	t0=$(now_ms)
	run qga-exec --sock "$T/fake.sock" --rpc-timeout "${timeout_ms}ms" -- true
	elapsed=$(( $(now_ms) - t0 ))
	[ "$status" -eq 69 ]
	[[ "$output" == *"status of pid 42: the agent did not answer within 2s"* ]]
	(( elapsed >= timeout_ms && elapsed < 2 * timeout_ms ))
	# Nothing more was sent on the dead connection.
	[ -z "$(requested guest-file-close)" ]
}

@test "statuses no guest process can have: 76, naming the value" {
	py_agent
	local case value want
	for case in 'exitcode 256' 'exitcode 1024' 'exitcode -1' 'signal 200' \
		'signal 65' 'signal 0' 'signal -9'; do
		set -- $case
		printf '{"exited": true, "%s": %s}\n' "$1" "$2" >"$T/status"
		run qga-exec --sock "$T/fake.sock" -- true
		[ "$status" -eq 76 ] || { echo "$case: $status $output"; false; }
		[[ "$output" == *"protocol error: '$1' $2 is not a"* ]]
		[ "${#lines[@]}" -eq 1 ]
	done
	# The ends of the ranges are statuses.
	for case in 'exitcode 255 255' 'exitcode 0 0' 'signal 64 192' 'signal 1 129'; do
		set -- $case
		printf '{"exited": true, "%s": %s}\n' "$1" "$2" >"$T/status"
		run qga-exec --sock "$T/fake.sock" -- true
		[ "$status" -eq "$3" ] || { echo "$case: $status $output"; false; }
	done
}

@test "--pid: QEMU's end stops --wait at once with 69" {
	# A guest-less QEMU whose agent socket accepts and never answers.
	start_qemu -chardev "socket,path=$T/qga.sock,server=on,wait=off,id=qga0"
	local qemu t0 elapsed
	qemu=$(peer_pid qemu)
	wait_for_path "$T/qga.sock"
	( sleep 1; kill "$qemu" ) &
	t0=$(now_ms)
	run qga-exec --sock "$T/qga.sock" --wait 60s --pid "$qemu" --ping
	elapsed=$(( $(now_ms) - t0 ))
	[ "$status" -eq 69 ]
	[ "$output" = "qga-exec: error: QEMU (pid $qemu) exited" ]
	(( elapsed < 2500 ))
}

@test "--pid: a QEMU already gone is 69 before connecting" {
	sh -c 'exit 0' &
	local gone=$!
	wait "$gone"
	run qga-exec --sock "$T/qga.sock" --wait 60s --pid "$gone" -- true
	[ "$status" -eq 69 ]
	[ "$output" = "qga-exec: error: QEMU (pid $gone) exited" ]
	run qga-exec --sock "$T/qga.sock" --pid 0 -- true
	[ "$status" -eq 2 ]
}

# gone PID: the process has ended (a zombie nobody reaps counts).
gone() { ! kill -0 "$1" 2>/dev/null || [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]; }

@test "qga-exec dies with its parent (SIGKILL of a driver)" {
	hung_agent
	bash -c 'qga-exec --sock "$1" --wait 60s --ping & echo $! >"$2"; wait' \
		sh "$T/hung.sock" "$T/pid" &
	local parent=$!
	wait_for_content "$T/accepts"		# it runs, past its start
	echo "$(cat "$T/pid") qga-exec" >>"$T/peers"	# stopped if this fails
	kill -9 "$parent"
	wait_until 2 "qga-exec to end with its parent" gone "$(cat "$T/pid")"
}

@test "--mount: TAG ends at the first colon, a final :ro or :rw is the mode" {
	py_agent
	run qga-exec --sock "$T/fake.sock" --mount 'vt0:/mnt/a b:c' \
		--mount "vt1:/mnt/it's \"quoted\":ro" --mount 'vt2:/x:rw:rw' \
		--mount 'vt3:/y::ro'
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# One guest-exec of /bin/sh, the shares as TAG DIR MODE words.
	[ "$(requested guest-exec | wc -l)" -eq 1 ]
	requested guest-exec | jq -e --args '.path == "/bin/sh" and
		.["capture-output"] == true and .arg[3:] == $ARGS.positional' \
		vt0 '/mnt/a b:c' rw vt1 "/mnt/it's \"quoted\"" ro vt2 /x:rw rw vt3 /y: ro
}

@test "--mount then COMMAND: the mount comes first" {
	py_agent
	run qga-exec --sock "$T/fake.sock" --mount 'vt0:/mnt/x' -- echo hi
	[ "$status" -eq 0 ]
	requested guest-exec | jq -s -e '(.[0].arg[3:] == ["vt0", "/mnt/x", "rw"]) and
		(.[1].arg | index("echo") != null)'
}

@test "--mount: a share the guest cannot mount is 1, naming tag and dir" {
	py_agent
	# The script says which share failed (10+I) and why, on stderr.
	printf '{"exited": true, "exitcode": 12, "err-data": "%s"}\n' \
		"$(printf 'mount: mounting vt1 on /mnt/y z failed: No such device\n' | base64 -w0)" >"$T/status"
	run qga-exec --sock "$T/fake.sock" --mount vt0:/mnt/x --mount 'vt1:/mnt/y z' -- echo never
	[ "$status" -eq 1 ]
	[ "$output" = "qga-exec: error: cannot mount the 9p share 'vt1' at '/mnt/y z': mount: mounting vt1 on /mnt/y z failed: No such device" ]
	[ "$(requested guest-exec | wc -l)" -eq 1 ]	# the command never ran
	printf '{"exited": true, "exitcode": 3, "err-data": "%s"}\n' \
		"$(printf 'the guest kernel has no 9p file system (modules 9p and 9pnet_virtio)\n' | base64 -w0)" >"$T/status"
	run qga-exec --sock "$T/fake.sock" --mount vt0:/mnt/x
	[ "$status" -eq 1 ]
	[[ "$output" == *"no 9p file system"* ]]
}

@test "--mount: malformed shares are usage errors" {
	local bad
	for bad in novalue ':/x' 'tag:' 'tag:relative' 'tag::ro' 'tag:rw'; do
		run qga-exec --sock "$T/none.sock" --mount "$bad"
		[ "$status" -eq 2 ] || { echo "$bad: $status"; false; }
		[[ "$output" == *"--mount '$bad'"* ]]
	done
	run qga-exec --sock "$T/none.sock" --mount vt0:/x --ping
	[ "$status" -eq 2 ]
}
