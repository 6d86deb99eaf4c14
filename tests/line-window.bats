#!/usr/bin/env bats
# line-window: the window on a real terminal (a private tmux server, read
# back with capture-pane), and without one: pass-through, --save,
# --follow, signals, a reader that goes away.

load helpers
bats_require_minimum_version 1.5.0

teardown() {
	exec 7>&-
	if [ -S "$T/tmux.sock" ]; then
		tmux -S "$T/tmux.sock" kill-server 2>/dev/null || true
	fi
	helpers_teardown
}

# pane [-x COLS] [-y ROWS] SCRIPT: runs the bash SCRIPT in a fresh
# terminal, 100x30 unless told.
pane() {
	local cols=100 rows=30
	requires tmux
	while :; do
		case $1 in
		-x) cols=$2; shift 2 ;;
		-y) rows=$2; shift 2 ;;
		*) break ;;
		esac
	done
	printf '%s\n' "$1" >"$T/term.sh"
	# Not our end of the FIFO: the server would hold it open for good.
	tmux -S "$T/tmux.sock" -f /dev/null new-session -d -x "$cols" -y "$rows" \
		"env -u NO_COLOR ${TERM_ENV:-} bash $T/term.sh" 7>&-
}

# term [-x COLS] [-y ROWS] [ARG...]: runs line-window ARGs in a fresh
# terminal, after a line "before", with its input from the FIFO $T/in
# that fd 7 holds open; $T/pid gets its pid, $T/rc its exit status.
# $TERM_ENV is added to its environment (NO_COLOR is taken out).
term() {
	local size=()
	while :; do
		case $1 in
		-x | -y) size+=("$1" "$2"); shift 2 ;;
		*) break ;;
		esac
	done
	mkfifo "$T/in"
	exec 7<>"$T/in"
	pane "${size[@]}" "printf 'before\\n'
$(printf '%q ' "$VT_BIN/line-window" "$@") <$(printf '%q' "$T/in") &
echo \$! >$(printf '%q' "$T/pid")
wait \$!
echo \$? >$(printf '%q' "$T/rc")
exec sleep 600"
	wait_for_path "$T/pid"
	# Once it runs line-window, its end of the FIFO is open: bytes written
	# before that would be dropped when fd 7 closes with no reader.
	wait_until 10 "line-window to start" running_line_window
}
running_line_window() {
	[ "$(basename "$(readlink "/proc/$(cat "$T/pid")/exe")")" = line-window ]
}

# screen: what the terminal shows, without the blank rows at the bottom.
screen() {
	tmux -S "$T/tmux.sock" capture-pane -p "$@" |
		awk '{ row[NR] = $0 } NF { last = NR } END { for (i = 1; i <= last; i++) print row[i] }'
}
screen_is() { [ "$(screen)" = "$1" ]; }

# show EXPECTED: waits until the screen is EXPECTED, or fails showing both.
show() {
	wait_until 10 "the screen" screen_is "$1" || {
		printf 'screen:\n%s\nwanted:\n%s\n' "$(screen)" "$1"
		return 1
	}
}

cursor() { tmux -S "$T/tmux.sock" display -p '#{cursor_y} #{cursor_x}'; }

# ended: waits for line-window in the terminal to end; $status is its status.
ended() {
	wait_for_path "$T/rc"
	wait_for_content "$T/rc"
	status=$(cat "$T/rc")
}

@test "on a terminal, only the last 10 lines show while input comes" {
	term
	printf 'line %d\n' {1..25} >&7
	show "$(echo before; printf 'line %d\n' {16..25})"
	printf 'line %d\n' {26..40} >&7
	printf 'partial' >&7
	show "$(echo before; printf 'line %d\n' {32..40}; echo partial)"
	[ ! -e "$T/rc" ]
}

@test "at the end of input the window is erased and the cursor is where it started" {
	term
	printf 'line %d\n' {1..15} >&7
	show "$(echo before; printf 'line %d\n' {6..15})"
	exec 7>&-
	ended
	[ "$status" -eq 0 ]
	show before
	[ "$(cursor)" = "1 0" ]
}

