#!/usr/bin/env bats
# qmp-send against a real QEMU (-M none) and, for broken peers, socat.

load helpers
bats_require_minimum_version 1.5.0

@test "query-status returns the status as one JSON line" {
	start_qemu
	run qmp-send --sock "$T/qmp.sock" query-status
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -r .status <<<"$output")" = running ]
}

@test "a command with no return value prints {}" {
	start_qemu
	run qmp-send --sock "$T/qmp.sock" stop
	[ "$status" -eq 0 ]
	[ "$output" = "{}" ]
}

@test "ARG=VALUE is typed: true and false are booleans" {
	start_qemu
	run qmp-send --sock "$T/qmp.sock" trace-event-set-state 'name=no-such-event-*' enable=true ignore-unavailable=TRUE
	[ "$status" -eq 0 ]
	[ "$output" = "{}" ]
}

@test "ARG=VALUE is typed: an integer is a number" {
	start_qemu
	run qmp-send --sock "$T/qmp.sock" object-add qom-type=memory-backend-ram id=mem0 size=1048576
	[ "$status" -eq 0 ]
	run qmp-send --sock "$T/qmp.sock" qom-get path=/objects/mem0 property=size
	[ "$output" = 1048576 ]
}

@test "ARG=VALUE is typed: QEMU refuses a number where it wants a string" {
	start_qemu
	run qmp-send --sock "$T/qmp.sock" query-command-line-options option=1
	[ "$status" -eq 1 ]
	[[ "$output" == *"Invalid parameter type for 'option', expected: string"* ]]
}

@test "ARG:=JSON passes a JSON literal" {
	start_qemu
	run qmp-send --sock "$T/qmp.sock" qom-list-properties 'typename:="memory-backend-ram"'
	[ "$status" -eq 0 ]
	jq -e 'map(.name) | index("size") != null' <<<"$output"
}

@test "dotted arguments build nested objects" {
	start_qemu
	run qmp-send --sock "$T/qmp.sock" blockdev-add driver=raw node-name=r0 \
		file.driver=null-co file.size=4096 read-only=true
	[ "$status" -eq 0 ]
	run qmp-send --sock "$T/qmp.sock" query-named-block-nodes flat=true
	jq -e '.[] | select(.["node-name"] == "r0") | .image["virtual-size"] == 4096' <<<"$output"
}

@test "commands are read from stdin as JSON lines, replies in order" {
	start_qemu
	run qmp-send --sock "$T/qmp.sock" <<-'EOF'
	{"execute":"query-status"}

	# comments and blank lines are skipped
	{"execute":"qom-get","arguments":{"path":"/machine","property":"type"}}
	{"execute":"query-name"}
	EOF
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[ "$(jq -r .status <<<"${lines[0]}")" = running ]
	[ "${lines[1]}" = '"none-machine"' ]
	[ "${lines[2]}" = "{}" ]
}

@test "a last stdin line without a newline still runs" {
	start_qemu
	run bash -c "printf '{\"execute\":\"query-name\"}' | qmp-send --sock '$T/qmp.sock'"
	[ "$status" -eq 0 ]
	[ "$output" = "{}" ]
}

@test "an id given on stdin is kept in --full output" {
	start_qemu
	run qmp-send --sock "$T/qmp.sock" --full <<<'{"execute":"query-name","id":{"n":7}}'
	[ "$status" -eq 0 ]
	[ "$output" = '{"return":{},"id":{"n":7}}' ] || [ "$output" = '{"id":{"n":7},"return":{}}' ]
}

@test "an error reply prints class and desc and exits 1" {
	start_qemu
	run qmp-send --sock "$T/qmp.sock" no-such-command
	[ "$status" -eq 1 ]
	[[ "$output" == *"qmp-send: error: no-such-command: CommandNotFound: "* ]]
}

@test "an error reply stops a stdin batch" {
	start_qemu
	run qmp-send --sock "$T/qmp.sock" <<-'EOF'
	{"execute":"query-name"}
	{"execute":"no-such-command"}
	{"execute":"stop"}
	EOF
	[ "$status" -eq 1 ]
	run qmp-send --sock "$T/qmp.sock" query-status
	[ "$(jq -r .status <<<"$output")" = running ]
}

