#!/usr/bin/env bats
# bin/vmtest, the driver: real guests under TCG from Debian's kernel.
# Each boot costs about 5 s: one per behaviour that needs a guest, and
# everything else without one.  Host paths the guest must see live under
# /var/tmp (the guest's /tmp is its own tmpfs), except where a test checks
# that vmtest shares a current directory under /tmp.  The terminal tests
# run vmtest in a private tmux server and read its screen.

load helpers
load fixtures/vm
load fixtures/image
bats_require_minimum_version 1.5.0

VMTEST=$VT_ROOT/bin/vmtest

setup() {
	T=$(mktemp -d /var/tmp/vt-vmtest.XXXXXX)
	: >"$T/peers"
	mkdir "$T/tmp" "$T/work"
	# vmtest's own work directories go here, so a test can see them gone.
	unset XDG_RUNTIME_DIR
	export TMPDIR=$T/tmp VMTEST_NO_UI=1 VMTEST_BINDIR=$VT_BIN
}

teardown() {
	[ ! -S "$T/tmux.sock" ] || tmux -S "$T/tmux.sock" kill-server 2>/dev/null || true
	stop_peers
	rm -rf "$T"
}

# on_terminal CMD...: runs CMD (a shell command line) in $T/work on a
# 100x40 terminal of a private tmux server, with the terminal UI on; its
# exit status lands in $T/rc.
on_terminal() {
	requires tmux
	# bash, whatever $SHELL is: dash dies of the Ctrl-C the test sends
	# before it can write the status down.
	tmux -S "$T/tmux.sock" new-session -d -x 100 -y 40 bash -c \
		"cd '$T/work' && env -u VMTEST_NO_UI -u NO_COLOR TERM=xterm $*; echo \$? >'$T/rc.tmp'; mv '$T/rc.tmp' '$T/rc'; sleep 600"
}
screen() { tmux -S "$T/tmux.sock" capture-pane -p; }
screen_has() { screen | grep -q -- "$1"; }
keys() { tmux -S "$T/tmux.sock" send-keys "$@"; }

# nothing_left: no run directory and no QEMU of ours is left behind.
nothing_left() {
	[ -z "$(ls -A "$T/tmp")" ] || { ls -la "$T/tmp" >&2; return 1; }
	! pgrep -f "qemu-system.*$T/tmp" >/dev/null
}

