#!/usr/bin/env bats
# qemu-launch: golden command lines for every kind of target on every
# arch, the config file's checks, --list, and real launches of
# qemu-system-x86_64 (paused with -S where no guest is needed).

load helpers
bats_require_minimum_version 1.5.0

GOLDEN=$VT_ROOT/tests/golden/qemu-launch
KINDS="kernel image-bios image-uefi"
ARCHES="x86_64 aarch64 riscv64 s390x"

# Every test gets its own XDG_RUNTIME_DIR: run directories and the KVM
# verdict land there, where the test can see them and nothing else does.
setup() {
	helpers_setup
	mkdir -m 700 "$T/xdg"
	export XDG_RUNTIME_DIR=$T/xdg
}

# golden_fixture: $T/g holds targets.ini and every file it names.
golden_fixture() {
	mkdir -p "$T/g/rootfs" "$T/g/data" "$T/g/scratch" "$T/g/odd dir:50% \"q\"=,x"
	cp "$GOLDEN/targets.ini" "$T/g/"
	echo kernel >"$T/g/vmlinuz"
	echo initrd >"$T/g/initrd.img"
	: >"$T/g/rules.ini"
	head -c 4096 /dev/zero >"$T/g/disk.raw"
	printf 'QFI\373' >"$T/g/disk.qcow2"
	for f in OVMF.fd QEMU_EFI.fd RISCV_VIRT_CODE.fd; do echo fw >"$T/g/$f"; done
	# Split firmware: each CODE with its VARS beside it.
	mkdir -p "$T/g/fw/found" "$T/g/config/qemu/firmware"
	for f in OVMF_CODE_4M OVMF_VARS_4M AAVMF_CODE AAVMF_VARS RISCV_VIRT_CODE RISCV_VIRT_VARS; do
		echo "$f" >"$T/g/fw/$f.fd"
	done
	TG=$(realpath "$T/g")
	# A firmware descriptor of the user's, which sorts before the system's:
	# what autodetection takes (names no rule would pair: the descriptor does).
	echo code >"$TG/fw/found/code.bin"
	echo vars >"$TG/fw/found/nvram.bin"
	fw_descriptor "$TG/fw/found/code.bin" "$TG/fw/found/nvram.bin" >"$TG/config/qemu/firmware/00-test.json"
	export XDG_CONFIG_HOME=$TG/config
}

# fw_descriptor CODE VARS [MACHINE [FEATURE]]: a descriptor of QEMU's
# docs/interop/firmware.json for x86_64 split flash.
fw_descriptor() {
	jq -n --arg c "$1" --arg v "$2" --arg m "${3:-pc-i440fx-*}" --arg f "${4:-acpi-s3}" '{
		"description": "a test firmware", "interface-types": ["uefi"],
		"mapping": {"device": "flash",
			"executable": {"filename": $c, "format": "raw"},
			"nvram-template": {"filename": $v, "format": "raw"}},
		"targets": [{"architecture": "x86_64", "machines": [$m]}],
		"features": [$f], "tags": []}'
}

# golden_argv NAME: the target's argv, pretty, with the fixture shown as @T@.
golden_argv() {
	local argv
	argv=$(cd "$TG" && qemu-launch --config targets.ini --target "$1" \
		--print-argv --accel tcg --rundir run) || return 1
	jq --arg t "$TG" 'map(split($t) | join("@T@"))' <<<"$argv"
}

# check_golden NAME: compares with tests/golden/qemu-launch/NAME.json, or
# writes it when VT_UPDATE_GOLDEN is set.
check_golden() {
	local got
	got=$(golden_argv "$1") || { echo "$1: qemu-launch failed" >&2; return 1; }
	if [ -n "${VT_UPDATE_GOLDEN:-}" ]; then
		printf '%s\n' "$got" >"$GOLDEN/$1.json"
		return 0
	fi
	diff -u "$GOLDEN/$1.json" - <<<"$got" || { echo "$1: argv differs from its golden" >&2; return 1; }
}

# A small file for image targets that are never booted (paused with -S).
blank_image() { head -c 65536 /dev/zero >"$T/disk.img"; }

# rundirs: what is left in our XDG_RUNTIME_DIR besides the KVM verdict.
rundirs() { find "$T/xdg" -mindepth 1 -maxdepth 1 ! -name vmtest-tools; }

now() { echo "${EPOCHREALTIME/./}"; } # microseconds

@test "--help prints usage and exits 0; --version names the tool" {
	run qemu-launch --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: qemu-launch "* ]]
	run qemu-launch --version
	[ "$status" -eq 0 ]
	[[ "$output" == "qemu-launch (vmtest-tools) "* ]]
}

@test "misuse exits 2: no target, an unknown flag, --shell alone, --detach --interactive" {
	run qemu-launch
	[ "$status" -eq 2 ]
	run qemu-launch --no-such-flag
	[ "$status" -eq 2 ]
	run qemu-launch --kernel /dev/null --shell
	[ "$status" -eq 2 ]
	run qemu-launch --kernel /dev/null --detach --interactive
	[ "$status" -eq 2 ]
	run qemu-launch --kernel /dev/null --accel fast
	[ "$status" -eq 2 ]
}

@test "golden argv: kernel targets on every arch" {
	golden_fixture
	for arch in $ARCHES; do check_golden "kernel-$arch"; done
}

@test "golden argv: image targets with BIOS on every arch" {
	golden_fixture
	for arch in $ARCHES; do check_golden "image-bios-$arch"; done
}

@test "golden argv: image targets with UEFI on every arch that has UEFI" {
	golden_fixture
	for t in x86_64 aarch64 riscv64; do check_golden "image-uefi-$t"; done
	# s390x has none: that is a configuration error, at the uefi line.
	printf '[target t]\narch = s390x\nimage = disk.qcow2\nuefi = true\n' >"$TG/s390.ini"
	run --separate-stderr qemu-launch --config "$TG/s390.ini" --print-argv --accel tcg
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"s390.ini:4: uefi: there is no UEFI for s390x"* ]]
}

@test "golden argv: a split UEFI firmware is pflash: its code read-only, a copy of its VARS in the run directory" {
	golden_fixture
	for t in x86_64 aarch64; do check_golden "image-uefi-split-$t"; done
	# The copy's path is the run directory's, as the sockets' are.
	run --separate-stderr qemu-launch --config "$TG/targets.ini" --target image-uefi-split-x86_64 --print-argv --accel tcg
	[ "$status" -eq 0 ]
	jq -e --arg d "$T/xdg/qemu-launch.XXXXXX" 'index("-bios") == null and
		.[-3] == "if=pflash,format=raw,unit=1,file=" + $d + "/uefi-vars.fd"' <<<"$output"
}

@test "a CODE file without its VARS is a configuration error that names both" {
	golden_fixture
	printf '[target t]\narch = riscv64\nimage = disk.qcow2\nuefi = true\nbios = RISCV_VIRT_CODE.fd\n' >"$TG/lone.ini"
	run --separate-stderr qemu-launch --config "$TG/lone.ini" --print-argv --accel tcg
	[ "$status" -eq 2 ]
	[ "$stderr" = "qemu-launch: error: $TG/lone.ini:5: bios: $TG/RISCV_VIRT_CODE.fd is the code of a split firmware, and its variable store $TG/RISCV_VIRT_VARS.fd is missing" ]
	rm "$TG/fw/OVMF_VARS_4M.fd"
	run --separate-stderr qemu-launch --image "$TG/disk.qcow2" --uefi --bios "$TG/fw/OVMF_CODE_4M.fd" --print-argv --accel tcg
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--bios: bios: $TG/fw/OVMF_CODE_4M.fd is the code of a split firmware, and its variable store $TG/fw/OVMF_VARS_4M.fd is missing" ]]
}