@test "--keep-going runs the rest of the batch and still exits 1" {
	start_qemu
	run qmp-send --sock "$T/qmp.sock" --keep-going <<-'EOF'
	{"execute":"no-such-command"}
	{"execute":"stop"}
	EOF
	[ "$status" -eq 1 ]
	run qmp-send --sock "$T/qmp.sock" query-status
	[ "$(jq -r .status <<<"$output")" = paused ]
}

@test "--full prints whole responses, error replies too" {
	start_qemu
	run --separate-stderr qmp-send --sock "$T/qmp.sock" --full no-such-command
	[ "$status" -eq 1 ]
	[ "$(jq -r .error.class <<<"$output")" = CommandNotFound ]
}

@test "--greeting prints QEMU's greeting first" {
	start_qemu
	run qmp-send --sock "$T/qmp.sock" --greeting query-name
	[ "$status" -eq 0 ]
	jq -e '.QMP.version.qemu.major >= 7' <<<"${lines[0]}"
	[ "${lines[1]}" = "{}" ]
}

@test "--pretty indents the output" {
	start_qemu
	run qmp-send --sock "$T/qmp.sock" --pretty query-status
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "{" ]
	[ "$(jq -r .status <<<"$output")" = running ]
}

@test "--hmp runs a human monitor command and prints its text" {
	start_qemu
	run qmp-send --sock "$T/qmp.sock" --hmp 'info status'
	[ "$status" -eq 0 ]
	[ "$output" = "VM status: running" ]
	[[ "$output" != *$'\r'* ]]
}

@test "stop and cont show STOP and RESUME events with --events" {
	start_qemu
	run qmp-send --sock "$T/qmp.sock" --events <<-'EOF'
	{"execute":"stop"}
	{"execute":"cont"}
	EOF
	[ "$status" -eq 0 ]
	[ "$(jq -rs 'map(.event // "reply") | join(" ")' <<<"$output")" = "STOP reply RESUME reply" ]
}

@test "a reader that goes away (--events | head -c1): one error, exit 71, not SIGPIPE" {
	start_qemu
	# The first line goes to head, which leaves; what follows has no reader.
	run bash -c "{ echo '{\"execute\":\"stop\"}'; sleep 1; echo '{\"execute\":\"cont\"}'; } |
		qmp-send --sock '$T/qmp.sock' --events 2>'$T/err' | head -c1; echo \" \${PIPESTATUS[1]}\""
	[ "$output" = "{ 71" ]
	[ "$(cat "$T/err")" = "qmp-send: error: stdout: Broken pipe" ]
}

@test "a full stdout (/dev/full): one error, exit 71" {
	start_qemu
	run bash -c "qmp-send --sock '$T/qmp.sock' query-status >/dev/full"
	[ "$status" -eq 71 ]
	[ "$output" = "qmp-send: error: stdout: No space left on device" ]
	run bash -c "qmp-send --sock '$T/qmp.sock' --hmp 'info status' >/dev/full"
	[ "$status" -eq 71 ]
	[ "$output" = "qmp-send: error: stdout: No space left on device" ]
}

@test "--wait-event catches an event that comes before the reply" {
	start_qemu
	run qmp-send --sock "$T/qmp.sock" --wait-event STOP stop
	[ "$status" -eq 0 ]
	[ "$(jq -r .event <<<"${lines[0]}")" = STOP ]
	[ "${lines[1]}" = "{}" ]
}

@test "--wait-event with --match waits for the matching event only" {
	start_qemu
	run qmp-send --sock "$T/qmp.sock" --wait-event SHUTDOWN --match reason=host-qmp-quit --match guest=false quit
	[ "$status" -eq 0 ]
	jq -se 'any(.[]; .event == "SHUTDOWN" and .data.reason == "host-qmp-quit")' <<<"$output"
}

@test "--wait-event times out with 124 when the event never comes" {
	start_qemu
	run qmp-send --sock "$T/qmp.sock" --timeout 300ms --wait-event RESUME </dev/null
	[ "$status" -eq 124 ]
	[[ "$output" == *"before the RESUME event within 300ms"* ]]
}