@test "--keep leaves the last frame, the cursor below it" {
	term --keep
	printf 'line %d\n' {1..12} >&7
	printf 'last' >&7
	exec 7>&-
	ended
	[ "$status" -eq 0 ]
	show "$(echo before; printf 'line %d\n' {4..12}; echo last)"
	[ "$(cursor)" = "11 0" ]
}

@test "-n 3 shows three lines" {
	term -n 3
	printf 'line %d\n' {1..8} >&7
	show "$(echo before; printf 'line %d\n' 6 7 8)"
}

@test "a short terminal cuts the window to its rows - 2" {
	term -y 8
	printf 'line %d\n' {1..20} >&7
	show "$(echo before; printf 'line %d\n' {15..20})"
}

@test "a line too wide is clipped with ... short of the last column" {
	term -x 20
	printf '0123456789abcdefghijklmnop\n0123456789abcdefghi\nshort\n' >&7
	show "$(printf '%s\n' before 0123456789abcdef... 0123456789abcdefghi short)"
}

@test "the width follows a resized terminal, at once" {
	term -x 30
	printf '%s\n' "$(printf 'x%.0s' {1..60})" >&7
	show "$(echo before; printf 'x%.0s' {1..26}; echo ...)"
	tmux -S "$T/tmux.sock" resize-window -x 50
	show "$(echo before; printf 'x%.0s' {1..46}; echo ...)"
	printf 'y\n' >&7
	show "$(echo before; printf 'x%.0s' {1..46}; echo ...; echo y)"
}

@test "escapes are stripped, tabs expanded, a CR shows what follows it" {
	term
	printf 'a\tb\033[31mred\033[0m\033]0;title\007|\033[2J\033[H\n' >&7
	printf 'CRLF line\r\n' >&7
	printf ' 10%%\r 50%%\r100%%\n' >&7
	printf 'bad \377\376 utf-8 caf\303\251 \344\270\255\tend\n' >&7
	show "$(printf '%s\n' before 'a       bred|' 'CRLF line' '100%' 'bad ?? utf-8 café 中    end')"
}

@test "lines are dimmed, and not with NO_COLOR" {
	term
	printf 'dim\n' >&7
	show "$(printf '%s\n' before dim)"
	[[ "$(screen -e)" == *$'\e[2mdim'* ]]
	tmux -S "$T/tmux.sock" kill-server
	rm -f "$T/in" "$T/pid" "$T/rc" "$T/tmux.sock"
	TERM_ENV=NO_COLOR=1 term
	printf 'plain\n' >&7
	show "$(printf '%s\n' before plain)"
	[[ "$(screen -e)" != *$'\e['* ]]
}

@test "SIGTERM on a terminal erases the window; the status is 143" {
	term
	printf 'line %d\n' {1..3} >&7
	show "$(echo before; printf 'line %d\n' 1 2 3)"
	kill -TERM "$(cat "$T/pid")"
	ended
	[ "$status" -eq 143 ]
	show before
	[ "$(cursor)" = "1 0" ]
}

@test "--save gets every byte on a terminal too" {
	head -c 300000 /dev/urandom >"$T/data"
	term --save "$T/saved"
	cat "$T/data" >&7
	exec 7>&-
	ended
	[ "$status" -eq 0 ]
	cmp "$T/data" "$T/saved"
	show before
}

@test "a line of 100 MB takes no more memory than a short one" {
	term --save /dev/null
	printf 'short\n' >&7
	show "$(printf '%s\n' before short)"
	local before after pid
	pid=$(cat "$T/pid")
	before=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
	head -c 100M /dev/zero | tr '\0' x >&7
	show "$(echo before; echo short; printf 'x%.0s' {1..96}; echo ...)"
	after=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
	echo "peak RSS: ${before} kB, then ${after} kB"
	(( after - before < 4096 ))
}

