# helpers.bash: what every bats file shares.  Each test gets its own
# directory ($T); every peer a test starts is recorded there and stopped in
# teardown, and a peer that will not stop fails the test.

VT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VT_BIN=${VT_BIN:-$VT_ROOT/build/bin}
VT_TESTBIN=${VT_TESTBIN:-$VT_ROOT/build/tests}
VT_FUZZBIN=${VT_FUZZBIN:-$VT_ROOT/build/fuzz}
PATH=$VT_BIN:$PATH

# A test file that needs more in its setup or teardown defines its own
# and calls these first.
helpers_setup() {
	T=$(mktemp -d "${BATS_TEST_TMPDIR:-${TMPDIR:-/tmp}}/vt.XXXXXX")
	: >"$T/peers"
}
setup() { helpers_setup; }

helpers_teardown() {
	stop_peers
	rm -rf "$T"
}
teardown() { helpers_teardown; }

# requires BIN...: skips the test, naming what is missing.
requires() {
	local bin
	for bin in "$@"; do
		command -v "$bin" >/dev/null ||
			skip "$bin is not installed (make deps installs it)"
	done
}

# mount_ns_requires: skips unless in_mount_ns can run here: root, unshare,
# and a mount namespace whose mounts reach no other.
mount_ns_requires() {
	[ "$(id -u)" -eq 0 ] || skip "a mount namespace needs root"
	requires unshare findmnt
	unshare -m true 2>/dev/null && return 0
	# A chroot whose / is no mount point (a fresh root's) cannot have its
	# mounts made private; they stay ours if none is shared to begin with.
	! findmnt -rno PROPAGATION | grep -q shared ||
		skip "no private mount namespace: / is no mount point here, and mounts are shared"
}

# in_mount_ns CMD...: CMD in a mount namespace of its own, where what it
# mounts stays (see mount_ns_requires).
in_mount_ns() {
	if unshare -m true 2>/dev/null; then
		unshare -m "$@"
	else
		unshare -m --propagation=unchanged "$@"
	fi
}

# wait_until SECONDS WHAT CMD...: polls CMD every 0.1 s until it succeeds,
# or fails the test naming WHAT.
wait_until() {
	local tenths=$(( $1 * 10 )) what=$2
	shift 2
	until "$@"; do
		(( tenths-- > 0 )) || { echo "timed out waiting for $what" >&2; return 1; }
		sleep 0.1
	done
}

wait_for_path() { wait_until "${2:-10}" "$1" test -e "$1"; }
wait_for_content() { wait_until "${2:-10}" "output in $1" test -s "$1"; }
wait_for_gone() { wait_until "${2:-10}" "process $1 to exit" not_running "$1"; }
not_running() { ! kill -0 "$1" 2>/dev/null; }

# start_peer NAME CMD...: runs CMD in the background as a peer to stop later.
start_peer() {
	local name=$1
	shift
	"$@" >"$T/$name.out" 2>"$T/$name.err" </dev/null &
	echo "$! $name" >>"$T/peers"
}

# stop_peers: TERM every peer, and fail if one is still there after 5 s.
stop_peers() {
	local pid name tenths hung=
	[ -f "$T/peers" ] || return 0
	while read -r pid name; do
		kill "$pid" 2>/dev/null || continue
		tenths=50
		while kill -0 "$pid" 2>/dev/null; do
			if (( tenths-- == 0 )); then
				kill -9 "$pid" 2>/dev/null
				hung="$hung $name($pid)"
				break
			fi
			sleep 0.1
		done
	done <"$T/peers"
	: >"$T/peers"
	if [ -n "$hung" ]; then
		echo "peers did not stop on SIGTERM:$hung" >&2
		return 1
	fi
}

# start_qemu: a guest-less QEMU whose QMP socket is $T/qmp.sock.
start_qemu() {
	requires qemu-system-x86_64
	start_peer qemu qemu-system-x86_64 -M none -nodefaults -display none \
		-qmp "unix:$T/qmp.sock,server=on,wait=off" "$@"
	wait_for_path "$T/qmp.sock"
}

# start_fake_peer SCRIPT: a peer on $T/fake.sock that runs the bash SCRIPT
# for each connection, with the client on its stdin and stdout.
start_fake_peer() {
	requires socat
	printf '%s\n' "$1" >"$T/fake-peer.sh"
	start_peer fake socat "UNIX-LISTEN:$T/fake.sock,fork" "EXEC:bash $T/fake-peer.sh"
	wait_for_path "$T/fake.sock"
}


# The agent RPCs that would act on the host when qemu-ga runs here.
QGA_BLOCKED=guest-shutdown,guest-suspend-disk,guest-suspend-ram,guest-suspend-hybrid,guest-set-time,guest-fsfreeze-freeze,guest-fsfreeze-freeze-list,guest-fsfreeze-thaw,guest-set-vcpus,guest-set-memory-blocks,guest-set-user-password,guest-ssh-add-authorized-keys,guest-ssh-remove-authorized-keys

# start_qga [MORE_BLOCKED_RPCS]: the host's qemu-ga on $T/qga.sock, with
# its own state directory and the host-changing RPCs blocked.  qemu-ga
# exits 0 when it fails to start, so ready means socket AND process.
start_qga() {
	requires qemu-ga
	mkdir -p "$T/qga-state"
	start_peer qga env QGA_CONF=/nonexistent qemu-ga -m unix-listen \
		-p "$T/qga.sock" -t "$T/qga-state" -b "$QGA_BLOCKED${1:+,$1}"
	wait_for_path "$T/qga.sock"
	kill -0 "$(peer_pid qga)" || { cat "$T/qga.err" >&2; return 1; }
}

# peer_pid NAME: the pid of the peer started as NAME.
peer_pid() {
	awk -v n="$1" '$2 == n { print $1 }' "$T/peers" | tail -n 1
}