@test "golden argv: without bios, the first firmware descriptor that fits: not q35's, not one that needs SMM" {
	golden_fixture
	check_golden image-uefi-found-x86_64
	# Earlier names, passed over: q35 only, SMM, and a file that is missing.
	fw_descriptor "$TG/fw/OVMF_CODE_4M.fd" "$TG/fw/OVMF_VARS_4M.fd" 'pc-q35-*' >"$TG/config/qemu/firmware/00-a.json"
	fw_descriptor "$TG/fw/OVMF_CODE_4M.fd" "$TG/fw/OVMF_VARS_4M.fd" '*' requires-smm >"$TG/config/qemu/firmware/00-b.json"
	fw_descriptor "$TG/fw/OVMF_CODE_4M.fd" "$TG/nothing" >"$TG/config/qemu/firmware/00-c.json"
	echo '{"not": "a descriptor"' >"$TG/config/qemu/firmware/00-d.json"
	check_golden image-uefi-found-x86_64
}

@test "a given firmware takes its VARS from a descriptor; one that needs SMM is an error naming that descriptor" {
	golden_fixture
	echo code >"$TG/fw/sb.bin"
	fw_descriptor "$TG/fw/sb.bin" "$TG/fw/OVMF_VARS_4M.fd" 'pc-q35-*' requires-smm >"$TG/config/qemu/firmware/10-sb.json"
	run --separate-stderr qemu-launch --image "$TG/disk.qcow2" --uefi --bios "$TG/fw/sb.bin" --print-argv --accel tcg
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--bios: bios: $TG/fw/sb.bin needs SMM on a q35 machine (as $TG/config/qemu/firmware/10-sb.json says), and qemu-launch boots pc"* ]]
	# The same file without SMM: paired as the descriptor says.
	fw_descriptor "$TG/fw/sb.bin" "$TG/fw/OVMF_VARS_4M.fd" >"$TG/config/qemu/firmware/10-sb.json"
	printf '[target t]\narch = x86_64\nimage = disk.qcow2\nuefi = true\nbios = fw/sb.bin\n' >"$TG/sb.ini"
	run --separate-stderr qemu-launch --config "$TG/sb.ini" --list
	[ "$status" -eq 0 ]
	jq -e --arg t "$TG" '.bios == $t + "/fw/sb.bin" and .bios_vars == $t + "/fw/OVMF_VARS_4M.fd"' <<<"$output"
}

@test "without descriptors, Debian's split OVMF_CODE_4M.fd and its OVMF_VARS_4M.fd come first" {
	[ -r /usr/share/OVMF/OVMF_CODE_4M.fd ] && [ -r /usr/share/OVMF/OVMF_VARS_4M.fd ] ||
		skip "no /usr/share/OVMF/OVMF_CODE_4M.fd (make deps installs ovmf)"
	local d f
	# Every system descriptor hidden by an empty one of the user's.
	mkdir -p "$T/config/qemu/firmware"
	for d in /usr/share/qemu/firmware /etc/qemu/firmware; do
		for f in "$d"/*.json; do [ -e "$f" ] && : >"$T/config/qemu/firmware/${f##*/}"; done
	done
	blank_image
	run --separate-stderr env XDG_CONFIG_HOME="$T/config" qemu-launch --image "$T/disk.img" --uefi --print-argv --accel tcg
	[ "$status" -eq 0 ]
	jq -e '.[index("if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd")] != null' <<<"$output"
}

@test "golden argv: vm-initrd's initrd gets the control channel and, unless snapshot = false, the snapshot devices" {
	golden_fixture
	for t in x86_64 no-snapshot; do check_golden "kernel-control-$t"; done
}

@test "golden argv: gdb = true opens the gdbstub on the run's gdb.sock, adds nokaslr, and boots cold" {
	golden_fixture
	check_golden kernel-gdb
}

@test "golden argv: net = true adds the user-mode network, CCW on s390x; without it, no NIC" {
	golden_fixture
	for arch in x86_64 s390x; do check_golden "kernel-net-$arch"; done
	# Every other golden is as before: no network device at all.
	[ -z "$(grep -l -e '-netdev' -e virtio-net "$GOLDEN"/*.json | grep -v /kernel-net-)" ]
	# --net is the flag of the key; an image keeps the NIC's option ROM.
	run --separate-stderr qemu-launch --image "$TG/disk.qcow2" --arch x86_64 --net --print-argv --accel tcg
	[ "$status" -eq 0 ]
	jq -e '.[-4:] == ["-netdev", "user,id=net0", "-device", "virtio-net-pci,netdev=net0"]' <<<"$output"
	printf '[target t]\nkernel = vmlinuz\ninitrd = initrd.img\nnet = maybe\n' >"$TG/net.ini"
	run --separate-stderr qemu-launch --config "$TG/net.ini" --print-argv --accel tcg
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"net.ini:4: net: 'maybe' is not true or false"* ]]
}

@test "golden argv: another arch's kernel with vm-initrd's initrd: --arch and --rootfs to vm-initrd, the control channel" {
	[ "$(uname -m)" = x86_64 ] || skip "the goldens are for an x86_64 host: here aarch64 is this machine's arch"
	golden_fixture
	for t in aarch64 riscv64 s390x; do check_golden "kernel-control-$t"; done
}

@test "golden argv: mount paths with blanks, colons, '%', quotes, '=' and ','" {
	golden_fixture
	check_golden kernel-paths
	local argv
	argv=$(golden_argv kernel-paths)
	jq -e '.[index("-append") + 1] | endswith(" vm.mount=mount0:/mnt/odd%20dir%3A50%25:ro vm.mount=mount1:/mnt/x%3Arw")' <<<"$argv"
	jq -e '.[] | select(startswith("local,id=mount0,")) ==
		"local,id=mount0,path=@T@/odd dir:50% \"q\"=,,x,mount_tag=mount0,security_model=none,multidevs=remap,readonly=on"' <<<"$argv"
}