kernel_config() {
	local k
	k=$(vm_kernel) || skip "no kernel"
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
	# Words that are mdoc macros, such as "No", render as words.
	MANWIDTH=200 mandoc -T ascii "$VT_ROOT/bin/vmtest.1" | col -b | grep -q 'No target left after -f'
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
	run "$VMTEST" -j 0 -- true
	[ "$status" -eq 2 ]
	[[ "$output" == *"-j: not a number"* ]]
	run "$VMTEST" --timeout 5x -k /boot/x -- true
	[ "$status" -eq 2 ]
	[[ "$output" == *"--timeout: not a duration"* ]]
	run "$VMTEST" --junit /nonexistent/dir/j.xml -k /boot/x -- true
	[ "$status" -eq 2 ]
	[[ "$output" == *"--junit: cannot write /nonexistent/dir/j.xml"* ]]
	run "$VMTEST" -k /boot/x --json -
	[ "$status" -eq 2 ]
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

@test "vmtest -k: output, the host's environment and cwd, <(...), the exit status" {
	vm_requires
	cd "$T/work"
	echo "host file" >here.txt
	VT_VAR="from the host" run --separate-stderr "$VMTEST" -k "$(vm_kernel)" -- \
		'echo "var=$VT_VAR"; cat here.txt; pwd; uname -r; cat <(echo procsub); echo to-stderr >&2; exit 12'
	[ "$status" -eq 12 ]
	[ "${lines[0]}" = "=> $(basename "$(vm_kernel)")" ]
	[ "${lines[1]}" = "===> Booting" ]
	[ "${lines[2]}" = "===> Setting up VM" ]
	[ "${lines[3]}" = "===> Running command" ]
	[ "${lines[4]}" = "var=from the host" ]
	[ "${lines[5]}" = "host file" ]
	[ "${lines[6]}" = "$T/work" ]
	[ "${lines[7]}" = "$(vm_kernel_version)" ]
	[ "${lines[8]}" = procsub ]
	[ "${lines[9]}" = FAILED ]
	[[ "$stderr" == *to-stderr* ]]
	[[ "$stderr" == *"exit code: 12"* ]]
	nothing_left
}

@test "vmtest --gdb --net: how to attach said as the VM starts, a cold boot with nokaslr, eth0 up" {
	vm_requires
	cd "$T/work"
	run --separate-stderr "$VMTEST" --gdb --net --json -k "$(vm_kernel)" -- \
		'grep -o nokaslr /proc/cmdline; cat /sys/class/net/eth0/operstate'
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	# Said as the VM starts, not held back until the guest answers.
	[[ "$stderr" == *"===> Booting"*"gdb: attach with"*"===> Setting up VM"* ]] || { echo "$stderr"; return 1; }
	grep -q "^qemu-launch: gdb: attach with: gdb -ex 'target remote /.*/gdb.sock'" <<<"$stderr"
	grep -qx nokaslr <<<"$stderr"
	grep -qx up <<<"$stderr"
	jq -e '.status == "pass" and .start == "cold"' <<<"$output"
	nothing_left
}

@test "vmtest -k: output shows while the command runs; exit 0" {
	vm_requires
	cd "$T/work"
	"$VMTEST" -k "$(vm_kernel)" -- \
		"echo first; while [ ! -e '$T/work/go' ]; do sleep 0.1; done; echo second" \
		>"$T/out" 2>"$T/err" &
	local pid=$!
	wait_until 120 "the first line" grep -qx first "$T/out"
	! grep -q second "$T/out"
	touch "$T/work/go"
	wait_for_gone "$pid" 30
	run wait "$pid"
	[ "$status" -eq 0 ] || { cat "$T/err"; return 1; }
	[ "$(grep -x -e first -e second -e PASS "$T/out")" = "first"$'\n'"second"$'\n'"PASS" ]
	nothing_left
}

@test "vmtest --timeout: 124 and the VM is stopped" {
	vm_requires
	cd "$T/work"
	SECONDS=0
	run "$VMTEST" --timeout 2s -k "$(vm_kernel)" -- sleep 100
	[ "$status" -eq 124 ]
	((SECONDS < 60))
	[[ "$output" == *"timed out"* ]]
	nothing_left
}

@test "vmtest -c -f --json: two of three targets, one JSON line each, exit 1" {
	vm_requires
	kernel_config
	cd "$T/work"
	run --separate-stderr "$VMTEST" --json -f '^(al|be)'
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 2 ]
	jq -e '.name == "alpha" and .status == "pass" and .exit_code == 0 and
		.message == null and (.seconds.boot > 0) and (.seconds.command >= 0) and
		(.seconds.total >= .seconds.boot) and (.seconds | has("setup"))' <<<"${lines[0]}"
	jq -e '.name == "beta" and .status == "fail" and .exit_code == 3 and
		(.message | test("exit code: 3"))' <<<"${lines[1]}"
	[[ "$stderr" == *"=> alpha"*"from-alpha"*PASS*"=> beta"*FAILED*"=> Summary"* ]]
	[[ "$stderr" != *gamma* ]]
	nothing_left
}

