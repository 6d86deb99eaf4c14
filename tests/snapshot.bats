#!/usr/bin/env bats
# Snapshot boots: a kernel target's first run saves the guest at the
# handoff, later runs restore it.  One cold boot in setup_file makes the
# snapshot the restore tests share (a cache of this file's own); the
# tests that must boot cold (a changed kernel, a corrupt or foreign
# snapshot) pay one boot each.  The guest must come out of a restore as
# a fresh guest: the host's clock, its own random state and boot_id.

load helpers
load fixtures/vm
bats_require_minimum_version 1.5.0

VMTEST=$VT_ROOT/bin/vmtest

setup_file() {
	local k
	k=$(vm_kernel) || skip "no kernel"
	export SNAP_HOME=$BATS_FILE_TMPDIR/cache
	# A copy, so that one test can change the file.
	cp "$k" "$BATS_FILE_TMPDIR/vmlinuz"
	# From /, as the tests run from /var/tmp: a current directory under
	# /tmp (a clone there) would be shared as one more device, another key.
	(cd / && XDG_CACHE_HOME=$SNAP_HOME VMTEST_BINDIR=$VT_BIN VMTEST_NO_UI=1 \
		exec "$VMTEST" --json -k "$BATS_FILE_TMPDIR/vmlinuz" -- true) \
		>"$BATS_FILE_TMPDIR/first.json" 3>&-
}

setup() {
	# Not under /tmp: the guest's /tmp is its own, and a share of the
	# current directory there would be one more device, another key.
	T=$(mktemp -d "/var/tmp/vt snap.XXXXXX")
	: >"$T/peers"
	mkdir "$T/tmp"
	unset XDG_RUNTIME_DIR
	export TMPDIR=$T/tmp VMTEST_NO_UI=1 VMTEST_BINDIR=$VT_BIN \
		XDG_CACHE_HOME=$SNAP_HOME K=$BATS_FILE_TMPDIR/vmlinuz
	cd "$T"
}

# start_of FILE: the "start" of vmtest's JSON result line in FILE.
start_of() { jq -r .start "$1"; }

snapshots() { qemu-launch --snapshots | jq -r .path; }

@test "the first run boots cold and saves one snapshot" {
	[ "$(start_of "$BATS_FILE_TMPDIR/first.json")" = cold ]
	[ "$(snapshots | wc -l)" -eq 1 ]
	# Whole: no temporary file, and the checksum holds (a restore says).
	[ -z "$(find "$SNAP_HOME" -name '.tmp-*')" ]
}

@test "a second run restores it, and passes the command's exit status" {
	run --separate-stderr "$VMTEST" --json -k "$K" -- 'echo restored; exit 7'
	[ "$status" -eq 7 ]
	[ "$(jq -r .start <<<"$output")" = snapshot ]
	[ "$(jq -r .exit_code <<<"$output")" -eq 7 ]
	[ -z "$(ls -A "$T/tmp")" ]
}

@test "a restored guest runs in the current directory, a blank in its path" {
	mkdir "$T/a dir"
	cd "$T/a dir"
	run --separate-stderr "$VMTEST" --json -k "$K" -- 'pwd; echo hi >here'
	[ "$status" -eq 0 ]
	[ "$(jq -r .start <<<"$output")" = snapshot ]
	grep -qxF "$T/a dir" <<<"$stderr"
	[ "$(cat "$T/a dir/here")" = hi ]
}

@test "two restores differ in boot_id and /dev/urandom" {
	local cmd='cat /proc/sys/kernel/random/boot_id; head -c 32 /dev/urandom | od -An -tx1 | tr -d " \n"; echo'
	"$VMTEST" --json -k "$K" -- "$cmd" >"$T/one" 2>"$T/err1"
	"$VMTEST" --json -k "$K" -- "$cmd" >"$T/two" 2>"$T/err2"
	[ "$(jq -r .start "$T/one")" = snapshot ]
	[ "$(jq -r .start "$T/two")" = snapshot ]
	# With --json the command's output is on stderr.
	one=($(grep -E '^[0-9a-f-]{36}$|^[0-9a-f]{64}$' "$T/err1"))
	two=($(grep -E '^[0-9a-f-]{36}$|^[0-9a-f]{64}$' "$T/err2"))
	[ "${#one[@]}" -eq 2 ] && [ "${#two[@]}" -eq 2 ]
	[ "${one[0]}" != "${two[0]}" ]
	[ "${one[1]}" != "${two[1]}" ]
}

