#!/bin/bash
# run-083.sh: nbd-fault in place of QEMU's nbd-fault-injector.py.
#
#	tests/compat/run-083.sh QEMU_SRC
#
# QEMU_SRC is an extracted QEMU source tree (apt-get source qemu), its
# tests/qemu-iotests directory, or any directory holding the two files
# nbd-fault-injector.py and 083 (and 083.out).  Nothing of it is copied
# into this repository; QEMU's files are used where they are, or from a
# scratch copy that is deleted afterwards.
#
# 1. Iotest 083's 54 cases, run here the way 083 runs them (a fresh server
#    per case, qemu-io "read 0 512", stdout and stderr merged, then 083's
#    own _filter_qemu_io and _filter_nbd from QEMU's common.filter when it
#    is there), once with the injector and once with nbd-fault; the two
#    transcripts must be identical, and equal to 083.out when it is there.
# 2. With a whole tree (check, common.rc, ../../python): QEMU's own
#    `./check -raw -nbd 083 277` in a scratch copy where
#    nbd-fault-injector.py is replaced by a shim that runs nbd-fault;
#    first with the real injector as a control.
# 3. tests/compat/wire-compare.py: the bytes a client receives from each.
#
# NBD_FAULT names the binary (default: build/bin/nbd-fault of this tree).
# Exit status 0 when everything matched.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
NBD_FAULT=${NBD_FAULT:-${VT_BIN:-$root/build/bin}/nbd-fault}
PYTHON=${PYTHON:-python3}

die() { echo "run-083: $*" >&2; exit 2; }

[ $# -eq 1 ] || die "usage: run-083.sh QEMU_SRC|DIR_WITH_083_AND_INJECTOR"
src=$(cd "$1" 2>/dev/null && pwd) || die "$1: not a directory"
if [ -f "$src/tests/qemu-iotests/083" ]; then
	iotests=$src/tests/qemu-iotests
else
	iotests=$src
fi
injector=$iotests/nbd-fault-injector.py
[ -f "$injector" ] || die "no nbd-fault-injector.py in $iotests"
[ -f "$iotests/083" ] || die "no 083 in $iotests"
[ -x "$NBD_FAULT" ] || die "$NBD_FAULT: not built (make)"
command -v qemu-io >/dev/null || die "qemu-io is not installed (qemu-utils)"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/run-083.XXXXXX")
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

failed=0

# --- 1. the cases of 083, both servers ---------------------------------

# 083's filters: QEMU's own when common.filter is there.
if [ -f "$iotests/common.filter" ]; then
	gsed() { sed "$@"; }
	# shellcheck disable=SC1091
	. "$iotests/common.filter"
	filters="QEMU's common.filter"
else
	_filter_qemu_io() { sed -e 's/qemu-io> //g'; }
	_filter_nbd() {
		sed -e '/nbd\/.*\.c:/d' -e 's#127\.0\.0\.1:[0-9]*#127.0.0.1:PORT#g' \
			-e "s#?socket=$SOCK_DIR#?socket=SOCK_DIR#g" \
			-e 's#\(foo\|PORT/\?\|.sock\): Failed to .*$#\1#'
	}
	filters="an approximation of 083's filters (no common.filter)"
fi
SOCK_DIR=$scratch/sock
TEST_DIR=$scratch
mkdir -p "$SOCK_DIR"

# one_case SERVER... -- ARGS: 083's check_disconnect, with the server
# command given.
one_case() {
	local server=() proto event when extra_args='' export_name=foo nbd_addr nbd_url pid tenths
	while [ "$1" != -- ]; do server+=("$1"); shift; done
	shift
	while true; do
		case $1 in
		--classic-negotiation) shift; extra_args=--classic-negotiation; export_name= ;;
		--tcp) shift; proto=tcp ;;
		--unix) shift; proto=unix ;;
		*) break ;;
		esac
	done
	event=$1 when=$2
	echo "=== Check disconnect $when $event ==="
	echo
	printf '[inject-error]\nevent=%s\nwhen=%s\n' "$event" "$when" >"$TEST_DIR/nbd-fault-injector.conf"
	if [ "$proto" = tcp ]; then nbd_addr=127.0.0.1:0; else nbd_addr=$SOCK_DIR/nbd.sock; fi
	rm -f "$SOCK_DIR/nbd.sock"
	echo >"$TEST_DIR/nbd-fault-injector.out"
	# shellcheck disable=SC2086
	"${server[@]}" $extra_args "$nbd_addr" "$TEST_DIR/nbd-fault-injector.conf" \
		>"$TEST_DIR/nbd-fault-injector.out" 2>&1 &
	pid=$!
	pids+=("$pid")
	tenths=100
	while ! grep -q 'Listening on ' "$TEST_DIR/nbd-fault-injector.out"; do
		(( tenths-- > 0 )) || { echo "server never listened"; return; }
		sleep 0.1
	done
	nbd_addr=$(sed -n 's/^Listening on //p' "$TEST_DIR/nbd-fault-injector.out")
	if [ "$proto" = tcp ]; then
		nbd_url="nbd+tcp://$nbd_addr/$export_name"
	else
		nbd_url="nbd+unix:///$export_name?socket=$nbd_addr"
	fi
	timeout 60 qemu-io -f raw -c "read 0 512" "$nbd_url" 2>&1 | _filter_qemu_io | _filter_nbd
	echo
	# 083 leaves the server alone; it must be gone on its own.
	tenths=50
	while kill -0 "$pid" 2>/dev/null; do
		if (( tenths-- == 0 )); then
			echo "(server still running 5 s after the client)"
			kill "$pid"
			break
		fi
		sleep 0.1
	done
	wait "$pid" 2>/dev/null
}