@test "vmtest -j 2 --junit: vmtest.toml's targets side by side, output kept apart, a summary" {
	vm_requires
	kernel_config
	# A current directory under /tmp, which the guest sees at the same path.
	# And a vmtest user's vmtest.toml, as it is, found with no -c.
	local proj
	proj=$(mktemp -d /tmp/vt-vmtest-proj.XXXXXX)
	echo "/tmp file" >"$proj/here.txt"
	cat >"$proj/vmtest.toml" <<EOF
[[target]]
name = "alpha"
kernel = "$(vm_kernel)"
command = '''
echo from-alpha; cat here.txt'''

[[target]]
name = "beta"
kernel = "$(vm_kernel)"
command = "exit 3"

[[target]]
name = "gamma"
kernel = "$(vm_kernel)"
command = 'exit 4'
EOF
	cd "$proj"
	run --separate-stderr "$VMTEST" -j 2 --junit "$T/junit.xml"
	cd "$T"
	rm -rf "$proj"
	[ "$status" -eq 2 ] || { echo "$output"; echo "$stderr"; return 1; }
	# Each target's block is whole: its heading, its stages, its verdict
	# (give or take the machine's own warnings, a KVM that does not work).
	output=$(grep -v '^qemu-launch: ' <<<"$output")
	local stages="===> Booting"$'\n'"===> Setting up VM"$'\n'"===> Running command" block
	for block in "=> alpha"$'\n'"$stages"$'\n'"from-alpha"$'\n'"/tmp file"$'\n'PASS \
		"=> beta"$'\n'"$stages"$'\n'"Command failed with exit code: 3"$'\n'FAILED \
		"=> gamma"$'\n'"$stages"$'\n'"Command failed with exit code: 4"$'\n'FAILED; do
		[[ "$output" == *"$block"* ]] || { echo "no block: $block"; echo "$output"; return 1; }
	done
	[[ "$output" == *"=> Summary"* ]]
	grep -Eq '^ +alpha +PASS ' <<<"$output"
	grep -Eq '^ +beta +FAILED \(exit 3\) ' <<<"$output"
	python3 - "$T/junit.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
suite = ET.parse(sys.argv[1]).getroot().find("testsuite")
cases = {c.get("name"): c for c in suite.findall("testcase")}
assert sorted(cases) == ["alpha", "beta", "gamma"], cases
assert suite.get("tests") == "3" and suite.get("failures") == "2" and suite.get("errors") == "0"
assert cases["alpha"].find("failure") is None
assert "from-alpha" in cases["alpha"].find("system-out").text
assert cases["beta"].find("failure").get("message") == "Command failed with exit code: 3"
PY
	nothing_left
}

@test "vmtest: a guest panic is 69, named, with the kernel's last lines; --json says panic" {
	vm_requires
	cd "$T/work"
	SECONDS=0
	run --separate-stderr "$VMTEST" --json -k "$(vm_kernel)" --kargs rdinit=/nonexistent -- true
	[ "$status" -eq 69 ]
	((SECONDS < 60))
	[[ "$stderr" == *"panicked"*"Kernel panic"* ]]
	# The console's last lines name what failed.
	[[ "$stderr" == *"last lines:"*"Kernel panic"*"Call Trace"* ]] || { echo "$stderr"; return 1; }
	jq -e '.status == "panic" and .exit_code == 69 and (.message | test("panicked"))' <<<"$output"
	nothing_left
}

@test "vmtest: a name with blanks, a current directory under /tmp with blanks, and ro keeps it unwritten" {
	vm_requires
	local proj k
	k=$(vm_kernel)
	proj=$(mktemp -d "/tmp/vt proj: 'q'.XXXXXX")
	echo "from the host" >"$proj/here.txt"
	printf '[target my kernel]\nkernel = %s\nkernel_args = ro\ncommand = cat here.txt; pwd; touch new && echo wrote || echo refused\n' \
		"$k" >"$proj/vmtest.ini"
	cd "$proj"
	run --separate-stderr "$VMTEST" --json
	cd "$T"
	local left=no
	[ ! -e "$proj/new" ] || left=yes
	rm -rf "$proj"
	[ "$status" -eq 0 ] || { echo "$output$stderr"; return 1; }
	[ "$left" = no ]
	jq -e '.name == "my kernel" and .status == "pass"' <<<"$output"
	[[ "$stderr" == *"from the host"$'\n'"$proj"$'\n'*"refused"* ]] || { echo "$stderr"; return 1; }
	nothing_left
}

@test "vmtest: SIGTERM stops the VM and removes its run directory" {
	vm_requires
	cd "$T/work"
	"$VMTEST" -k "$(vm_kernel)" -- sleep 100 >"$T/out" 2>"$T/err" 3>&- &
	local pid=$!
	wait_until 60 "the command to start" grep -q 'Running command' "$T/out"
	sleep 0.5
	kill -TERM "$pid"
	wait_for_gone "$pid" 15
	run wait "$pid"
	[ "$status" -eq 143 ]
	nothing_left
}