@test "every golden file is checked and every target has one" {
	golden_fixture
	local n=0 f
	for f in "$GOLDEN"/*.json; do
		grep -q "^\[target $(basename "$f" .json)\]" "$GOLDEN/targets.ini"
		n=$((n + 1))
	done
	[ "$n" -eq 23 ]
	[ "$(grep -c '^\[target ' "$GOLDEN/targets.ini")" -eq 23 ]
}

@test "--print-argv --shell is one line a shell reads back as the same words" {
	golden_fixture
	local name json words
	for name in kernel-x86_64 kernel-paths image-bios-x86_64 image-uefi-aarch64; do
		json=$(cd "$TG" && qemu-launch --config targets.ini --target "$name" --print-argv --accel tcg)
		line=$(cd "$TG" && qemu-launch --config targets.ini --target "$name" --print-argv --shell --accel tcg)
		eval "words=($line)"
		[ "$(printf '%s\n' "${words[@]}" | jq -R . | jq -sc .)" = "$(jq -c . <<<"$json")" ]
	done
}

@test "--print-argv starts nothing, makes nothing, and says the same twice" {
	golden_fixture
	local a b
	a=$(cd "$TG" && qemu-launch --config targets.ini --target image-bios-x86_64 --print-argv)
	b=$(cd "$TG" && qemu-launch --config targets.ini --target image-bios-x86_64 --print-argv)
	[ "$a" = "$b" ]
	# No run directory, no cached KVM verdict: the XDG dir is still empty.
	[ -z "$(ls -A "$T/xdg")" ]
	# The run directory shown is the mkdtemp template under XDG_RUNTIME_DIR.
	jq -e --arg d "$T/xdg/qemu-launch.XXXXXX" 'any(.[]; contains($d + "/qmp.sock"))' <<<"$a"
}

@test "--print-argv of a kernel target without --initrd shows vm-initrd's command, unbuilt" {
	golden_fixture
	run --separate-stderr qemu-launch --kernel "$TG/vmlinuz" --print-argv --accel tcg
	[ "$status" -eq 0 ]
	jq -e --arg k "$TG/vmlinuz" '.[index("-initrd") + 1] == "\"$(vm-initrd --kernel '"'"'" + $k + "'"'"')\""' <<<"$output"
}

@test "the kernel command line: console, quiet, vm-init's keys, then kernel_args" {
	golden_fixture
	local cmdline
	cmdline=$(golden_argv kernel-x86_64 | jq -r '.[index("-append") + 1]')
	[ "$cmdline" = "console=ttyS0,115200 loglevel=4 earlyprintk=serial,ttyS0,115200 printk.devkmsg=on panic=-1 raid=noautodetect acpi=noirq vm.root=/dev/root vm.share=vmtest-shared vm.mount=mount0:/mnt/data:ro vm.mount=mount1:/mnt/scratch nokaslr" ]
	cmdline=$(golden_argv kernel-aarch64 | jq -r '.[index("-append") + 1]')
	[[ "$cmdline" == "console=ttyAMA0,115200 loglevel=4 earlycon printk.devkmsg=on "* ]]
}

@test "vm-initrd's initrd: the mounts and vm.interactive go over a control port on control.sock, which the command line names" {
	golden_fixture
	local argv
	argv=$(cd "$TG" && qemu-launch --kernel vmlinuz --kernel-args quiet --accel tcg --rundir run \
		--mount $'data:/mnt/a b\nc\\:d' --mount scratch:/mnt/s:rw --print-argv)
	jq -e --arg t "$TG" '.[index("virtserialport,chardev=qga0,name=org.qemu.guest_agent.0") + 1:][:4] == [
		"-chardev", "socket,id=control,path=" + $t + "/run/control.sock,server=on,wait=off",
		"-device", "virtserialport,chardev=control,name=org.vmtest-tools.control.0"]' <<<"$argv"
	jq -e '.[index("-append") + 1] == "console=ttyS0,115200 loglevel=4 earlyprintk=serial,ttyS0,115200 printk.devkmsg=on panic=-1 raid=noautodetect acpi=noirq vm.root=/dev/root vm.share=vmtest-shared vm.control=org.vmtest-tools.control.0 quiet"' <<<"$argv"
	jq -e --arg t "$TG" 'any(.[]; . == "local,id=mount0,path=" + $t + "/data,mount_tag=mount0,security_model=none,multidevs=remap,readonly=on") and
		any(.[]; . == "local,id=mount1,path=" + $t + "/scratch,mount_tag=mount1,security_model=none,multidevs=remap")' <<<"$argv"
	# Interactive or not, the command line stays the same.
	[ "$(cd "$TG" && qemu-launch --kernel vmlinuz --kernel-args quiet --accel tcg --rundir run \
		--interactive --print-argv | jq -r '.[index("-append") + 1]')" = "$(jq -r '.[index("-append") + 1]' <<<"$argv")" ]
}

@test "the handoff: nothing before vm-init's hello, the save, then the run's text, a fresh time and entropy and end; ok is quiet, an error one line" {
	run "$VT_TESTBIN/handoff-peer"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "vm-initrd's initrd: a guest path of any length, as only kernel_args count against the command line" {
	local blanks
	blanks=$(printf ' %.0s' {1..2000})
	mkdir -p "$T/c"
	echo k >"$T/c/vmlinuz"
	run --separate-stderr qemu-launch --kernel "$T/c/vmlinuz" --accel tcg \
		--mount "$T/c:/mnt/b${blanks}c" --print-argv
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	bad_config "[target t]"$'\n'"kernel = vmlinuz"$'\n'"mounts = .:/mnt/b${blanks}c"$'\n'"kernel_args = ${blanks// /x}" \
		"bad.ini:4: kernel_args: the kernel command line would be " "a x86_64 kernel keeps 2047"
}

@test "flags override the config file, and add mounts and extra args" {
	golden_fixture
	run --separate-stderr qemu-launch --config "$TG/targets.ini" --target kernel-x86_64 \
		--memory 1G --num-cpus 1 --extra-arg -S --mount "$TG/rootfs:/mnt/r" --print-argv --accel tcg
	[ "$status" -eq 0 ]
	jq -e '.[index("-m") + 1] == "1G" and .[index("-smp") + 1] == "1" and .[-1] == "-S"' <<<"$output"
	jq -e '.[index("-append") + 1] | contains("vm.mount=mount0:/mnt/data:ro vm.mount=mount1:/mnt/r:ro vm.mount=mount2:/mnt/scratch")' <<<"$output"
}

@test "paths with commas survive QEMU's option syntax" {
	mkdir -p "$T/a,b"
	echo k >"$T/a,b/vmlinuz"
	run --separate-stderr qemu-launch --kernel "$T/a,b/vmlinuz" --initrd "$T/a,b/vmlinuz" \
		--share "$T/a,b" --print-argv --accel tcg
	[ "$status" -eq 0 ]
	jq -e 'any(.[]; test("^local,id=shared,path=.*/a,,b,mount_tag=vmtest-shared"))' <<<"$output"
}

