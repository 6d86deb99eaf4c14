# nbd-helpers.bash: what the nbd-fault tests share.  Load after helpers:
#	load helpers
#	load nbd-helpers

NBD_RAW=$VT_ROOT/tests/nbd-raw.py

# A READ request of 32 MiB (cookie 1, offset 0) as nbd-raw.py's send: step
# takes it: a reply the server cannot finish while the client reads nothing.
NBD_BIG_READ=25609513000000000000000000000001000000000000000002000000

# start_nbd NAME ARG...: runs `nbd-fault ARG...` as the peer NAME and waits
# for its ready line; NBD_ADDR is then the address it printed (the real
# port for HOST:0).  Fails, showing its stderr, if the server dies first.
start_nbd() {
	local name=$1
	shift
	start_peer "$name" nbd-fault "$@"
	nbd_wait_ready "$name"
}

# nbd_wait_ready NAME: waits up to 10 s for the ready line of the peer NAME
# (plain or --log-json) and sets NBD_ADDR.
nbd_wait_ready() {
	local name=$1 pid tenths=100
	pid=$(peer_pid "$name")
	until nbd_ready_line "$name" >/dev/null; do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "nbd-fault ($name) exited before its ready line; stdout, stderr:" >&2
			cat "$T/$name.out" "$T/$name.err" >&2
			return 1
		fi
		(( tenths-- > 0 )) || { echo "timed out waiting for $name's ready line" >&2; return 1; }
		sleep 0.1
	done
	NBD_ADDR=$(nbd_ready_line "$name")
}

# nbd_ready_line NAME: the address in NAME's first stdout line, if that is
# a ready line.
nbd_ready_line() {
	local first
	[ -s "$T/$1.out" ] || return 1
	first=$(head -n 1 "$T/$1.out")
	case $first in
	'Listening on '?*) printf '%s\n' "${first#Listening on }" ;;
	'{'*'"listening"'*'}') jq -er .listening <<<"$first" ;;
	*) return 1 ;;
	esac
}

# nbd_wait_exit NAME [SECONDS]: waits (5 s by default) for the peer NAME to
# exit on its own; NBD_STATUS is then its exit status.
nbd_wait_exit() {
	local pid
	pid=$(peer_pid "$1")
	wait_for_gone "$pid" "${2:-5}" || return 1
	NBD_STATUS=0
	wait "$pid" || NBD_STATUS=$?
}