# marked: the processes whose environment carries this test's mark, as
# everything vmtest starts inherits it (QEMU too).
marked() {
	grep -lsz "^VT_MARK=$T\$" /proc/[0-9]*/environ | cut -d/ -f3 | grep -vx "$$" || true
}

# nothing_left_within SECONDS: no process and no directory of the run.
nothing_left_within() {
	local tenths=$(($1 * 10))
	until [ -z "$(marked)" ] && [ -z "$(ls -A "$T/tmp")" ]; do
		if ((tenths-- == 0)); then
			[ -z "$(marked)" ] || ps -o pid,ppid,stat,args -p "$(marked | paste -sd,)" >&2
			ls -la "$T/tmp" >&2
			return 1
		fi
		sleep 0.1
	done
}

# sigkill_vmtest WHEN ARGS...: SIGKILLs vmtest once WHEN (a pattern of its
# output) shows, and expects nothing of the run left 2 s later.
sigkill_vmtest() {
	local when=$1 pid
	shift
	VT_MARK=$T "$VMTEST" "$@" >"$T/out" 2>"$T/err" 3>&- &
	pid=$!
	wait_until 120 "$when" grep -q "$when" "$T/out"
	sleep 0.5
	[ -n "$(marked)" ]
	kill -KILL "$pid"
	wait "$pid" || true
	nothing_left_within 2
}

@test "vmtest: SIGKILL while the guest boots leaves no process and no directory after 2 s" {
	vm_requires
	cd "$T/work"
	sigkill_vmtest "===> Booting" -k "$(vm_kernel)" -- sleep 60
}

@test "vmtest: SIGKILL while the command runs leaves no process and no directory after 2 s" {
	vm_requires
	cd "$T/work"
	sigkill_vmtest "^started" -k "$(vm_kernel)" -- 'echo started; sleep 60'
}

@test "vmtest: SIGKILL of its whole process group (a cancelled CI job) leaves nothing after 2 s" {
	vm_requires
	cd "$T/work"
	VT_MARK=$T setsid "$VMTEST" -k "$(vm_kernel)" -- 'echo started; sleep 60' >"$T/out" 2>"$T/err" 3>&- &
	wait_until 120 "the command" grep -q '^started' "$T/out"
	local pgid
	pgid=$(ps -o pgid= -p "$(pgrep -f "qga-exec.*$T/tmp.*bash -c" | head -n 1)" | tr -d ' ')
	kill -KILL -- "-$pgid"
	nothing_left_within 2
}

@test "vmtest -j 2: SIGKILL while both targets run leaves nothing after 2 s" {
	vm_requires
	local k
	k=$(vm_kernel)
	printf '[target one]\nkernel = %s\ncommand = sleep 60\n\n[target two three]\nkernel = %s\ncommand = sleep 60\n' \
		"$k" "$k" >"$T/work/vmtest.ini"
	cd "$T/work"
	VT_MARK=$T "$VMTEST" -j 2 >"$T/out" 2>"$T/err" 3>&- &
	local pid=$!
	two_guests() { [ "$(pgrep -fc "qemu-system.*$T/tmp")" -eq 2 ]; }
	wait_until 120 "two guests" two_guests
	kill -KILL "$pid"
	wait "$pid" || true
	nothing_left_within 2
}

@test "vmtest on a terminal: a passing target folds to PASS, output is live, Ctrl-C stops all" {
	vm_requires
	[ -x "$VT_BIN/line-window" ] || skip "line-window is not built"
	local k
	k=$(vm_kernel)
	cat >"$T/work/vmtest.ini" <<EOI
[target alpha]
kernel = $k
command = echo from-alpha

[target sleeper]
kernel = $k
command = echo started; sleep 300
EOI
	on_terminal "$VMTEST"
	# The second target's output shows live, in its window.
	wait_until 120 "the command's output on the screen" screen_has '^started$'
	screen >"$T/screen"
	# alpha folded back to its name and PASS; its stages are gone.
	[ "$(sed -n 1,2p "$T/screen")" = "=> alpha"$'\n'"PASS" ] || { cat "$T/screen"; return 1; }
	[ "$(grep -c '===> Booting' "$T/screen")" -eq 1 ]
	grep -q '^===> Running command$' "$T/screen"
	keys C-c
	wait_until 30 "vmtest to exit" test -e "$T/rc" || { screen; return 1; }
	[ "$(cat "$T/rc")" -eq 130 ] || { screen; return 1; }
	# The window's lines are shown in full before the message.
	screen | grep -A1 '^started$' | grep -q '^vmtest: interrupted'
	nothing_left
}