@test "any byte but NUL in a mount's paths: -virtfs gets the host path, the kernel command line the guest path encoded" {
	local host guest line words w i vm= virtfs=
	# A quote, a backslash, a blank, '=', ',', a newline, Latin-1 bytes
	# (0xA0 is a blank to the kernel), and a '%' that looks like an escape.
	host=$T/$(printf 'h "q" \\ =,\n\351\240 %%41')
	guest=$(printf '/mnt/g "q" \\ =,\n\351\240 %%41:ro')
	mkdir -p "$host"
	echo k >"$T/vmlinuz"
	# The flag escapes what would split it: every '\' and ':'.
	esc() { local v=${1//\\/\\\\}; printf '%s' "${v//:/\\:}"; }
	line=$(qemu-launch --kernel "$T/vmlinuz" --initrd "$T/vmlinuz" --accel tcg \
		--mount "$(esc "$host"):$(esc "$guest"):rw" --print-argv --shell)
	eval "words=($line)"
	for ((i = 0; i < ${#words[@]}; i++)); do
		[ "${words[i]}" != -append ] || vm=${words[i + 1]}
		[[ "${words[i]}" != local,id=mount0,* ]] || virtfs=${words[i]}
	done
	[ "$virtfs" = "local,id=mount0,path=${host//,/,,},mount_tag=mount0,security_model=none,multidevs=remap" ]
	# One word, printable ASCII; decoded, the guest path as it was.
	w=$(tr ' ' '\n' <<<"$vm" | grep '^vm\.mount=')
	[ "$w" = "vm.mount=mount0:/mnt/g%20%22q%22%20%5C%20=,%0A%E9%A0%20%2541%3Aro" ]
	w=${w#vm.mount=mount0:}
	[ "$(printf '%b' "${w//%/\\x}" | od -An -tx1)" = "$(printf '%s' "$guest" | od -An -tx1)" ]
	# JSON carries text: the Latin-1 bytes are U+FFFD, and no word is lost.
	run --separate-stderr qemu-launch --kernel "$T/vmlinuz" --initrd "$T/vmlinuz" --accel tcg \
		--mount "$(esc "$host"):$(esc "$guest")" --print-argv
	[ "$status" -eq 0 ]
	jq -e --argjson n "${#words[@]}" 'length == $n and
		any(.[]; startswith("local,id=mount0,") and contains("\n\ufffd\ufffd %41,"))' <<<"$output"
}

@test "mounts: escapes, the mode at the very end, and what is wrong with them named" {
	mkdir -p "$T/c/a:b" "$T/c/x\\y"
	echo k >"$T/c/vmlinuz"
	printf '%s\n' '[target t]' 'kernel = vmlinuz' 'initrd = vmlinuz' \
		'mounts = a:b:/mnt/1' 'mounts = a\:b:/mnt/2\:rw' 'mounts = x\\y:/mnt/3\x20:rw' >"$T/c/ok.ini"
	run --separate-stderr qemu-launch --config "$T/c/ok.ini" --list
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	jq -e --arg t "$T/c" '.mounts == [
		{"host": ($t + "/a:b"), "guest": "/mnt/1", "writable": false},
		{"host": ($t + "/a:b"), "guest": "/mnt/2:rw", "writable": false},
		{"host": ($t + "/x\\y"), "guest": "/mnt/3 ", "writable": true}]' <<<"$output"
	bad_config $'[target t]\nkernel = vmlinuz\nmounts = x\\y:/mnt\nmounts = a:b:/m\\x00\nmounts = /mnt\nmounts = a\\:b:relative:rw' \
		"bad.ini:3: mounts: 'x\\y:/mnt': a backslash escapes ':' (\\:), itself (\\\\) or a byte (\\xHH)" \
		"bad.ini:4: mounts: 'a:b:/m\\x00': \\x00 would be a NUL byte" \
		"bad.ini:5: mounts: '/mnt': not HOST:GUEST[:rw|:ro]" \
		"bad.ini:6: mounts: guest path 'relative' must be absolute"
}

@test "an initrd of the user's: a kernel command line longer than the arch keeps is a configuration error naming the mount" {
	local blanks
	blanks=$(printf ' %.0s' {1..700})
	mkdir -p "$T/c"
	echo k >"$T/c/vmlinuz"
	# 700 blanks are 2100 bytes encoded: past x86_64's 2047.
	run --separate-stderr qemu-launch --kernel "$T/c/vmlinuz" --initrd "$T/c/vmlinuz" --accel tcg \
		--mount "$T/c:/mnt/a" --mount "$T/c:/mnt/b${blanks}c" --print-argv
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == *"--mount: mounts: guest path '/mnt/b    "*"...' takes 2127 bytes of the kernel command line, encoded, which makes it "*" bytes long; a x86_64 kernel keeps 2047"* ]]
	# In a file, at its line; kernel_args when the mounts fit.
	bad_config "[target t]"$'\n'"kernel = vmlinuz"$'\n'"initrd = vmlinuz"$'\n'"mounts = .:/mnt/b${blanks}c" \
		"bad.ini:4: mounts: guest path '/mnt/b " "a x86_64 kernel keeps 2047"
	bad_config "[target t]"$'\n'"kernel = vmlinuz"$'\n'"initrd = vmlinuz"$'\n'"arch = riscv64"$'\n'"kernel_args = ${blanks// /x}" \
		"bad.ini:5: kernel_args: the kernel command line would be " "a riscv64 kernel keeps 511"
	# Just under the limit is fine.
	run --separate-stderr qemu-launch --kernel "$T/c/vmlinuz" --initrd "$T/c/vmlinuz" --accel tcg \
		--mount "$T/c:/mnt/b${blanks:0:550}c" --print-argv
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
}

# bad_config TEXT EXPECTED...: writes TEXT as $T/c/bad.ini, expects exit 2
# and each EXPECTED text in stderr, and nothing on stdout.
bad_config() {
	local text=$1 e
	shift
	mkdir -p "$T/c"
	echo k >"$T/c/vmlinuz"
	echo i >"$T/c/disk.img"
	printf '%s\n' "$text" >"$T/c/bad.ini"
	run --separate-stderr qemu-launch --config "$T/c/bad.ini" --list
	[ "$status" -eq 2 ] || { echo "status $status: $stderr"; return 1; }
	[ -z "$output" ]
	for e in "$@"; do
		[[ "$stderr" == *"$e"* ]] || { printf 'expected: %s\nstderr: %s\n' "$e" "$stderr"; return 1; }
	done
}

@test "config errors name file:line: kernel and image both set" {
	bad_config $'[target t]\nkernel = vmlinuz\nimage = disk.img' \
		"bad.ini:3: Target 't' specified both 'image' and 'kernel' (kernel is set at $T/c/bad.ini:2)"
}

@test "config errors name file:line: uefi without image" {
	bad_config $'[target t]\nkernel = vmlinuz\nuefi = true' "bad.ini:3: Target 't' must specify 'image' with 'uefi'"
}

@test "config errors name file:line: bios without uefi" {
	bad_config $'[target t]\nimage = disk.img\n\nbios = vmlinuz' "bad.ini:4: Target 't' cannot specify a bios without setting 'uefi'"
}

@test "config errors name file:line: kernel_args without kernel" {
	bad_config $'[target t]\nimage = disk.img\nkernel_args = quiet' "bad.ini:3: Target 't' must specify 'kernel' with 'kernel_args'"
}

@test "config errors name file:line: a missing file, relative to the config's directory" {
	bad_config $'[target t]\nkernel = nope' "bad.ini:2: kernel: $T/c/nope: No such file or directory"
}

@test "config errors name file:line: unknown keys, sections and lines" {
	bad_config $'[target t]\nkernel = vmlinuz\nkernal = x\n[targets u]\n[target v]\nimage = disk.img\njunk\nmemory = lots' \
		"bad.ini:3: unknown key 'kernal'" \
		"bad.ini:4: unknown section [targets u]" \
		"bad.ini:7: expected KEY = VALUE" \
		"bad.ini:8: memory: 'lots' is not a size"
}

@test "config errors name file:line: keys set twice, targets defined twice, keys outside targets" {
	bad_config $'memory = 1G\n[target t]\nkernel = vmlinuz\nkernel = vmlinuz\n[target t]' \
		"bad.ini:1: a key before the first [target NAME] section" \
		"bad.ini:4: kernel is set twice in target t (first at line 3)" \
		"bad.ini:5: target t is defined twice (first at line 2)"
}

@test "config errors name file:line: bad values of arch, num_cpus, uefi and mounts" {
	bad_config $'[target t]\nkernel = vmlinuz\narch = mips\nnum_cpus = 0\nmounts = /tmp:relative\n[target u]\nimage = disk.img\nuefi = maybe' \
		"bad.ini:3: arch: 'mips' is not x86_64, aarch64, riscv64 or s390x" \
		"bad.ini:4: num_cpus: '0' is not a number from 1 to 255" \
		"bad.ini:5: mounts: guest path 'relative' must be absolute" \
		"bad.ini:8: uefi: 'maybe' is not true or false"
}

@test "config errors name file:line: the disk's rules, backend and size" {
	bad_config $'[target t]\nkernel = vmlinuz\ndisk = rules.ini\ndisk_backend = tape\ndisk_size = huge\n[target u]\nimage = disk.img\ndisk_size = 1G\n[target v]\nimage = disk.img\ndisk = none\ndisk_backend = file:nope' \
		"bad.ini:3: disk: $T/c/rules.ini: No such file or directory" \
		"bad.ini:4: disk_backend: 'tape' is not memory, zero, pattern or file:PATH" \
		"bad.ini:5: disk_size: 'huge' is not a size" \
		"bad.ini:8: disk_size: needs disk" \
		"bad.ini:12: disk_backend: $T/c/nope: No such file or directory"
}

@test "disk_cache: durable or volatile[:MAX], with a disk; --list shows it" {
	bad_config $'[target t]\nkernel = vmlinuz\ndisk = none\ndisk_cache = flaky\n[target u]\nimage = disk.img\ndisk_cache = volatile' \
		"bad.ini:4: disk_cache: 'flaky' is not durable, volatile or volatile:MAX" \
		"bad.ini:7: disk_cache: needs disk"
	printf '[target t]\nkernel = vmlinuz\ndisk = none\ndisk_cache = volatile:512M\n' >"$T/c/ok.ini"
	run --separate-stderr qemu-launch --config "$T/c/ok.ini" --list
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	jq -e '.disk.cache == "volatile:512M"' <<<"$output"
	run --separate-stderr qemu-launch --config "$T/c/ok.ini" --disk-cache durable --list
	jq -e '.disk.cache == "durable"' <<<"$output"
}

@test "config errors name file:line: a kernel of another architecture without its rootfs or initrd" {
	local other=aarch64
	[ "$(uname -m)" != aarch64 ] || other=x86_64
	bad_config $'[target t]\nkernel = vmlinuz\narch = '"$other" \
		"bad.ini:3: arch: a kernel for $other needs rootfs (a root of that architecture, its modules in lib/modules) or initrd"
}

@test "config errors name file:line even past libinih's 200-byte lines" {
	local long
	long=$(printf 'x%.0s' {1..300})
	bad_config "[target t]"$'\n'"kernel_args = $long"$'\n'"kernel = vmlinuz"$'\n'"bogus = 1" "bad.ini:4: unknown key 'bogus'"
}

@test "flag errors name the flag" {
	run --separate-stderr qemu-launch --kernel "$T/nope" --print-argv --accel tcg
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--kernel: kernel: $T/nope: No such file or directory"* ]]
	echo i >"$T/disk.img"
	run --separate-stderr qemu-launch --image "$T/disk.img" --bios "$T/disk.img" --print-argv --accel tcg
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--bios: Target 'disk.img' cannot specify a bios without setting 'uefi'"* ]]
}

@test "--list prints every target as one JSON line, resolved" {
	golden_fixture
	run --separate-stderr qemu-launch --config "$TG/targets.ini" --list
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 23 ]
	[ "$(jq -r .name <<<"${lines[0]}")" = kernel-x86_64 ]
	jq -e --arg t "$TG" '.kind == "kernel" and .kernel == $t + "/vmlinuz" and .rootfs == "/" and
		.share == $t and .num_cpus == 2 and .memory == "4G" and .kvm_cpu_args == "host" and
		.mounts == [{"host": ($t + "/data"), "guest": "/mnt/data", "writable": false},
		            {"host": ($t + "/scratch"), "guest": "/mnt/scratch", "writable": true}] and
		.command == null and .qemu_command == "qemu-system-x86_64" and .net == false and
		.disk == {"rules": ($t + "/rules.ini"), "backend": "memory", "size": "64M",
		          "cache": "durable"}' <<<"${lines[0]}"
	jq -e '.name == "image-bios-x86_64" and .kind == "image" and .image_format == "raw" and
		.extra_args == ["-device", "virtio-rng-pci", "-name", "golden test"]' <<<"${lines[4]}"
	jq -e '.name == "image-uefi-aarch64" and .uefi == true and (.bios | endswith("/QEMU_EFI.fd"))
		and .bios_vars == null and .image_format == "qcow2"' <<<"${lines[11]}"
	jq -e --arg t "$TG" '.name == "image-uefi-split-x86_64" and .bios == $t + "/fw/OVMF_CODE_4M.fd"
		and .bios_vars == $t + "/fw/OVMF_VARS_4M.fd"' <<<"${lines[9]}"
	jq -e '.name == "kernel-net-x86_64" and .net == true' <<<"${lines[18]}"
}

@test "--list --filter: names searched with an ERE, all targets still checked; a bad one is 2" {
	golden_fixture
	run --separate-stderr qemu-launch --config "$TG/targets.ini" --list --filter 'uefi-(aarch|x86)'
	[ "$status" -eq 0 ]
	[ "$(jq -r .name <<<"$output" | paste -sd' ')" = "image-uefi-x86_64 image-uefi-aarch64" ]
	run --separate-stderr qemu-launch --config "$TG/targets.ini" --list --filter '^nothing$'
	[ "$status" -eq 0 ] && [ -z "$output" ]
	run --separate-stderr qemu-launch --config "$TG/targets.ini" --list --filter 'a('
	[ "$status" -eq 2 ] && [[ "$stderr" == *"--filter: bad regular expression: a("* ]]
	printf '[target good]\ncommand = true\nkernel = %s/vmlinuz\n[target bad]\nkernel = /nonexistent\n' "$TG" >"$T/two.ini"
	run --separate-stderr qemu-launch --config "$T/two.ini" --list --filter good
	[ "$status" -eq 2 ] && [[ "$stderr" == *"two.ini:5:"*"/nonexistent"* ]]
	run --separate-stderr qemu-launch --kernel "$TG/vmlinuz" --print-argv --filter x
	[ "$status" -eq 2 ] && [[ "$stderr" == *"--filter goes with --list"* ]]
}

@test "stdout that cannot be written is 71, named: --list, --print-argv, --shell" {
	golden_fixture
	run bash -c 'qemu-launch --config "$1/targets.ini" --list >/dev/full' _ "$TG"
	[ "$status" -eq 71 ]
	[[ "$output" == "qemu-launch: error: stdout: No space left on device" ]]
	run bash -c 'cd "$1" && qemu-launch --config targets.ini --target image-bios-x86_64 --print-argv --accel tcg >/dev/full' _ "$TG"
	[ "$status" -eq 71 ]
	[[ "$output" == "qemu-launch: error: stdout: No space left on device" ]]
	run bash -c 'cd "$1" && qemu-launch --config targets.ini --target image-bios-x86_64 --print-argv --shell --accel tcg >/dev/full' _ "$TG"
	[ "$status" -eq 71 ]
	[[ "$output" == "qemu-launch: error: stdout: No space left on device" ]]
}

@test "--list keeps a multi-line command and a command with ';'" {
	mkdir -p "$T/c"
	echo k >"$T/c/vmlinuz"
	printf '[target t]\nkernel = vmlinuz\ncommand = make ; make check\n  echo done\n' >"$T/c/l.ini"
	run --separate-stderr qemu-launch --config "$T/c/l.ini" --list
	[ "$status" -eq 0 ]
	[ "$(jq -r .command <<<"$output")" = $'make ; make check\necho done' ]
}

@test "target names: blanks inside, the quoted form; --list and --target carry them as they are" {
	local weird=$'a]b "q" \\ \t\n\u00e9\U0001F600'
	mkdir -p "$T/c"
	printf 'QFI\373' >"$T/c/disk.qcow2"
	echo fw >"$T/c/OVMF.fd"
	cat >"$T/c/names.ini" <<-'EOF'
	[target uefi image boots]
	image = disk.qcow2
	uefi = true
	bios = OVMF.fd
	[target   spaced	out  ]
	image = disk.qcow2
	[target "a]b \"q\" \\ \t\n\u00e9\U0001F600"]
	image = disk.qcow2
	[target "  outer  "]
	image = disk.qcow2
	[target say "hi"]
	image = disk.qcow2
	EOF
	run --separate-stderr qemu-launch --config "$T/c/names.ini" --list
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	jq -se --arg w "$weird" 'map(.name) == ["uefi image boots", "spaced\tout", $w, "  outer  ", "say \"hi\""]' <<<"$output"
	run --separate-stderr qemu-launch --config "$T/c/names.ini" --target "uefi image boots" --print-argv --accel tcg
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	jq -e --arg fw "$T/c/OVMF.fd" '.[index("-bios") + 1] == $fw' <<<"$output"
	for name in "$weird" "  outer  " 'say "hi"'; do
		run --separate-stderr qemu-launch --config "$T/c/names.ini" --target "$name" --print-argv --accel tcg
		[ "$status" -eq 0 ] || { echo "$name: $stderr"; return 1; }
	done
	run --separate-stderr qemu-launch --config "$T/c/names.ini" --target outer --print-argv --accel tcg
	[ "$status" -eq 2 ]
}

@test "config errors name file:line: target names empty, unclosed, badly escaped, not UTF-8, or twice" {
	bad_config "$(printf '%s\n' '[target]' '[target ""]' '[target "a"b]' '[target "abc]' '[target "a\q"]' \
		'[target "\u12"]' '[target "\uD800"]' '[target "\u0000"]' '[target a]b]' '[target a b]' '[target "a b"]' \
		$'[target \xff]' $'[target a\x01b]' $'[target "\x01"]')" \
		"bad.ini:1: [target] needs a name" \
		'bad.ini:2: target name "": empty' \
		'bad.ini:3: target name "a"b: text after the closing quote' \
		'bad.ini:4: target name "abc: the quote is not closed' \
		'bad.ini:5: target name "a\q": a backslash escapes \" \\ \b \t \n \f \r \uXXXX or \UXXXXXXXX' \
		'bad.ini:6: target name "\u12": \u takes 4 hex digits, \U 8' \
		'bad.ini:7: target name "\uD800": an escape that is not a Unicode character' \
		'bad.ini:8: target name "\u0000": a name cannot hold NUL' \
		"bad.ini:9: target name a]b: a ']' needs the quoted form" \
		"bad.ini:11: target a b is defined twice (first at line 10)" \
		"bad.ini:12: target name "$'\xff'": not UTF-8" \
		"bad.ini:13: target name a"$'\x01'"b: a control character needs the quoted form" \
		"bad.ini:14: target name \""$'\x01'"\": a control character in a quoted name is written as an escape"
}

@test "a bogus kernel: QEMU's own error, exit 69 as QEMU exits (no timeout), nothing left" {
	requires qemu-system-x86_64
	echo 'not a kernel' >"$T/bogus"
	run --separate-stderr qemu-launch --kernel "$T/bogus" --initrd "$T/bogus" --accel tcg \
		--start-timeout 10m --detach
	[ "$status" -eq 69 ]
	[ -z "$output" ]
	# QEMU's line, as QEMU wrote it, then ours.
	grep -q '^qemu' <<<"$stderr"
	# Seen as QEMU's exit, not as the start timeout running out.
	[[ "$stderr" == *"qemu-launch: error: QEMU exited with status 1 while starting"* ]]
	[[ "$stderr" != *"did not answer"* ]]
	[ -z "$(rundirs)" ]
}

@test "a QEMU that is not installed: exit 69, nothing left" {
	blank_image
	run --separate-stderr qemu-launch --image "$T/disk.img" --qemu-command vt-no-such-qemu --accel tcg
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"vt-no-such-qemu: No such file or directory"* ]]
	[ -z "$(rundirs)" ]
}