@test "without a terminal the input passes through byte for byte" {
	{
		head -c 1000000 /dev/urandom
		printf 'a\0b\033[31m\r\n\377\376'
		printf 'no final newline'
	} >"$T/data"
	line-window <"$T/data" >"$T/out"
	cmp "$T/data" "$T/out"
	: >"$T/empty"
	line-window <"$T/empty" >"$T/out"
	cmp "$T/empty" "$T/out"
}

@test "--save gets every byte without a terminal" {
	{ head -c 500000 /dev/urandom; printf 'tail\0'; } >"$T/data"
	line-window --save "$T/saved" <"$T/data" >"$T/out"
	cmp "$T/data" "$T/saved"
	cmp "$T/data" "$T/out"
}

@test "--save truncates FILE" {
	printf 'old content that is longer\n' >"$T/saved"
	printf 'new\n' | line-window --save "$T/saved" >/dev/null
	[ "$(cat "$T/saved")" = new ]
}

@test "--follow waits for FILE to appear, and SIGTERM ends it after it drained FILE" {
	start_peer lw line-window --follow "$T/log" --save "$T/saved"
	local pid
	pid=$(peer_pid lw)
	kill -0 "$pid"
	printf 'first\n' >"$T/log"
	wait_until 10 "first line saved" grep -q first "$T/saved"
	head -c 3000000 /dev/urandom >>"$T/log"
	printf 'last' >>"$T/log"
	kill -TERM "$pid"
	wait "$pid"
	cmp "$T/log" "$T/saved"
	cmp "$T/log" "$T/lw.out"
}

@test "--follow reads what FILE gains, and ends when --pid ends" {
	start_peer target sleep 600
	: >"$T/log"
	start_peer lw line-window --follow "$T/log" --pid "$(peer_pid target)" --save "$T/saved"
	printf 'one\n' >>"$T/log"
	wait_until 10 "one" grep -q one "$T/saved"
	printf 'two\n' >>"$T/log"
	wait_until 10 "two" grep -q two "$T/saved"
	printf 'three' >>"$T/log"
	kill "$(peer_pid target)"
	wait_for_gone "$(peer_pid lw)"
	wait "$(peer_pid lw)"
	[ "$(cat "$T/saved")" = "$(printf 'one\ntwo\nthree')" ]
}

@test "--pid: a zombie has ended, and so has a process that is not there" {
	start_peer parent perl -e '$| = 1; my $p = fork() // die; exit 0 unless $p; print "$p\n"; sleep 600'
	wait_for_content "$T/parent.out"
	local zombie
	zombie=$(cat "$T/parent.out")
	wait_until 10 "a zombie" grep -q '^State:.*Z' "/proc/$zombie/status"
	printf 'held\n' >"$T/log"
	run -0 timeout 10 line-window --follow "$T/log" --pid "$zombie"
	[ "$output" = held ]
	run -0 timeout 10 line-window --follow "$T/log" --pid 2147483647
	[ "$output" = held ]
	run -0 timeout 10 line-window --follow "$T/never" --pid 2147483647
	[ "$output" = "" ]
}

@test "--follow reads a truncated FILE again from its start" {
	printf 'aaaa' >"$T/log"
	start_peer lw line-window --follow "$T/log" --save "$T/saved"
	wait_until 10 "aaaa" grep -q aaaa "$T/saved"
	printf 'b' >"$T/log"
	wait_until 10 "aaaab" grep -qx aaaab "$T/saved"
}

@test "SIGTERM ends reading stdin: status 143, the bytes read are saved" {
	mkfifo "$T/in"
	exec 7<>"$T/in"
	line-window --save "$T/saved" <"$T/in" >"$T/out" &
	local pid=$!
	printf 'abc' >&7
	wait_until 10 "abc saved" grep -q abc "$T/saved"
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 143 ]
	[ "$(cat "$T/out")" = abc ]
}