@test "two restores of one snapshot at once (-j 2)" {
	cat >"$T/vmtest.ini" <<EOF
[target one]
kernel = $K
command = echo from-one

[target two]
kernel = $K
command = echo from-two
EOF
	run --separate-stderr "$VMTEST" -j 2 --json
	[ "$status" -eq 0 ]
	[ "$(jq -r .start <<<"$output" | sort -u)" = snapshot ]
	[ -z "$(ls -A "$T/tmp")" ]
}

@test "two cold runs of one setup at once: both pass, one saves, the next restore" {
	# A cache of this test's own: nothing is there, not even the initrd.
	export XDG_CACHE_HOME=$T/cache
	cat >"$T/vmtest.ini" <<EOF
[target one]
kernel = $K
command = true

[target two]
kernel = $K
command = true
EOF
	run --separate-stderr "$VMTEST" -j 2 --json
	[ "$status" -eq 0 ]
	[ "$(jq -r .start <<<"$output" | sort -u)" = cold ]
	[[ $stderr != *snapshot* ]]
	[ "$(snapshots | wc -l)" -eq 1 ]
	[ -z "$(find "$T/cache" -name '.tmp-*')" ]
	run --separate-stderr "$VMTEST" -j 2 --json
	[ "$(jq -r .start <<<"$output" | sort -u)" = snapshot ]
}

@test "a restored guest has the host's time" {
	local saved guest host
	# The snapshot is old enough that a clock left as saved would show.
	saved=$(stat -c %Y "$(snapshots)")
	while (($(date +%s) - saved < 4)); do sleep 1; done
	run --separate-stderr "$VMTEST" --json -k "$K" -- 'date +%s.%N'
	[ "$status" -eq 0 ]
	[ "$(jq -r .start <<<"$output")" = snapshot ]
	host=$(date +%s.%N) guest=$(grep -E '^[0-9]+\.[0-9]+$' <<<"$stderr")
	awk -v h="$host" -v g="$guest" 'BEGIN { d = h - g; if (d < 0) d = -d; exit !(d < 2) }'
}

@test "--no-snapshot: no snapshot devices, and the cache untouched" {
	run qemu-launch --no-snapshot --kernel "$K" --print-argv
	[ "$status" -eq 0 ]
	[[ $output != *vmgenid* ]]
	[[ $output != *launch.qmp* ]]
	run qemu-launch --kernel "$K" --print-argv
	[[ $output == *vmgenid* ]]
}

@test "a corrupt snapshot falls back to a cold boot, with one warning" {
	local snap
	snap=$(snapshots)
	# A flipped byte deep in the guest's memory: only the checksum tells.
	printf '\xff' | dd of="$snap" bs=1 seek=$(( $(stat -c %s "$snap") / 2 )) conv=notrunc 2>/dev/null
	run --separate-stderr "$VMTEST" --json -k "$K" -- 'echo fine'
	[ "$status" -eq 0 ]
	[ "$(jq -r .start <<<"$output")" = cold ]
	[ "$(grep -c snapshot <<<"$stderr")" -eq 1 ]
	[[ $stderr == *corrupt* ]]
	# The cold boot saved a good one again.
	run --separate-stderr "$VMTEST" --json -k "$K" -- true
	[ "$(jq -r .start <<<"$output")" = snapshot ]
}