@test "--detach: the JSON line once the sockets exist; qmp-send quit stops QEMU" {
	requires qemu-system-x86_64
	blank_image
	run --separate-stderr qemu-launch --image "$T/disk.img" --accel tcg --extra-arg -S --detach
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	local d pid
	d=$(jq -r .rundir <<<"$output")
	pid=$(jq -r .pid <<<"$output")
	echo "$pid qemu" >>"$T/peers"
	[[ "$d" == "$T/xdg/qemu-launch."* ]]
	[ "$(stat -c %a "$d")" = 700 ]
	jq -e --arg d "$d" '.qmp == $d + "/qmp.sock" and .qga == $d + "/qga.sock" and
		.serial == $d + "/serial.log" and .accel == "tcg" and .arch == "x86_64" and
		.argv[0] == "qemu-system-x86_64" and .argv[-1] == "-S"' <<<"$output"
	[ -S "$d/qmp.sock" ] && [ -S "$d/qga.sock" ] && [ -f "$d/serial.log" ]
	[ "$(cat "$d/qemu.pid")" = "$pid" ]
	[ "$(qmp-send --sock "$d/qmp.sock" query-status | jq -r .status)" = prelaunch ]
	qmp-send --sock "$d/qmp.sock" quit
	wait_until 5 "QEMU to exit" not_running_or_zombie "$pid"
	rm -rf "$d"
	[ -z "$(rundirs)" ]
}