@test "a reader that goes away does not kill the writer: it all gets saved" {
	run bash -c 'set -o pipefail
		{ seq 1 300000; touch "$1/writer-done"; } | "$2" --save "$1/saved" | head -c 1 >/dev/null
		echo "${PIPESTATUS[*]}"' _ "$T" "$VT_BIN/line-window"
	[ "$output" = "0 71 0" ]
	[ -e "$T/writer-done" ]
	cmp <(seq 1 300000) "$T/saved"
}

@test "stdout that cannot be written is 71, named; --save still gets every byte" {
	seq 1 1000 >"$T/data"
	run bash -c 'line-window --save "$1/saved" <"$1/data" >/dev/full' _ "$T"
	[ "$status" -eq 71 ]
	[ "$output" = "line-window: error: stdout: No space left on device" ]
	cmp "$T/data" "$T/saved"
	run bash -c 'line-window --follow "$1/data" --pid 2147483647 >/dev/full' _ "$T"
	[ "$status" -eq 71 ]
	[ "$output" = "line-window: error: stdout: No space left on device" ]
}

@test "usage errors exit 2 and name the problem" {
	run -2 line-window -n 0
	[[ "$output" == "line-window: error: -n: '0' is not a number from 1 to 1000" ]]
	run -2 line-window -n 1001
	run -2 line-window -n 3x
	run -2 line-window --pid 5
	[[ "$output" == "line-window: error: --pid needs --follow" ]]
	run -2 line-window --follow f --pid 0
	run -2 line-window --follow f --pid -1
	run -2 line-window some-file
	[[ "$output" == "line-window: error: unexpected argument 'some-file'"* ]]
	run -2 line-window --erase f -n 3
	[[ "$output" == "line-window: error: --erase takes no other option" ]]
	run -2 line-window --erase f --save g
	run -2 line-window --erase f --keep
	run -2 line-window --erase f --follow g
	run -2 line-window --no-such-option
	[[ "$output" == *"usage: line-window "* ]]
	run -2 line-window --save "$T/no/such/dir/file" </dev/null
	[[ "$output" == "line-window: error: $T/no/such/dir/file: No such file or directory" ]]
	run -0 line-window --version
	[[ "$output" == "line-window (vmtest-tools) "* ]]
}

# gone PID: the process has ended, reaped or not (an orphan's zombie may
# wait for an init that does not reap).
gone() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	stat=${stat##*) }
	[ "${stat%% *}" = Z ]
}

# The driver's fold, by hand: what it printed since "=> target", a line of
# tabs, one of wide characters and one of combining ones, each wider than
# the terminal, one exactly as wide, an empty one, escapes and a last line
# without '\n', all go; the heading stays, and so does what came before.
@test "--erase takes back what FILE says was printed, at the terminal's width" {
	pane -x 37 "printf 'before\\n\\033[1m=> target\\033[0m\\n'
{
	printf '\\033[1m===> Booting\\033[0m\\n'
	printf 'word\\t%.0s' {1..12}; echo
	printf 'ab\\t%.0s' {1..15}; echo
	printf '\\xe4\\xb8\\xad%.0s' {1..37}; echo
	printf 'e\\xcc\\x81%.0s' {1..40}; echo
	printf 'x%.0s' {1..37}; echo
	echo
	printf '\\033[2mnote\\033[0m\\r\\n'
	printf 'no newline at the end'
} | tee $(printf '%q' "$T/shown")
$(printf '%q' "$VT_BIN/line-window") --erase $(printf '%q' "$T/shown")
echo \$? >$(printf '%q' "$T/rc")
exec sleep 600"
	ended
	[ "$status" -eq 0 ]
	show "$(printf '%s\n' before '=> target')"
	[ "$(cursor)" = "2 0" ] || { cursor; return 1; }
}

@test "--erase off a terminal writes nothing; FILE must exist" {
	printf 'a\nb\n' >"$T/shown"
	run -0 line-window --erase "$T/shown"
	[ "$output" = "" ]
	line-window --erase "$T/shown" >"$T/out"
	[ ! -s "$T/out" ]
	run -2 line-window --erase "$T/none"
	[ "$output" = "line-window: error: $T/none: No such file or directory" ]
}