@test "--match on a value the event does not have does not match" {
	start_qemu
	run qmp-send --sock "$T/qmp.sock" --timeout 500ms --wait-event STOP --match reason=other stop
	[ "$status" -eq 124 ]
}

@test "--follow prints events until QEMU quits" {
	start_qemu
	qmp-send --sock "$T/qmp.sock" --follow </dev/null >"$T/events" &
	local follower=$!
	# The follower holds the only QMP connection: stop QEMU by signal.
	wait_for_content "$T/events" 1 || true
	sleep 0.3
	pkill -INT -f "qmp:unix:$T/qmp.sock" || kill -INT "$(awk '$2 == "qemu" {print $1}' "$T/peers")"
	wait "$follower"
	jq -e 'select(.event == "SHUTDOWN")' "$T/events"
}

@test "quit succeeds although QEMU closes the socket at once" {
	start_qemu
	local qemu_pid
	qemu_pid=$(awk '$2 == "qemu" {print $1}' "$T/peers")
	run qmp-send --sock "$T/qmp.sock" quit
	[ "$status" -eq 0 ]
	[ "$output" = "{}" ]
	wait_for_gone "$qemu_pid"
}

@test "quit in a batch succeeds, a command after it is reported as not sent" {
	start_qemu
	run qmp-send --sock "$T/qmp.sock" <<-'EOF'
	{"execute":"quit"}
	{"execute":"query-status"}
	EOF
	[ "$status" -eq 69 ]
	[[ "$output" == *"stdin:2 was not sent"* ]]
}

@test "--oob negotiates out-of-band execution" {
	start_qemu
	run qmp-send --sock "$T/qmp.sock" --oob --keep-going <<-'EOF'
	{"exec-oob":"migrate-pause"}
	{"execute":"query-name"}
	EOF
	[ "$status" -eq 1 ]
	# Refused for the migration state, not because out-of-band is off.
	[[ "$output" != *"not enabled"* ]] && [[ "$output" != *"CommandNotFound"* ]]
	[[ "$output" == *"{}"* ]]
}

@test "no QEMU: a missing socket exits 69 naming it" {
	run qmp-send --sock "$T/nothing.sock" query-status
	[ "$status" -eq 69 ]
	[[ "$output" == *"$T/nothing.sock: cannot connect: No such file or directory"* ]]
}

@test "a refused TCP address exits 69" {
	run qmp-send --sock 127.0.0.1:1 query-status
	[ "$status" -eq 69 ]
	[[ "$output" == *"127.0.0.1:1: cannot connect: Connection refused"* ]]
}

@test "--wait waits for a socket that appears later" {
	requires qemu-system-x86_64
	( sleep 0.5; exec qemu-system-x86_64 -M none -nodefaults -display none \
		-qmp "unix:$T/qmp.sock,server=on,wait=off" ) &
	echo "$! qemu" >>"$T/peers"
	run qmp-send --sock "$T/qmp.sock" --wait 10s query-status
	[ "$status" -eq 0 ]
}

@test "QMP over TCP" {
	requires qemu-system-x86_64
	local port=$(( 20000 + RANDOM % 20000 ))
	start_peer qemu qemu-system-x86_64 -M none -nodefaults -display none \
		-qmp "tcp:127.0.0.1:$port,server=on,wait=off"
	run qmp-send --sock "127.0.0.1:$port" --wait 5s query-status
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = running ]
}

@test "a busy socket: says another client is connected instead of hanging" {
	start_qemu
	requires socat
	start_peer first socat "UNIX-CONNECT:$T/qmp.sock" "SYSTEM:cat >$T/first.greeting"
	wait_for_content "$T/first.greeting"
	run qmp-send --sock "$T/qmp.sock" --timeout 500ms query-status
	[ "$status" -eq 69 ]
	[[ "$output" == *"no QMP greeting: another client is connected"* ]]
}

@test "a socket path longer than sun_path still connects" {
	requires qemu-system-x86_64
	local deep="$T/$(printf 'd%.0s' {1..60})/$(printf 'e%.0s' {1..60})"
	mkdir -p "$deep"
	( cd "$deep" && exec qemu-system-x86_64 -M none -nodefaults -display none \
		-qmp unix:qmp.sock,server=on,wait=off ) &
	echo "$! qemu" >>"$T/peers"
	wait_for_path "$deep/qmp.sock"
	[ "${#deep}" -gt 108 ]
	run qmp-send --sock "$deep/qmp.sock" query-status
	[ "$status" -eq 0 ]
}