@test "--disk: nbd-fault serves it from the run directory, QEMU attaches it, both end with quit" {
	requires qemu-system-x86_64
	blank_image
	printf '[inject-error "eio"]\nevent = request\ncommand = write\naction = error\n' >"$T/rules.ini"
	run --separate-stderr qemu-launch --image "$T/disk.img" --disk "$T/rules.ini" --disk-size 8M \
		--accel tcg --extra-arg -S --detach
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	local d pid disk
	d=$(jq -r .rundir <<<"$output")
	pid=$(jq -r .pid <<<"$output")
	disk=$(jq -r .disk.pid <<<"$output")
	echo "$pid qemu" >>"$T/peers"
	echo "$disk nbd-fault" >>"$T/peers"
	jq -e --arg d "$d" '.disk.socket == $d + "/nbd.sock" and .disk.log == $d + "/nbd-fault.log"' <<<"$output"
	[ "$(basename "$(readlink "/proc/$disk/exe")")" = nbd-fault ]
	# QEMU is connected: the node is there, 8 MiB, on nbd-fault's socket.
	qmp-send --sock "$d/qmp.sock" query-named-block-nodes |
		jq -e --arg d "$d" '.[] | select(."node-name" == "nbd0") |
			.image."virtual-size" == 8388608 and (.file | contains($d + "/nbd.sock"))'
	qmp-send --sock "$d/qmp.sock" quit
	wait_until 5 "QEMU to exit" not_running_or_zombie "$pid"
	# One connection served (--once): the server ends with QEMU's.
	wait_until 5 "nbd-fault to exit" not_running_or_zombie "$disk"
	rm -rf "$d"
	[ -z "$(rundirs)" ]
}

