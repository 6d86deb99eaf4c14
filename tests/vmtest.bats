#!/usr/bin/env bats
# bin/vmtest, the driver: real guests under TCG from Debian's kernel.
# Few boots (each about 5 s): one-liner, --timeout, a filtered config with
# --json, a panic.  Everything else needs no VM.  Host paths the guest
# must see live under /var/tmp: the guest's /tmp is its own tmpfs.

load helpers
load fixtures/vm
bats_require_minimum_version 1.5.0

VMTEST=$VT_ROOT/bin/vmtest

setup() {
	T=$(mktemp -d /var/tmp/vt-vmtest.XXXXXX)
	: >"$T/peers"
	mkdir "$T/tmp" "$T/work"
	# vmtest's own work directories go here, so a test can see them gone.
	unset XDG_RUNTIME_DIR
	export TMPDIR=$T/tmp VMTEST_NO_UI=1
}

teardown() {
	stop_peers
	rm -rf "$T"
}

# nothing_left: no run directory and no QEMU of ours is left behind.
nothing_left() {
	[ -z "$(ls -A "$T/tmp")" ] || { ls -la "$T/tmp" >&2; return 1; }
	! pgrep -f "qemu-system.*$T/tmp" >/dev/null
}

kernel_config() {
	local k
	k=$(vm_boot_kernel) || skip "no kernel"
	cat >"$T/work/vmtest.ini" <<EOF
[target alpha]
kernel = $k
command = echo from-alpha

[target beta]
kernel = $k
command = exit 3

[target gamma]
kernel = $k
command = exit 4
EOF
}

@test "vmtest: --help's usage text is the man page's SYNOPSIS" {
	requires mandoc
	run "$VMTEST" --help
	[ "$status" -eq 0 ]
	local usage synopsis
	usage=$(sed -n '/^usage: /,/^$/p' <<<"$output" | sed '1s/^usage: //; s/^ *//; s/^vmtest/vmtest/' |
		tr -s ' \t\n' ' ' | sed 's/ $//')
	synopsis=$(MANWIDTH=200 mandoc -T ascii "$VT_ROOT/bin/vmtest.1" | col -b |
		sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | tr -s ' \t\n' ' ' | sed 's/^ //; s/ $//')
	[ "$usage" = "$synopsis" ] || { echo "usage:    $usage"; echo "synopsis: $synopsis"; return 1; }
}

@test "vmtest: the man page lints clean and documents every option" {
	requires mandoc
	run mandoc -T lint -W warning "$VT_ROOT/bin/vmtest.1"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	local opt
	for opt in $("$VMTEST" --help | grep -o -- '--[a-z-]*' | sort -u); do
		grep -q -- "Fl -${opt#--}" "$VT_ROOT/bin/vmtest.1" || { echo "undocumented: $opt"; return 1; }
	done
	grep -q '^\.Sh EXIT STATUS' "$VT_ROOT/bin/vmtest.1"
	grep -q '^\.Sh EXAMPLES' "$VT_ROOT/bin/vmtest.1"
}

@test "vmtest: usage errors exit 2" {
	run "$VMTEST" --bogus
	[ "$status" -eq 2 ]
	run "$VMTEST" -k /boot/x -c vmtest.ini -- true
	[ "$status" -eq 2 ]
	run "$VMTEST" --kargs quiet -- true
	[ "$status" -eq 2 ]
	run "$VMTEST" -f '(' -- true
	[ "$status" -eq 2 ]
	[[ "$output" == *"bad regular expression"* ]]
	run "$VMTEST" -k /boot/x
	[ "$status" -eq 2 ]
	[[ "$output" == *"empty command"* ]]
}

@test "vmtest: a bad config exits 2 naming file:line, before any VM" {
	cd "$T/work"
	printf '[target a]\nkernel = /nonexistent\ncommand = true\nbogus = 1\n' >vmtest.ini
	run --separate-stderr "$VMTEST"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"vmtest.ini:2:"* ]]
	[[ "$stderr" == *"vmtest.ini:4:"* ]]
	run --separate-stderr "$VMTEST" -c missing.ini
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"missing.ini"* ]]
	nothing_left
}

@test "vmtest: a missing kernel is 69, with a clear message" {
	run --separate-stderr "$VMTEST" -k "$T/no-such-vmlinuz" -- true
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"no-such-vmlinuz: No such file"* ]]
	[[ "$stderr" == *"could not start the VM"* ]]
	nothing_left
}

@test "vmtest: no target left after --filter: nothing runs, 0" {
	kernel_config
	cd "$T/work"
	run "$VMTEST" -f nomatch
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "vmtest -k: output, the host's environment and cwd, the exit status" {
	vm_requires
	cd "$T/work"
	echo "host file" >here.txt
	VT_VAR="from the host" run --separate-stderr "$VMTEST" -k "$(vm_boot_kernel)" -- \
		'echo "var=$VT_VAR"; cat here.txt; pwd; uname -r; echo to-stderr >&2; exit 12'
	[ "$status" -eq 12 ]
	[ "${lines[0]}" = "=> $(basename "$(vm_boot_kernel)")" ]
	[ "${lines[1]}" = "===> Booting" ]
	[ "${lines[2]}" = "===> Setting up VM" ]
	[ "${lines[3]}" = "===> Running command" ]
	[ "${lines[4]}" = "var=from the host" ]
	[ "${lines[5]}" = "host file" ]
	[ "${lines[6]}" = "$T/work" ]
	[ "${lines[7]}" = "$(vm_kernel_version)" ]
	[ "${lines[8]}" = FAILED ]
	[[ "$stderr" == *to-stderr* ]]
	[[ "$stderr" == *"exit code: 12"* ]]
	nothing_left
}

@test "vmtest --timeout: 124 and the VM is stopped" {
	vm_requires
	cd "$T/work"
	SECONDS=0
	run "$VMTEST" --timeout 2s -k "$(vm_boot_kernel)" -- sleep 100
	[ "$status" -eq 124 ]
	((SECONDS < 60))
	[[ "$output" == *"timed out"* ]]
	nothing_left
}

@test "vmtest -c -f --json: one filtered target, a JSON result line, exit 0" {
	vm_requires
	kernel_config
	cd "$T/work"
	run --separate-stderr "$VMTEST" --json -f '^al'
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	jq -e '.name == "alpha" and .status == "pass" and .exit_code == 0 and
		(.seconds.boot > 0) and (.seconds.command >= 0) and (.seconds | has("setup"))' <<<"$output"
	[[ "$stderr" == *"=> alpha"*"from-alpha"*PASS* ]]
	[[ "$stderr" != *beta* ]]
	nothing_left
}

@test "vmtest: a guest panic is 69, named, with the kernel's last lines" {
	vm_requires
	cd "$T/work"
	SECONDS=0
	run --separate-stderr "$VMTEST" -k "$(vm_boot_kernel)" --kargs rdinit=/nonexistent -- true
	[ "$status" -eq 69 ]
	((SECONDS < 60))
	[[ "$stderr" == *"panicked"*"Kernel panic"* ]]
	nothing_left
}

@test "vmtest: SIGTERM stops the VM and removes its run directory" {
	vm_requires
	cd "$T/work"
	"$VMTEST" -k "$(vm_boot_kernel)" -- sleep 100 >"$T/out" 2>"$T/err" 3>&- &
	local pid=$!
	wait_until 60 "the command to start" grep -q 'Running command' "$T/out"
	sleep 0.5
	kill -TERM "$pid"
	wait_for_gone "$pid" 15
	run wait "$pid"
	[ "$status" -eq 143 ]
	nothing_left
}
