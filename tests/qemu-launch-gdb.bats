#!/usr/bin/env bats
# qemu-launch --gdb (gdb = true): QEMU's gdbstub on the run directory's
# gdb.sock, named in the ready line and as GDB_SOCK; nokaslr on a kernel's
# command line unless kernel_args say anything of kaslr; a cold boot with
# no snapshot; one line on stderr saying how to attach, before QEMU
# starts.  Debian's gdb attaches for real; the guests are paused (-S) or
# need not finish booting.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	helpers_setup
	mkdir -m 700 "$T/xdg"
	export XDG_RUNTIME_DIR=$T/xdg
	echo kernel >"$T/vmlinuz"
	: >"$T/initrd"
}

# argv ARG...: the argv of qemu-launch ARG... --print-argv, a JSON array.
argv() { qemu-launch "$@" --accel tcg --rundir "$T/rd" --print-argv; }

# cmdline ARG...: the kernel command line of that argv.
cmdline() { argv "$@" | jq -er '.[index("-append") + 1]'; }

# attach SOCK: gdb's rip through SOCK, as "rip 0x...".
attach() {
	gdb -batch -nx -ex "target remote $1" -ex 'info registers rip' 2>&1 |
		awk '$1 == "rip" { print $1, $2 }'
}

@test "--gdb: the gdbstub on the run's gdb.sock, nokaslr last but kernel_args, no snapshot devices" {
	requires jq
	run -0 argv --kernel "$T/vmlinuz" --gdb --kernel-args 'quiet'
	jq -e --arg s "$T/rd/gdb.sock" '.[index("-gdb") - 1] == "socket,id=gdb0,path=" + $s + ",server=on,wait=off" and
		.[index("-gdb") + 1] == "chardev:gdb0"' <<<"$output"
	jq -e '.[index("-append") + 1] | endswith(" nokaslr quiet")' <<<"$output"
	# vm-initrd's initrd would get snapshot boots: not with --gdb.
	jq -e 'all(.[]; contains("launch.qmp") | not) and index("vmgenid,guid=auto") == null' <<<"$output"
	# Without it, none of that.
	run -0 argv --kernel "$T/vmlinuz"
	jq -e 'index("-gdb") == null and (.[index("-append") + 1] | contains("kaslr") | not)' <<<"$output"
	jq -e 'any(.[]; contains("launch.qmp"))' <<<"$output"
}

@test "--gdb: kernel_args with a word of kaslr keep it their way, without a nokaslr of ours" {
	requires jq
	local args line
	for args in kaslr nokaslr 'quiet kaslr.disabled=0'; do
		line=$(cmdline --kernel "$T/vmlinuz" --initrd "$T/initrd" --gdb --kernel-args "$args")
		[[ "$line" == *" vm.root=/dev/root vm.share=vmtest-shared $args" ]] || { echo "$args: $line" >&2; return 1; }
	done
	# An image target has no kernel command line: the gdbstub alone.
	head -c 4096 /dev/zero >"$T/disk.raw"
	run -0 argv --image "$T/disk.raw" --gdb
	jq -e '.[index("-gdb") + 1] == "chardev:gdb0" and index("-append") == null' <<<"$output"
}

@test "--gdb with a -gdb or -s of extra_args is 2, named where it was written; without --gdb they pass" {
	requires jq
	run --separate-stderr argv --kernel "$T/vmlinuz" --gdb --extra-arg -s
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"error: --extra-arg: extra_args: '-s' is a gdbstub of its own, and QEMU keeps only one: gdb = true (--gdb) opens it on the run's gdb.sock"* ]]
	printf '[target t]\nkernel = vmlinuz\nextra_args = -name x -gdb tcp::1234\n' >"$T/t.ini"
	run --separate-stderr argv --config "$T/t.ini" --target t --gdb
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"error: $T/t.ini:3: extra_args: '-gdb' is a gdbstub of its own"* ]]
	run -0 argv --config "$T/t.ini" --target t
	jq -e '.[index("-gdb") + 1] == "tcp::1234"' <<<"$output"
}

@test "gdb = true in a config is --gdb; a value that is not a boolean names its line" {
	requires jq
	printf '[target t]\nkernel = vmlinuz\ngdb = yes\n[target u]\nkernel = vmlinuz\ngdb = maybe\n' >"$T/t.ini"
	run -0 cmdline --config "$T/t.ini" --target t
	[[ "$output" == *" nokaslr" ]]
	run --separate-stderr argv --config "$T/t.ini" --target u
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"error: $T/t.ini:6: gdb: 'maybe' is not true or false"* ]]
}