@test "--disk: rules nbd-fault refuses are its error, exit 69, nothing started" {
	requires qemu-system-x86_64
	blank_image
	printf '[inject-error]\nevent = nonsense\n' >"$T/rules.ini"
	run --separate-stderr qemu-launch --image "$T/disk.img" --disk "$T/rules.ini" --accel tcg --detach
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"nbd-fault: "*"nonsense"* ]]
	[[ "$stderr" == *"nbd-fault, the disk's server, exited with status 2 before it listened"* ]]
	[ -z "$output" ]
	[ -z "$(rundirs)" ]
	! pgrep -f "qemu-system.*$T/xdg" >/dev/null
}

@test "an image is never written: writes go to a qcow2 overlay in the run directory" {
	requires qemu-system-x86_64 sha256sum
	blank_image
	local before d pid
	before=$(sha256sum <"$T/disk.img")
	run --separate-stderr qemu-launch --image "$T/disk.img" --accel tcg --extra-arg -S --detach
	[ "$status" -eq 0 ]
	d=$(jq -r .rundir <<<"$output")
	pid=$(jq -r .pid <<<"$output")
	echo "$pid qemu" >>"$T/peers"
	# The disk as the guest sees it takes the write and reads it back.
	qmp-send --sock "$d/qmp.sock" --hmp 'qemu-io disk0 "write -P 0xab 0 4k"'
	qmp-send --sock "$d/qmp.sock" --hmp 'qemu-io disk0 "read -P 0xab 0 4k"'
	[ "$(cat /proc/"$pid"/environ | tr '\0' '\n' | grep '^TMPDIR=')" = "TMPDIR=$d" ]
	qmp-send --sock "$d/qmp.sock" quit
	wait_until 5 "QEMU to exit" not_running_or_zombie "$pid"
	grep -q 'read 4096/4096 bytes at offset 0' "$d/qemu.err"
	! grep -q 'Pattern verification failed' "$d/qemu.err"
	[ "$(sha256sum <"$T/disk.img")" = "$before" ]
	rm -rf "$d"
}

# A detached QEMU is reparented when we exit; until its new parent reaps
# it, it may linger as a zombie.
not_running_or_zombie() {
	! kill -0 "$1" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

@test "--rundir: an existing empty directory is used and kept, a new one made" {
	requires qemu-system-x86_64
	blank_image
	mkdir "$T/mine"
	run --separate-stderr qemu-launch --image "$T/disk.img" --accel tcg --extra-arg -S --rundir "$T/mine" --detach
	[ "$status" -eq 0 ]
	echo "$(jq -r .pid <<<"$output") qemu" >>"$T/peers"
	[ "$(jq -r .rundir <<<"$output")" = "$(realpath "$T/mine")" ]
	qmp-send --sock "$T/mine/qmp.sock" quit
	# Not empty now: refused.
	run --separate-stderr qemu-launch --image "$T/disk.img" --accel tcg --rundir "$T/mine" --detach
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"not an empty directory"* ]]
}

@test "--disk in the foreground, in the caller's run directory: all it made is gone at the end" {
	requires qemu-system-x86_64
	blank_image
	mkdir "$T/mine"
	qemu-launch --image "$T/disk.img" --disk none --accel tcg --extra-arg -S \
		--rundir "$T/mine" >"$T/out" 2>"$T/err" 3>&- &
	local pid=$! disk
	echo "$pid qemu-launch" >>"$T/peers"
	wait_for_content "$T/out" 20
	disk=$(jq -r .disk.pid "$T/out")
	[ -S "$T/mine/nbd.sock" ] && [ -s "$T/mine/nbd-fault.pid" ]
	qmp-send --sock "$T/mine/qmp.sock" quit
	wait_for_gone "$pid" 10
	run wait "$pid"
	[ "$status" -eq 0 ] || { cat "$T/err"; return 1; }
	wait_until 5 "nbd-fault to exit" not_running_or_zombie "$disk"
	[ -z "$(ls -A "$T/mine")" ] || { ls -la "$T/mine"; return 1; }
}

@test "foreground: QEMU's exit 0 is ours, and the run directory goes" {
	requires qemu-system-x86_64
	blank_image
	qemu-launch --image "$T/disk.img" --accel tcg --extra-arg -S >"$T/fg.json" 2>"$T/fg.err" &
	local ql=$!
	wait_for_content "$T/fg.json"
	local d
	d=$(jq -r .rundir "$T/fg.json")
	[ -d "$d" ]
	qmp-send --sock "$d/qmp.sock" quit
	wait "$ql"
	[ ! -e "$d" ]
	[ -z "$(rundirs)" ]
}

@test "foreground: SIGTERM stops QEMU, exits 143 and leaves nothing" {
	requires qemu-system-x86_64
	blank_image
	qemu-launch --image "$T/disk.img" --accel tcg --extra-arg -S >"$T/fg.json" 2>"$T/fg.err" &
	local ql=$! pid rc=0
	wait_for_content "$T/fg.json"
	pid=$(jq -r .pid "$T/fg.json")
	kill -TERM "$ql"
	wait "$ql" || rc=$?
	[ "$rc" -eq 143 ]
	not_running "$pid"
	[ -z "$(rundirs)" ]
}

@test "foreground: a QEMU that fails later is 69, with its error" {
	requires qemu-system-x86_64
	blank_image
	qemu-launch --image "$T/disk.img" --accel tcg --extra-arg -S >"$T/fg.json" 2>"$T/fg.err" &
	local ql=$! rc=0
	wait_for_content "$T/fg.json"
	kill -KILL "$(jq -r .pid "$T/fg.json")"
	wait "$ql" || rc=$?
	[ "$rc" -eq 69 ]
	grep -q 'QEMU was killed by signal 9' "$T/fg.err"
	[ -z "$(rundirs)" ]
}

@test "--keep-rundir keeps the run directory of a foreground run" {
	requires qemu-system-x86_64
	blank_image
	qemu-launch --image "$T/disk.img" --accel tcg --extra-arg -S --keep-rundir >"$T/fg.json" 2>"$T/fg.err" &
	local ql=$! d
	wait_for_content "$T/fg.json"
	d=$(jq -r .rundir "$T/fg.json")
	qmp-send --sock "$d/qmp.sock" quit
	wait "$ql"
	[ -f "$d/serial.log" ] && [ -f "$d/qemu.err" ]
}

@test "--start-timeout: a QEMU that never opens its sockets is stopped; exit 124" {
	blank_image
	printf '#!/bin/sh\necho starting >&2\necho $$ >%s/slow.pid\nexec sleep 30\n' "$T" >"$T/slow-qemu"
	chmod +x "$T/slow-qemu"
	run --separate-stderr qemu-launch --image "$T/disk.img" --qemu-command "$T/slow-qemu" \
		--accel tcg --start-timeout 300ms --detach
	[ "$status" -eq 124 ]
	[[ "$stderr" == *"starting"* ]]
	[[ "$stderr" == *"QEMU did not answer on "*"/qmp.sock within 300ms"* ]]
	not_running "$(cat "$T/slow.pid")"
	[ -z "$(rundirs)" ]
}