run_083() {
	local proto event when
	echo "QA output created by 083"
	for proto in tcp unix; do
		for event in neg1 export neg2 request reply data; do
			for when in before after; do
				one_case "$@" -- "--$proto" "$event" "$when"
			done
			case $event in
			neg1) for when in 8 16; do one_case "$@" -- "--$proto" "$event" "$when"; done ;;
			export) for when in 4 12 16; do one_case "$@" -- "--$proto" "$event" "$when"; done ;;
			neg2) for when in 8 10; do one_case "$@" -- "--$proto" "$event" "$when"; done ;;
			reply) for when in 4 8; do one_case "$@" -- "--$proto" "$event" "$when"; done ;;
			esac
		done
		for when in before 8 16 24 28 after; do
			one_case "$@" -- "--$proto" --classic-negotiation neg-classic "$when"
		done
	done
	echo "*** done"
}

echo "== 1. iotest 083's cases, with $filters"
run_083 "$PYTHON" "$injector" >"$scratch/083.injector"
run_083 "$NBD_FAULT" >"$scratch/083.nbd-fault"
if diff -u "$scratch/083.injector" "$scratch/083.nbd-fault"; then
	echo "same output as nbd-fault-injector.py: $(grep -c '^=== Check' "$scratch/083.nbd-fault") cases"
else
	echo "DIFFERENT from nbd-fault-injector.py (above: - injector, + nbd-fault)"
	failed=1
fi
if [ -f "$iotests/083.out" ]; then
	for who in injector nbd-fault; do
		if diff -u "$iotests/083.out" "$scratch/083.$who" >"$scratch/083.$who.diff"; then
			echo "$who: matches 083.out"
		else
			echo "$who: differs from 083.out:"
			cat "$scratch/083.$who.diff"
			failed=1
		fi
	done
fi

# --- 2. QEMU's own check, when the tree is whole -------------------------

if [ -f "$iotests/check" ] && [ -f "$iotests/common.rc" ]; then
	echo
	echo "== 2. QEMU's ./check -raw -nbd"
	prog() { command -v "$1" || echo /bin/false; }
	export QEMU_PROG QEMU_IMG_PROG QEMU_IO_PROG QEMU_NBD_PROG QSD_PROG
	QEMU_PROG=$(prog qemu-system-x86_64)
	QEMU_IMG_PROG=$(prog qemu-img)
	QEMU_IO_PROG=$(prog qemu-io)
	QEMU_NBD_PROG=$(prog qemu-nbd)
	QSD_PROG=$(prog qemu-storage-daemon)
	tests=(083)
	if [ -d "$iotests/../../python/qemu" ] && [ -f "$iotests/277" ]; then
		tests+=(277)
	else
		echo "(277 skipped: it needs the tree's python/ directory)"
	fi
	for who in injector nbd-fault; do
		copy=$scratch/$who
		mkdir -p "$copy/tests"
		cp -r "$iotests" "$copy/tests/qemu-iotests"
		[ -d "$iotests/../../python" ] && ln -s "$(cd "$iotests/../../python" && pwd)" "$copy/python"
		if [ "$who" = nbd-fault ]; then
			# 083 runs "$PYTHON nbd-fault-injector.py", 277 runs
			# ./nbd-fault-injector.py: a Python shim serves both.
			cat >"$copy/tests/qemu-iotests/nbd-fault-injector.py" <<-EOF
			#!/usr/bin/env python3
			import os, sys
			open("$copy/shim-used", "a").write(" ".join(sys.argv[1:]) + "\\n")
			os.execv("$NBD_FAULT", ["$NBD_FAULT"] + sys.argv[1:])
			EOF
			chmod +x "$copy/tests/qemu-iotests/nbd-fault-injector.py"
		fi
		(cd "$copy/tests/qemu-iotests" && TEST_DIR=$copy/scratch SOCK_DIR=$copy/sock \
			timeout 600 "$PYTHON" ./check -raw -nbd "${tests[@]}") >"$scratch/check.$who" 2>&1
		rc=$?
		grep -E '^(083|277) |^Passed|^Failed|^Not run|^Failures' "$scratch/check.$who" | sed "s/^/$who: /"
		if [ "$who" = nbd-fault ]; then
			if [ -s "$copy/shim-used" ]; then
				echo "nbd-fault: ran in place of the injector $(wc -l <"$copy/shim-used") times"
			else
				echo "nbd-fault: the shim was never run: check did not use nbd-fault"
				failed=1
			fi
		fi
		if [ "$rc" -ne 0 ]; then
			if [ "$who" = injector ]; then
				echo "the control run with QEMU's own injector failed: this environment cannot run ./check"
				sed -n '1,60p' "$scratch/check.$who"
				failed=1
				break
			fi
			echo "nbd-fault fails QEMU's check:"
			cat "$scratch/check.$who"
			failed=1
		fi
	done
else
	echo
	echo "== 2. skipped: $iotests has no check/common.rc (not a whole QEMU tree)"
fi

# --- 3. bytes on the wire ------------------------------------------------

echo
echo "== 3. bytes on the wire"
"$PYTHON" "$here/wire-compare.py" "$injector" "$NBD_FAULT" || failed=1

echo
if [ "$failed" -eq 0 ]; then
	echo "run-083: nbd-fault matches QEMU's nbd-fault-injector.py"
else
	echo "run-083: differences found (above)"
fi
exit "$failed"