@test "--gdb --run: Debian's gdb reads a booting guest's rip through GDB_SOCK; the ready line names it; a cold start" {
	requires qemu-system-x86_64 gdb jq
	local kernel
	kernel=$(printf '%s\n' /boot/vmlinuz-* | sort -rV | head -n 1)
	[ -r "$kernel" ] || skip "no readable /boot/vmlinuz-* (make deps installs linux-image-amd64)"
	run --separate-stderr qemu-launch --kernel "$kernel" --gdb --accel tcg --report "$T/report.jsonl" \
		--run -- sh -c 'echo "$GDB_SOCK" >"$0/sock" && exec gdb -batch -nx -ex "target remote $GDB_SOCK" -ex "info registers rip"' "$T"
	[ "$status" -eq 0 ] || { echo "$stderr" >&2; return 1; }
	[[ "$output" =~ rip\ +0x[0-9a-f]+ ]]
	head -n 1 "$T/report.jsonl" >"$T/ready"
	jq -e --arg s "$(cat "$T/sock")" '.gdb == $s and .gdb == .rundir + "/gdb.sock" and
		.start == "cold" and .snapshot == null and
		(.argv[.argv | index("-append") + 1] | endswith(" nokaslr"))' "$T/ready"
	# How to attach, and what vmlinux is: Debian's bzImage has no symbols.
	[[ "$stderr" == *"qemu-launch: gdb: attach with: gdb -ex 'target remote $(cat "$T/sock")' vmlinux"* ]]
	[[ "$stderr" == *"qemu-launch: gdb: for vmlinux, name the ELF with the kernel's symbols ($kernel has none): "*"/usr/lib/debug/boot/vmlinux-${kernel#/boot/vmlinuz-} from Debian's linux-image-${kernel#/boot/vmlinuz-}-dbg"* ]]
}

@test "--gdb --interactive: the line saying how to attach comes before QEMU takes the terminal, and gdb attaches" {
	requires qemu-system-x86_64 gdb
	head -c 65536 /dev/zero >"$T/disk.img"
	qemu-launch --image "$T/disk.img" --accel tcg --gdb --extra-arg -S --interactive --rundir "$T/rd" \
		</dev/null >"$T/console" 2>"$T/err" &
	echo $! >>"$T/peers"
	local pid=$!
	wait_until 10 "QEMU's gdb.sock" test -S "$T/rd/gdb.sock"
	[ "$(head -n 1 "$T/err")" = "qemu-launch: gdb: attach with: gdb -ex 'target remote $T/rd/gdb.sock'" ]
	# Paused (-S): the CPU is at its reset vector.
	[ "$(attach "$T/rd/gdb.sock")" = "rip 0xfff0" ]
	kill -TERM "$pid"
	wait "$pid" || [ $? -eq 143 ]
	[ ! -s "$T/console" ]
}

@test "--gdb: the symbol file named is the kernel given if it is an ELF, else the vmlinux of its build tree" {
	requires qemu-system-x86_64 jq
	local kernel boot
	kernel=$(printf '%s\n' /boot/vmlinuz-* | sort -rV | head -n 1)
	[ -r "$kernel" ] || skip "no readable /boot/vmlinuz-* (make deps installs linux-image-amd64)"
	mkdir -p "$T/linux/arch/x86/boot"
	cp "$kernel" "$T/linux/arch/x86/boot/bzImage"
	cp /bin/true "$T/linux/vmlinux"
	# Paused (-S) with an empty initrd: QEMU loads the kernel, nothing runs.
	run --separate-stderr qemu-launch --kernel "$T/linux/arch/x86/boot/bzImage" --initrd "$T/initrd" \
		--gdb --accel tcg --extra-arg -S --report "$T/report.jsonl" --run -- true
	[ "$status" -eq 0 ] || { echo "$stderr" >&2; return 1; }
	[[ "$stderr" == *"gdb: attach with: gdb -ex 'target remote "*"/gdb.sock' $T/linux/vmlinux" ]]
	# The unpacked ELF, given as the kernel, is its own symbol file.
	boot=$(head -n 1 "$T/report.jsonl" | jq -er .kernel.boot)
	run --separate-stderr qemu-launch --kernel "$boot" --initrd "$T/initrd" \
		--gdb --accel tcg --extra-arg -S --run -- true
	[ "$status" -eq 0 ] || { echo "$stderr" >&2; return 1; }
	[[ "$stderr" == *"gdb: attach with: gdb -ex 'target remote "*"/gdb.sock' $boot" ]]
}