@test "garbage instead of a greeting exits 76" {
	start_fake_peer "printf 'hello there\r\n'; sleep 5"
	run qmp-send --sock "$T/fake.sock" query-status
	[ "$status" -eq 76 ]
	[[ "$output" == *"protocol error before its greeting: not JSON"*"hello there"* ]]
}

@test "a JSON greeting that is not QMP's exits 76" {
	start_fake_peer "printf '{\"hello\":1}\r\n'; sleep 5"
	run qmp-send --sock "$T/fake.sock" query-status
	[ "$status" -eq 76 ]
	[[ "$output" == *"expected the QMP greeting"* ]]
}

@test "garbage instead of a reply exits 76" {
	start_fake_peer "printf '{\"QMP\":{}}\r\n'; read -r line; printf '\\377\\001garbage\r\n'; sleep 5"
	run qmp-send --sock "$T/fake.sock" query-status
	[ "$status" -eq 76 ]
	[[ "$output" == *"to qmp_capabilities: not JSON"*'\xff\x01garbage'* ]]
}

@test "an error reply without an id exits 76" {
	start_fake_peer "printf '{\"QMP\":{}}\r\n'; read -r line; printf '{\"error\":{\"class\":\"GenericError\",\"desc\":\"JSON parse error\"}}\r\n'; sleep 5"
	run qmp-send --sock "$T/fake.sock" query-status
	[ "$status" -eq 76 ]
	[[ "$output" == *"QEMU could not read a command: GenericError: JSON parse error"* ]]
}

@test "a peer that hangs up mid-reply exits 69" {
	start_fake_peer "printf '{\"QMP\":{}}\r\n'; read -r line; printf '{\"return\":'"
	run qmp-send --sock "$T/fake.sock" query-status
	[ "$status" -eq 69 ]
	[[ "$output" == *"closed the connection"*"in the middle of a message"* ]]
}

@test "a peer that never answers times out with 124" {
	start_fake_peer "printf '{\"QMP\":{}}\r\n'; read -r line; printf '{\"return\":{},\"id\":1}\r\n'; sleep 5"
	run qmp-send --sock "$T/fake.sock" --timeout 300ms query-status
	[ "$status" -eq 124 ]
	[[ "$output" == *"no answer to query-status within 300ms"* ]]
}

@test "--help prints the synopsis on stdout and exits 0" {
	run --separate-stderr qmp-send --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: qmp-send --sock ADDR"* ]]
	[ -z "$stderr" ]
}

@test "--version prints the version" {
	run qmp-send --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^qmp-send\ \(vmtest-tools\)\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "a bad flag prints usage on stderr and exits 2" {
	run --separate-stderr qmp-send --no-such-flag
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == *"usage: qmp-send"* ]]
}

@test "usage errors exit 2 before connecting" {
	run qmp-send query-status
	[ "$status" -eq 2 ]
	[[ "$output" == *"--sock is required"* ]]
	run qmp-send --sock /nonexistent --timeout 5parsecs query-status
	[ "$status" -eq 2 ]
	[[ "$output" == *"--timeout: invalid duration '5parsecs'"* ]]
	run qmp-send --sock /nonexistent query-status novalue
	[ "$status" -eq 2 ]
	[[ "$output" == *"'novalue': expected ARG=VALUE or ARG:=JSON"* ]]
	run qmp-send --sock /nonexistent cmd 'a:={bad'
	[ "$status" -eq 2 ]
	run qmp-send --sock /nonexistent cmd a=1 a.b=2
	[ "$status" -eq 2 ]
	[[ "$output" == *"used both as a value and as an object"* ]]
	run qmp-send --sock /nonexistent --match a=b cmd
	[ "$status" -eq 2 ]
}

@test "a malformed stdin line exits 2 naming the line" {
	start_qemu
	run qmp-send --sock "$T/qmp.sock" <<-'EOF'
	{"execute":"query-name"}
	{"execute": 
	EOF
	[ "$status" -eq 2 ]
	[[ "$output" == *"stdin:2: "* ]]
}