@test "vmtest -k K -: an interactive shell on the guest's console" {
	vm_requires
	on_terminal "$VMTEST" -k "$(vm_kernel)" -
	wait_until 120 "the guest to be ready" screen_has 'ready in'
	keys 'echo vt-$((6*7))' Enter
	wait_until 120 "the command's output" screen_has '^vt-42'
	keys 'exit' Enter
	wait_until 60 "vmtest to exit" test -e "$T/rc"
	[ "$(cat "$T/rc")" -eq 0 ] || { screen; return 1; }
	# The console is the user's: no JSON line of the tools on it.
	! screen_has '"pid":' || { screen; return 1; }
	nothing_left
}

@test "vmtest --nbd-disk: a write hits an error rule, EIO exactly there; a delay rule slows a read" {
	vm_requires
	cd "$T/work"
	cat >rules.ini <<'EOR'
[inject-error "eio"]
event = request
command = write
offset = 40960+4096
action = error
errno = EIO

[inject-error "slow"]
event = request
command = read
offset = 1M+4096
delay = 2s
EOR
	# In the guest: 16 blocks of 4 KiB from 0; the 11th (40960) fails.
	run --separate-stderr "$VMTEST" --json -k "$(vm_kernel)" --nbd-disk rules.ini --nbd-size 64M -- '
		cat /sys/block/vda/serial; echo
		dd if=/dev/zero of=/dev/vda bs=4k count=16 oflag=direct 2>&1 | grep -E "records out|error"
		dmesg | grep -m1 "I/O error, dev vda" | sed "s/^\[[ 0-9.]*\] //"
		# The block layer'"'"'s own clock: milliseconds spent reading.
		ticks() { read -r _ _ _ t _ </sys/block/vda/stat; echo "$t"; }
		s=$(ticks); dd if=/dev/vda of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null
		f=$(ticks); dd if=/dev/vda of=/dev/null bs=4k count=1 skip=256 iflag=direct 2>/dev/null
		e=$(ticks); echo "fast $((f - s)) slow $((e - f))"'
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	[[ "$stderr" == *"nbd-fault"*"error writing '/dev/vda': Input/output error"*"10+0 records out"* ]]
	[[ "$stderr" == *"I/O error, dev vda, sector 80 op 0x1:(WRITE)"* ]]
	[[ "$stderr" == *"the disk's server injected 2 faults"* ]]
	local fast slow
	read -r _ fast _ slow < <(grep '^fast ' <<<"$stderr")
	((fast < 1500 && slow >= 2000)) || { echo "fast $fast ms, slow $slow ms"; return 1; }
	jq -e '.status == "pass" and .faults == 2' <<<"$output"
	nothing_left
	! pgrep -f "nbd-fault.*$T/tmp" >/dev/null
}

@test "vmtest --nbd-disk none: what the guest writes reads back identical from the memory backend" {
	vm_requires
	cd "$T/work"
	run "$VMTEST" -k "$(vm_kernel)" --nbd-disk none --nbd-size 16M -- '
		head -c 4M /dev/urandom >/var/tmp/vt-blk.$$
		dd if=/var/tmp/vt-blk.$$ of=/dev/vda bs=1M oflag=direct 2>/dev/null
		echo 3 >/proc/sys/vm/drop_caches
		a=$(sha256sum </var/tmp/vt-blk.$$); rm -f /var/tmp/vt-blk.$$
		b=$(head -c 4M /dev/vda | sha256sum)
		echo "written $a"; echo "read $b"; [ "$a" = "$b" ]'
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[[ "$output" == *"written "*"read "* ]]
	nothing_left
}

