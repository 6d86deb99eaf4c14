#!/usr/bin/env bash
# make demo: qmp-send driving a QEMU it starts itself.  Until the driver
# lands this is a guest-less QEMU (-M none); the commands are the real ones.
set -euo pipefail
PATH=${VT_BIN:?}:$PATH
dir=$(mktemp -d "${XDG_RUNTIME_DIR:-${TMPDIR:-/tmp}}/vt-demo.XXXXXX")
qemu_pid=
cleanup() {
	[ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null && wait "$qemu_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

show() {
	printf '\n$ %s\n' "$*" | sed "s|$dir|\$RUN|g"
	"$@"
}

qemu-system-x86_64 -M none -nodefaults -display none \
	-qmp "unix:$dir/qmp.sock,server=on,wait=off" &
qemu_pid=$!
echo "Started a guest-less QEMU (pid $qemu_pid); its QMP socket is \$RUN/qmp.sock."

show qmp-send --sock "$dir/qmp.sock" --wait 5s query-status
printf '\n$ qmp-send --sock $RUN/qmp.sock query-status | jq -r .status\n'
qmp-send --sock "$dir/qmp.sock" query-status | jq -r .status
printf '\n$ printf '\''{"execute":"stop"}\\n{"execute":"cont"}\\n'\'' | qmp-send --sock $RUN/qmp.sock --events\n'
printf '{"execute":"stop"}\n{"execute":"cont"}\n' | qmp-send --sock "$dir/qmp.sock" --events
printf '\n$ qmp-send --sock $RUN/qmp.sock --hmp '\''info status'\''\n'
qmp-send --sock "$dir/qmp.sock" --hmp 'info status'
show qmp-send --sock "$dir/qmp.sock" --wait-event SHUTDOWN --match reason=host-qmp-quit quit
wait "$qemu_pid" || true
qemu_pid=
echo
echo "QEMU has exited; its run directory is removed."