# is_tcp ADDR: ADDR is HOST:PORT rather than a socket path.
is_tcp() { [[ $1 != /* && $1 == *:* ]]; }

# nbd_uri ADDR [EXPORT]: a URI qemu and libnbd both accept.
nbd_uri() {
	if is_tcp "$1"; then
		echo "nbd://$1/${2:-}"
	else
		echo "nbd+unix:///${2:-}?socket=$1"
	fi
}

# qemu_uri ADDR [EXPORT]: the URI iotest 083 gives qemu-io.
qemu_uri() {
	if is_tcp "$1"; then
		echo "nbd+tcp://$1/${2:-}"
	else
		echo "nbd+unix:///${2:-}?socket=$1"
	fi
}

# qio URI CMD...: qemu-io on the raw image at URI, one -c per CMD, with
# stderr in stdout and a time limit, so a hang fails instead of blocking.
qio() {
	local uri=$1 args=() c
	shift
	for c; do args+=(-c "$c"); done
	timeout 60 qemu-io -f raw "${args[@]}" "$uri" 2>&1
}

# qio_outcomes URI CMD...: runs qio and prints one letter per command,
# in order: o for a command that went through, F for one that failed
# ("... failed: ..." or a pattern mismatch).
qio_outcomes() {
	qio "$@" | awk '
		/^(read|wrote|discard) [0-9]+\/[0-9]+ bytes/ { printf "o"; next }
		/failed|Pattern verification/ { printf "F" }
		END { print "" }'
}

# nbd_raw ARG...: tests/nbd-raw.py with a time limit.
nbd_raw() { timeout 60 python3 "$NBD_RAW" "$@"; }

# now_ms: a monotonic-enough clock in milliseconds.
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# rules NAME: writes stdin to $T/NAME.ini and prints the path.
rules() { cat >"$T/$1.ini"; echo "$T/$1.ini"; }

# nbd_errno_text ERRNO: what qemu-io prints for that errno.
nbd_errno_text() {
	case $1 in
	EPERM) echo "Operation not permitted" ;;
	EIO) echo "Input/output error" ;;
	ENOMEM) echo "Cannot allocate memory" ;;
	EINVAL) echo "Invalid argument" ;;
	ENOSPC) echo "No space left on device" ;;
	*) return 1 ;;
	esac
}

# check_disconnect PROTO EVENT WHEN EXPECT: one case of QEMU iotest 083.
# A fresh compatible-mode server with one [inject-error] rule, qemu-io
# reading 512 bytes from it, and EXPECT the outcome qemu-io reports: open
# ("can't open device"), eio ("read failed: Input/output error") or ok.
# The server must then have printed its match line and exited 0.
check_disconnect() {
	local proto=$1 event=$2 when=$3 expect=$4 name addr export=foo out want
	local extra=()
	name="083-$proto-$event-$when"
	printf '[inject-error]\nevent=%s\nwhen=%s\n' "$event" "$when" >"$T/$name.ini"
	if [ "$event" = neg-classic ]; then
		extra=(--classic-negotiation)
		export=
	fi
	if [ "$proto" = tcp ]; then addr=127.0.0.1:0; else addr=$T/$name.sock; fi
	start_nbd "$name" "${extra[@]}" "$addr" "$T/$name.ini"
	out=$(qio "$(qemu_uri "$NBD_ADDR" "$export")" "read 0 512") || true
	case $expect in
	open) want="can't open device" ;;
	eio) want="read failed: Input/output error" ;;
	ok) want="read 512/512 bytes at offset 0" ;;
	esac
	if [[ $out != *"$want"* ]]; then
		printf '%s %s when=%s: qemu-io should say "%s", it said:\n%s\n' \
			"$proto" "$event" "$when" "$want" "$out" >&2
		return 1
	fi
	if ! nbd_wait_exit "$name" 5; then
		echo "$proto $event when=$when: the server did not exit after its rule matched" >&2
		return 1
	fi
	if [ "$NBD_STATUS" -ne 0 ]; then
		echo "$proto $event when=$when: the server exited $NBD_STATUS, not 0" >&2
		cat "$T/$name.err" >&2
		return 1
	fi
	if [ "$(cat "$T/$name.out")" != "Listening on $NBD_ADDR"$'\n'"Closing connection on rule match inject-error" ]; then
		echo "$proto $event when=$when: unexpected server stdout:" >&2
		cat "$T/$name.out" >&2
		return 1
	fi
}

# nbd_client NAME ARG...: tests/nbd-raw.py ARG... as the peer NAME, for a
# client that stays connected while the test does something else.  Its
# steps' lines are in $T/NAME.out as they happen.
nbd_client() {
	local name=$1
	shift
	start_peer "$name" timeout 60 python3 "$NBD_RAW" "$@"
}

# nbd_term_within NAME MS: sends SIGTERM to the peer NAME and fails unless
# it is gone within MS milliseconds; NBD_STATUS is then its exit status.
nbd_term_within() {
	local pid deadline
	pid=$(peer_pid "$1")
	deadline=$(( $(now_ms) + $2 ))
	kill -TERM "$pid"
	while kill -0 "$pid" 2>/dev/null; do
		if (( $(now_ms) > deadline )); then
			echo "$1 was still there $2 ms after SIGTERM; its stderr:" >&2
			cat "$T/$1.err" >&2
			return 1
		fi
		sleep 0.05
	done
	NBD_STATUS=0
	wait "$pid" || NBD_STATUS=$?
}

# cpu_ticks PID: the CPU time PID has used, user and system, in clock
# ticks (fields 14 and 15 of /proc/PID/stat, after the command name).
cpu_ticks() {
	local stat
	stat=$(cat "/proc/$1/stat") || return 1
	stat=${stat##*) }
	awk '{ print $12 + $13 }' <<<"$stat"
}

# open_fds PID: how many file descriptors PID has open.
open_fds() { ls "/proc/$1/fd" | wc -l; }

# nbd_flood NAME ADDR N: the peer NAME opens N connections to ADDR (a Unix
# socket), prints "connected N" and holds them until it is stopped.
nbd_flood() {
	start_peer "$1" timeout 60 python3 -c '
import socket, sys, time
socks = []
for _ in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    socks.append(s)
print("connected", len(socks), flush=True)
time.sleep(60)
' "$2" "$3"
}

# fds_at_least PID N: PID has at least N file descriptors open.
fds_at_least() { [ "$(open_fds "$1")" -ge "$2" ]; }

# open_sockets PID: how many sockets PID has open.
open_sockets() { find "/proc/$1/fd" -lname 'socket:*' | wc -l; }

# sockets_below PID N: PID has fewer than N sockets open.
sockets_below() { [ "$(open_sockets "$1")" -lt "$2" ]; }
