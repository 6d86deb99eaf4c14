# nbd-helpers.bash: what the nbd-fault tests share.  Load after helpers:
#	load helpers
#	load nbd-helpers

NBD_RAW=$VT_ROOT/tests/nbd-raw.py

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