@test "--erase of an empty FILE writes nothing, even on a terminal" {
	: >"$T/shown"
	pane "printf 'prompt> '
$(printf '%q' "$VT_BIN/line-window") --erase $(printf '%q' "$T/shown")
echo \$? >$(printf '%q' "$T/rc")
exec sleep 600"
	ended
	[ "$status" -eq 0 ]
	show 'prompt>'
	[ "$(cursor)" = "0 8" ]
}

@test "--follow ends within 2 s when its parent is SIGKILLed, after draining FILE" {
	printf 'held\n' >"$T/log"
	bash -c '"$1" --follow "$2" --save "$3" >/dev/null & echo $! >"$4"; wait' \
		_ "$VT_BIN/line-window" "$T/log" "$T/saved" "$T/lw.pid" &
	local parent=$! pid
	wait_for_content "$T/lw.pid"
	pid=$(cat "$T/lw.pid")
	wait_until 10 "held saved" grep -q held "$T/saved"
	head -c 100000 /dev/urandom >>"$T/log"
	kill -KILL "$parent"
	wait "$parent" || true
	wait_until 2 "line-window to end with its parent" gone "$pid" || {
		kill -KILL "$pid"
		return 1
	}
	cmp "$T/log" "$T/saved"
}

@test "--follow on a terminal erases its window when its parent is SIGKILLed" {
	pane "printf 'before\\n'
bash -c '\"\$1\" --follow \"\$2\" & echo \$! >\"\$3\"; wait' _ $(printf '%q ' "$VT_BIN/line-window" "$T/log" "$T/pid") &
echo \$! >$(printf '%q' "$T/parent")
wait 2>/dev/null
exec sleep 600"
	wait_for_content "$T/pid"
	printf 'line %d\n' 1 2 3 >"$T/log"
	show "$(echo before; printf 'line %d\n' 1 2 3)"
	kill -KILL "$(cat "$T/parent")"
	wait_until 2 "line-window to end with its parent" gone "$(cat "$T/pid")" || {
		kill -KILL "$(cat "$T/pid")"
		return 1
	}
	show before
	[ "$(cursor)" = "1 0" ]
}

@test "on a terminal, SIGTERM ends reading input that never makes it wait" {
	pane "printf 'before\\n'
$(printf '%q' "$VT_BIN/line-window") </dev/zero &
echo \$! >$(printf '%q' "$T/pid")
wait \$!
echo \$? >$(printf '%q' "$T/rc")
exec sleep 600"
	wait_for_content "$T/pid"
	wait_until 10 "line-window to start" running_line_window
	sleep 0.2
	kill -TERM "$(cat "$T/pid")"
	wait_until 2 "line-window to end on SIGTERM" test -s "$T/rc" || {
		kill -KILL "$(cat "$T/pid")"
		return 1
	}
	ended
	[ "$status" -eq 143 ]
}

@test "SIGTERM ends reading stdin while a pipe or socket reader stalls" {
	mkfifo "$T/out"
	exec 8<>"$T/out"
	line-window </dev/zero >"$T/out" &
	local pid=$! rc=0
	sleep 0.3
	kill -TERM "$pid"
	wait_until 2 "line-window to end on SIGTERM" gone "$pid" || {
		kill -KILL "$pid"
		return 1
	}
	wait "$pid" || rc=$?
	exec 8<&-
	[ "$rc" -eq 143 ]
	# A socket cannot be opened again non-blocking, as a pipe is.
	run -0 timeout 10 python3 -c '
import signal, socket, subprocess, sys, time
a, b = socket.socketpair()
p = subprocess.Popen([sys.argv[1]], stdin=open("/dev/zero", "rb"), stdout=a)
time.sleep(0.3)
p.send_signal(signal.SIGTERM)
print(p.wait(timeout=2))' "$VT_BIN/line-window"
	[ "$output" = 143 ]
}