@test "a snapshot QEMU cannot load falls back to a cold boot, with one warning" {
	local snap
	snap=$(snapshots)
	# A whole entry (the checksum holds) around a stream of another
	# making: what a foreign QEMU's snapshot looks like to this one.
	python3 - "$snap" <<'EOF'
import struct, sys
POLY = 0xC96C5795D7870F42
tab = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ POLY if c & 1 else c >> 1
    tab.append(c)
def crc64(b):
    c = (1 << 64) - 1
    for x in b:
        c = tab[(c ^ x) & 0xff] ^ (c >> 8)
    return c ^ ((1 << 64) - 1)
stream = b"QEVM\x00\x00\x00\x03" + b"\x04not this machine" * 64
open(sys.argv[1], "wb").write(b"VTSNAP\r\n" + struct.pack("<QQQ", 1, len(stream), crc64(stream)) + stream)
EOF
	run --separate-stderr "$VMTEST" --json -k "$K" -- 'echo fine'
	[ "$status" -eq 0 ]
	[ "$(jq -r .start <<<"$output")" = cold ]
	[ "$(grep -c snapshot <<<"$stderr")" -eq 1 ]
	[[ $stderr == *"could not restore"* ]]
}

@test "a setup QEMU will not migrate warns once, then boots cold quietly" {
	# An NVMe controller cannot be migrated: QEMU refuses the save.  (Not
	# ivshmem, which blocks migration too: with it QEMU 7.2 died of
	# SIGSEGV in this test now and then, twice in some ten runs.)
	local args=(--extra-arg=-drive --extra-arg=if=none,id=nv,file=null-co://,format=raw
		--extra-arg=-device --extra-arg=nvme,drive=nv,serial=vt)
	run --separate-stderr qemu-launch --kernel "$K" --accel tcg "${args[@]}" --report "$T/r1" --run -- \
		sh -c 'exec qga-exec --sock "$QGA_SOCK" --wait 60s --pid "$QEMU_PID" --ping'
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'not saved' <<<"$stderr")" -eq 1 ]
	[[ $stderr == *"non-migratable device"*"nvme"* ]]
	run --separate-stderr qemu-launch --kernel "$K" --accel tcg "${args[@]}" --report "$T/r2" --run -- \
		sh -c 'exec qga-exec --sock "$QGA_SOCK" --wait 60s --pid "$QEMU_PID" --ping'
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(jq -rs 'first.start' "$T/r2")" = cold ]
}

@test "a kernel that changed is never served from its old snapshot" {
	local before
	before=$(snapshots)
	# Same path, same size, new content.
	printf '\x5a' | dd of="$K" bs=1 seek=$(( $(stat -c %s "$K") - 1 )) conv=notrunc 2>/dev/null
	run --separate-stderr "$VMTEST" --json -k "$K" -- true
	[ "$status" -eq 0 ]
	[ "$(jq -r .start <<<"$output")" = cold ]
	[ "$(snapshots | wc -l)" -eq 2 ]
}

@test "KVM and TCG are keyed apart: a state is restored only by its accelerator" {
	[ -w /dev/kvm ] || skip "no /dev/kvm"
	local a
	for a in kvm tcg; do
		# Started and stopped at once: the key is known when QEMU is.
		qemu-launch --kernel "$K" --accel "$a" --kvm-cpu-args max --detach >"$T/$a.json" 2>"$T/$a.err" ||
			skip "QEMU does not start under this machine's KVM: $(head -n 1 "$T/$a.err")"
		kill "$(jq -r .pid "$T/$a.json")"
	done
	[ "$(jq -r .accel "$T/kvm.json")" = kvm ]
	[ "$(jq -r .snapshot "$T/kvm.json")" != "$(jq -r .snapshot "$T/tcg.json")" ]
	# The TCG one is a snapshot the other tests made and restored.
	snapshots | grep -qxF "$(jq -r .snapshot "$T/tcg.json")"
	for a in kvm tcg; do
		wait_for_gone "$(jq -r .pid "$T/$a.json")"
		rm -rf "$(jq -r .rundir "$T/$a.json")"
	done
}

@test "--snapshots lists the cache and --clear-snapshots empties it" {
	run qemu-launch --snapshots
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -ge 1 ]
	jq -e 'has("key") and has("path") and has("bytes") and has("used")' <<<"${lines[0]}"
	run qemu-launch --clear-snapshots
	[ "$status" -eq 0 ]
	[ -z "$(qemu-launch --snapshots)" ]
	[ -z "$(ls -A "$SNAP_HOME/vmtest-tools/snapshots")" ]
	run qemu-launch --snapshots --kernel "$K"
	[ "$status" -eq 2 ]
}