# kvm_opens_here: skips unless /dev/kvm opens on x86_64 (the probe's case).
kvm_opens_here() {
	[ "$(uname -m)" = x86_64 ] || skip "the KVM probe is for x86_64 hosts"
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "no /dev/kvm to open here"
}

@test "--accel auto: a KVM that does not work means TCG, one warning, at most 5 s more" {
	requires qemu-system-x86_64
	kvm_opens_here
	blank_image
	local t0 t1 t2 t3 tcg auto d
	t0=$(now)
	run --separate-stderr qemu-launch --image "$T/disk.img" --accel tcg --extra-arg -S --detach
	t1=$(now)
	[ "$status" -eq 0 ]
	d=$(jq -r .rundir <<<"$output")
	qmp-send --sock "$d/qmp.sock" quit
	rm -rf "$d"

	t2=$(now)
	run --separate-stderr qemu-launch --image "$T/disk.img" --accel auto --extra-arg -S --detach
	t3=$(now)
	[ "$status" -eq 0 ]
	d=$(jq -r .rundir <<<"$output")
	qmp-send --sock "$d/qmp.sock" quit
	rm -rf "$d"
	if [ "$(jq -r .accel <<<"$output")" = kvm ]; then
		skip "KVM works on this machine"
	fi
	tcg=$(( (t1 - t0) / 1000 ))
	auto=$(( (t3 - t2) / 1000 ))
	echo "# tcg ${tcg} ms, auto ${auto} ms: $stderr" >&3
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "${stderr_lines[0]}" =~ ^qemu-launch:\ kvm\ does\ not\ work\ here\ \(.+\)\;\ using\ tcg$ ]]
	(( auto - tcg <= 5000 ))

	# The verdict is kept for this boot: the next run does not probe, it
	# says what the cache says.
	local verdict=$T/xdg/vmtest-tools/kvm-verdict
	grep -q "^1 $(cat /proc/sys/kernel/random/boot_id) bad " "$verdict"
	sed -i 's/ bad .*/ bad as the cache says/' "$verdict"
	run --separate-stderr qemu-launch --image "$T/disk.img" --accel auto --extra-arg -S --detach
	[ "$status" -eq 0 ]
	d=$(jq -r .rundir <<<"$output")
	qmp-send --sock "$d/qmp.sock" quit
	rm -rf "$d"
	[ "$stderr" = "qemu-launch: kvm does not work here (as the cache says); using tcg" ]
	# A verdict from another boot is not believed.
	sed -i 's/^1 [^ ]* /1 another-boot /' "$verdict"
	run --separate-stderr qemu-launch --image "$T/disk.img" --accel auto --extra-arg -S --print-argv
	[[ "$stderr" != *"as the cache says"* ]]
}

@test "--accel auto: a QEMU that dies under KVM is started again under TCG" {
	requires qemu-system-x86_64
	kvm_opens_here
	blank_image
	# A verdict that KVM works, so that auto takes it; if it really does,
	# an unknown -cpu model kills QEMU under KVM all the same.
	mkdir -m 700 "$T/xdg/vmtest-tools"
	echo "1 $(cat /proc/sys/kernel/random/boot_id) ok test" >"$T/xdg/vmtest-tools/kvm-verdict"
	run --separate-stderr qemu-launch --image "$T/disk.img" --kvm-cpu-args vt-no-such-cpu \
		--extra-arg -S --detach
	[ "$status" -eq 0 ]
	echo "$(jq -r .pid <<<"$output") qemu" >>"$T/peers"
	[ "$(jq -r .accel <<<"$output")" = tcg ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "${stderr_lines[0]}" == "qemu-launch: kvm does not work here (QEMU under KVM: "*"); using tcg" ]]
	qmp-send --sock "$(jq -r .qmp <<<"$output")" quit
}

@test "--accel auto: a QEMU that dies under TCG too is not KVM's fault" {
	requires qemu-system-x86_64
	kvm_opens_here
	echo 'not a kernel' >"$T/bogus"
	mkdir -m 700 "$T/xdg/vmtest-tools"
	echo "1 $(cat /proc/sys/kernel/random/boot_id) ok test" >"$T/xdg/vmtest-tools/kvm-verdict"
	run --separate-stderr qemu-launch --kernel "$T/bogus" --initrd "$T/bogus" --detach
	[ "$status" -eq 69 ]
	[[ "$stderr" != *"kvm does not work"* ]]
	grep -q '^qemu' <<<"$stderr"
	[ -z "$(rundirs)" ]
}

@test "a kernel target whose initrd vm-initrd cannot make: exit 2, nothing started" {
	requires vm-initrd
	echo 'not a kernel' >"$T/bogus"
	run --separate-stderr qemu-launch --kernel "$T/bogus" --accel tcg --detach
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"vm-initrd --kernel $T/bogus failed"* ]]
	[ -z "$(rundirs)" ]
}

@test "UEFI firmware is found in Debian's place, or its absence is a config error" {
	printf 'QFI\373' >"$T/disk.qcow2"
	run --separate-stderr qemu-launch --image "$T/disk.qcow2" --uefi --arch x86_64 --print-argv --accel tcg
	if [ -r /usr/share/OVMF/OVMF_CODE_4M.fd ] && [ -r /usr/share/OVMF/OVMF_VARS_4M.fd ]; then
		[ "$status" -eq 0 ]
		jq -e 'index("if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd") != null' <<<"$output"
	elif [ -r /usr/share/ovmf/OVMF.fd ]; then
		[ "$status" -eq 0 ]
		jq -e '.[index("-bios") + 1] == "/usr/share/ovmf/OVMF.fd"' <<<"$output"
	else
		[ "$status" -eq 2 ]
		[[ "$stderr" == *"--uefi: uefi: no UEFI firmware for x86_64 in /usr/share/OVMF/OVMF_CODE_4M.fd or the other usual places (install ovmf, or set bios)"* ]]
	fi
}

@test "--accel kvm for a foreign arch is a usage error" {
	echo i >"$T/disk.img"
	local arch=aarch64
	[ "$(uname -m)" != aarch64 ] || arch=x86_64
	run --separate-stderr qemu-launch --image "$T/disk.img" --arch "$arch" --accel kvm --print-argv
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--accel kvm: KVM runs"* ]]
}

@test "a kernel target boots with vm-initrd's initrd and the guest agent answers" {
	requires qemu-system-x86_64 vm-initrd qga-exec
	local kernel=
	for k in $(printf '%s\n' /boot/vmlinuz-* | sort -rV); do
		[ -r "$k" ] && [ -d "/lib/modules/${k#/boot/vmlinuz-}" ] && { kernel=$k; break; }
	done
	[ -n "$kernel" ] || skip "no /boot/vmlinuz-* with its modules"
	run --separate-stderr qemu-launch --kernel "$kernel" --memory 1G --detach
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	local d
	d=$(jq -r .rundir <<<"$output")
	echo "$(jq -r .pid <<<"$output") qemu" >>"$T/peers"
	run qga-exec --sock "$d/qga.sock" --wait 120 -- uname -r
	[ "$status" -eq 0 ] || { tail -20 "$d/serial.log"; return 1; }
	[ "${lines[0]}" = "${kernel#/boot/vmlinuz-}" ]
	qmp-send --sock "$d/qmp.sock" quit
}