@test "vmtest --nbd-cache volatile: a power cut loses what ext4 did not flush; a second VM finds the fsynced file and fsck clean" {
	vm_requires
	requires mkfs.ext4 fsck.ext4
	cd "$T/work"
	truncate -s 64M disk.img
	cat >cut.ini <<-EOF
	[inject-error "power cut"]
	event = request
	trigger = $T/work/cut
	once = true
	action = power-cut
	EOF
	# The guest makes the trigger file itself, through the shared root:
	# the disk's next request cuts the power, and nothing after it lands.
	run --separate-stderr "$VMTEST" -k "$(vm_kernel)" --nbd-disk cut.ini \
		--nbd-backend file:disk.img --nbd-size 64M --nbd-cache volatile -- '
		mkfs.ext4 -q /dev/vda && mkdir /tmp/d || exit 9
		# No timed journal commit: only fsync flushes.
		mount -o commit=600 /dev/vda /tmp/d || exit 9
		echo kept >/tmp/d/fsynced && sync /tmp/d/fsynced || exit 10
		echo gone >/tmp/d/unsynced
		touch cut
		sync /tmp/d 2>&1
		echo "after the cut: $?"'
	[ "$status" -eq 0 ] || { echo "$output$stderr"; return 1; }
	[[ "$stderr" == *"vmtest: the disk's server injected 1 fault"* ]] || { echo "$stderr"; return 1; }
	[[ "$output" == *"after the cut: 1"* ]]
	# Power back on: the same file as the disk of a second VM.
	run --separate-stderr "$VMTEST" -k "$(vm_kernel)" --nbd-disk none \
		--nbd-backend file:disk.img --nbd-size 64M -- '
		mkdir /tmp/d && mount /dev/vda /tmp/d || exit 9
		echo "fsynced: $(cat /tmp/d/fsynced)"
		[ -e /tmp/d/unsynced ] && echo "unsynced: $(cat /tmp/d/unsynced)"
		umount /tmp/d && fsck.ext4 -fn /dev/vda >/dev/null 2>&1; echo "fsck: $?"'
	[ "$status" -eq 0 ] || { echo "$output$stderr"; return 1; }
	[[ "$output" == *"fsynced: kept"* ]]
	[[ "$output" != *"unsynced"* ]] || { echo "$output"; return 1; }
	[[ "$output" == *"fsck: 0"* ]] || { echo "$output"; return 1; }
	nothing_left
}

@test "vmtest: image targets under SeaBIOS and UEFI, shares mounted by the agent, the image untouched" {
	image_requires uefi
	local img before
	img=$(image_path bios)
	before=$(sha256sum <"$img")
	mkdir "$T/work/data"
	echo "from the host" >"$T/work/data/host.txt"
	echo "shared" >"$T/work/shared.txt"
	cat >"$T/work/vmtest.ini" <<EOI
[target bios]
image = $img
mounts = data:/mnt/data
command = cat /mnt/vmtest/shared.txt /mnt/data/host.txt; pwd
	echo from-bios >/mnt/vmtest/bios.txt
	! touch /mnt/data/ro 2>/dev/null
	/vmtest-image/mount-boot /boot && echo x >/boot/x.txt && umount /boot

[target uefi]
image = $img
uefi = true
command = [ -d /sys/firmware/efi ] && echo efi; cat /mnt/vmtest/shared.txt
EOI
	cd "$T/work"
	run --separate-stderr "$VMTEST" -j 2 --json
	[ "$status" -eq 0 ] || { echo "$output"; echo "$stderr"; return 1; }
	jq -se 'length == 2 and all(.status == "pass" and .seconds.setup > 0)' <<<"$output"
	[[ "$stderr" == *"=> bios"*"shared"$'\n'"from the host"$'\n'"/"$'\n'PASS* ]]
	[[ "$stderr" == *"=> uefi"*"efi"$'\n'"shared"$'\n'PASS* ]]
	[ "$(cat "$T/work/bios.txt")" = from-bios ]
	[ ! -e "$T/work/data/ro" ]
	[ "$(sha256sum <"$img")" = "$before" ]
	nothing_left
}
