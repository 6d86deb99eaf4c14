#!/usr/bin/env bats
# qemu-launch --config FILE.toml: a vmtest 0.18 vmtest.toml, read by
# python3's tomllib, with vmtest's keys, meanings, relative paths and
# messages (each at file:line), checked with --list and --print-argv:
# nothing boots.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	helpers_setup
	requires python3 jq
	mkdir -p "$T/proj/data" "$T/proj/scratch" "$T/elsewhere"
	echo kernel >"$T/proj/bzImage"
	head -c 65536 /dev/zero >"$T/proj/disk.img"
	echo fw >"$T/proj/OVMF.fd"
}

# toml NAME: stdin as $T/proj/NAME.toml.
toml() { cat >"$T/proj/$1.toml"; }

# list NAME: --list of $T/proj/NAME.toml, run from another directory.
list() {
	cd "$T/elsewhere" && run --separate-stderr qemu-launch --config ../proj/"$1".toml --list
}

# bad_toml EXPECTED...: --list of $T/proj/bad.toml exits 2 with nothing
# on stdout and each EXPECTED text in stderr.
bad_toml() {
	local e
	list bad
	[ "$status" -eq 2 ] || { echo "status $status: $stderr"; return 1; }
	[ -z "$output" ]
	for e in "$@"; do
		[[ "$stderr" == *"$e"* ]] || { printf 'expected: %s\nstderr: %s\n' "$e" "$stderr"; return 1; }
	done
}

@test "vmtest's docs example: a kernel target with a writable mount; relative paths from the file's directory" {
	toml vmtest <<-'EOF'
	[[target]]
	name = "test"
	kernel = "bzImage"
	command = "ls -l /tmp/hosttmp"
	[target.vm.mounts]
	"/tmp/hosttmp" = { host_path = "scratch", writable = true }
	"/mnt/data" = { host_path = "data" }
	EOF
	list vmtest
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	[ -z "$stderr" ]
	jq -e --arg p "$T/proj" '.name == "test" and .kind == "kernel" and .kernel == $p + "/bzImage" and
		.rootfs == "/" and .share == $p and .command == "ls -l /tmp/hosttmp" and
		.mounts == [{"host": ($p + "/data"), "guest": "/mnt/data", "writable": false},
		            {"host": ($p + "/scratch"), "guest": "/tmp/hosttmp", "writable": true}]' <<<"$output"
}

@test "an image with uefi, vm.bios, extra_args and kvm_cpu_args, named with blanks: its argv" {
	toml vmtest <<-'EOF'
	[[target]]
	name = "uefi image boots"
	image = "disk.img"
	uefi = true
	kvm_cpu_args = "host,pmu=on"
	command = "true"
	[target.vm]
	num_cpus = 4
	memory = "2G"
	bios = "OVMF.fd"
	extra_args = ["-device", "virtio-rng-pci", "-name", "it's \"odd\" \\ 'here'"]
	EOF
	cd "$T/elsewhere"
	run --separate-stderr qemu-launch --config ../proj/vmtest.toml --target "uefi image boots" --print-argv --accel kvm
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	jq -e --arg p "$T/proj" '.[index("-bios") + 1] == $p + "/OVMF.fd" and
		.[index("-cpu") + 1] == "host,pmu=on" and .[index("-smp") + 1] == "4" and
		.[index("-m") + 1] == "2G" and (.[index("-drive") + 1] | startswith("file=" + $p + "/disk.img,")) and
		.[-4:] == ["-device", "virtio-rng-pci", "-name", "it'\''s \"odd\" \\ '\''here'\''"]' <<<"$output"
}

@test "commands: ''' literal strings keep quotes and backslashes, multi-line strings their lines" {
	toml vmtest <<-'EOF'
	[[target]]
	name = "literal"
	kernel = "bzImage"
	command = '''this string has 'single' and "double" quotes and \back \slash\es'''

	[[target]]
	name = "lines"
	kernel = "bzImage"
	command = '''
	cd /tmp
	make -j4 check   # a comment inside the string
	'''

	[[target]]
	name = "basic"
	kernel = "bzImage"
	command = """
	echo \"a\tb\" \
	   done"""
	EOF
	list vmtest
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	[ "$(jq -r 'select(.name == "literal") | .command' <<<"$output")" = "this string has 'single' and \"double\" quotes and \\back \\slash\\es" ]
	[ "$(jq -r 'select(.name == "lines") | .command' <<<"$output")" = $'cd /tmp\nmake -j4 check   # a comment inside the string' ]
	[ "$(jq -r 'select(.name == "basic") | .command' <<<"$output")" = $'echo "a\tb" done' ]
}

@test "dotted keys and inline tables mean what the tables do" {
	toml tables <<-'EOF'
	[[target]]
	name = "t"
	kernel = "bzImage"
	command = "true"
	[target.vm]
	num_cpus = 4
	memory = "2G"
	[target.vm.mounts."/mnt/data"]
	host_path = "data"
	writable = true
	EOF
	toml dotted <<-'EOF'
	[[target]]
	name = "t"
	kernel = "bzImage"
	command = "true"
	vm.num_cpus = 4
	vm.mounts."/mnt/data".host_path = "data"
	vm.mounts."/mnt/data".writable = true
	vm.memory = "2G"
	EOF
	toml inline <<-'EOF'
	target = [ { name = "t", kernel = "bzImage", command = "true", vm = { memory = "2G", num_cpus = 4, mounts = { "/mnt/data" = { host_path = "data", writable = true } } } } ]
	EOF
	list tables
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	local want=$output
	jq -e '.num_cpus == 4 and .memory == "2G" and .mounts[0].writable' <<<"$want"
	for f in dotted inline; do
		list "$f"
		[ "$status" -eq 0 ] || { echo "$f: $stderr"; return 1; }
		[ "$output" = "$want" ] || { echo "$f: $output"; return 1; }
	done
}

@test "--list of a vmtest.toml and of the same targets as INI: the same JSON lines" {
	toml vmtest <<-'EOF'
	# Comments, blank lines and names with blanks.
	[[target]]
	name = "kernel with mounts"
	kernel = "bzImage"
	kernel_args = "nokaslr quiet"
	command = "make check"

	[target.vm]
	num_cpus = 3
	memory = "1G"
	extra_args = ["-device", "virtio-rng-pci", "-name", "golden test"]
	mounts."/mnt/data" = { host_path = "data" }
	mounts."/mnt/scratch" = { host_path = "scratch", writable = true }

	[[target]]
	name = "uefi image"
	image = "disk.img"
	uefi = true
	qemu_command = "qemu-system-x86_64"
	kvm_cpu_args = "host,pmu=on"
	command = "uname -r"
	vm = { bios = "OVMF.fd" }
	EOF
	cat >"$T/proj/vmtest.ini" <<-'EOF'
	[target kernel with mounts]
	kernel = bzImage
	kernel_args = nokaslr quiet
	command = make check
	num_cpus = 3
	memory = 1G
	extra_args = -device virtio-rng-pci -name 'golden test'
	mounts = data:/mnt/data
	mounts = scratch:/mnt/scratch:rw

	[target uefi image]
	image = disk.img
	uefi = true
	qemu_command = qemu-system-x86_64
	kvm_cpu_args = host,pmu=on
	command = uname -r
	bios = OVMF.fd
	EOF
	list vmtest
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	[ "${#lines[@]}" -eq 2 ]
	local toml_out=$output
	cd "$T/elsewhere" && run --separate-stderr qemu-launch --config ../proj/vmtest.ini --list
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	diff <(echo "$output") <(echo "$toml_out")
}

@test "every vmtest check, in vmtest's words, at file:line" {
	toml bad <<-'EOF'
	[[target]]
	name = ""
	kernel = "bzImage"
	command = "true"
	[[target]]
	name = "neither"
	command = "true"
	[[target]]
	name = "both"
	kernel = "bzImage"
	image = "disk.img"
	command = "true"
	[[target]]
	name = "uefi kernel"
	kernel = "bzImage"
	uefi = true
	command = "true"
	[[target]]
	name = "bios"
	image = "disk.img"
	command = "true"
	vm.bios = "OVMF.fd"
	[[target]]
	name = "kargs"
	image = "disk.img"
	kernel_args = "quiet"
	command = "true"
	[[target]]
	name = "empty image"
	image = ""
	command = "true"
	[[target]]
	name = "empty kernel"
	kernel = ""
	command = "true"
	[[target]]
	name = "empty command"
	kernel = "bzImage"
	command = ""
	EOF
	bad_toml "bad.toml:2: Target index=0 name empty" \
		"bad.toml:5: Target 'neither' must specify 'image' or 'kernel'" \
		"bad.toml:11: Target 'both' specified both 'image' and 'kernel' (kernel is set at ../proj/bad.toml:10)" \
		"bad.toml:16: Target 'uefi kernel' must specify 'image' with 'uefi'" \
		"bad.toml:22: Target 'bios' cannot specify a bios without setting 'uefi'" \
		"bad.toml:26: Target 'kargs' must specify 'kernel' with 'kernel_args'" \
		"bad.toml:30: Target 'empty image' has empty image path" \
		"bad.toml:34: Target 'empty kernel' has empty kernel path" \
		"bad.toml:39: Target 'empty command' has empty command"
}

@test "required fields, targets named twice, files that are not there: file:line" {
	toml bad <<-'EOF'
	[[target]]
	kernel = "bzImage"
	command = "true"
	[[target]]
	name = "t"
	kernel = "bzImage"
	[[target]]
	name = "t"
	kernel = "nope"
	command = "true"
	vm.mounts."/mnt/x" = { writable = true }
	vm.mounts."/mnt/y" = { host_path = "missing" }
	vm.mounts."/mnt/z" = { mode = "rw" }
	EOF
	bad_toml "bad.toml:1: missing field \`name\`" \
		"bad.toml:4: missing field \`command\`" \
		"bad.toml:8: target t is defined twice (first at line 4)" \
		"bad.toml:9: kernel: $T/proj/nope: No such file or directory" \
		"bad.toml:11: vm.mounts.\"/mnt/x\": missing field \`host_path\`" \
		"bad.toml:12: mounts: $T/proj/missing: No such file or directory" \
		"bad.toml:13: vm.mounts.\"/mnt/z\": missing field \`host_path\`"
}

@test "a TOML syntax error: tomllib's words at file:line, exit 2" {
	printf '[[target]]\r\nname = "t"\r\nkernel = "bzImage"\r\ncommand = true false\r\n' >"$T/proj/bad.toml"
	bad_toml "../proj/bad.toml:4: Expected newline or end of document after a statement (column 16)"
	printf '[[target]]\nname = "t"\ncommand = """\nnever closed\n' >"$T/proj/bad.toml"
	bad_toml "../proj/bad.toml:5: Unterminated string"
	printf '[[target]]\nname = "t\xff"\n' >"$T/proj/bad.toml"
	bad_toml "../proj/bad.toml:2: not UTF-8"
}

@test "wrong types: file:line and the key, as vmtest's parser refuses them" {
	toml bad <<-'EOF'
	[[target]]
	name = "t"
	image = "disk.img"
	uefi = "yes"
	command = "true"
	[target.vm]
	num_cpus = "two"
	memory = 2048
	extra_args = "x"
	mounts."/mnt/x" = { host_path = 1, writable = "rw" }
	mounts."/mnt/y" = "data"
	[[target]]
	name = "u"
	kernel = { path = "bzImage" }
	command = ["true"]
	vm = "big"
	[[target]]
	name = "v"
	kernel = "bzImage"
	command = "true"
	vm.extra_args = ["-smp", 4]
	snapshot = [false]
	EOF
	bad_toml 'bad.toml:4: uefi: invalid type: string, expected a boolean' \
		'bad.toml:7: vm.num_cpus: invalid type: string, expected an integer' \
		'bad.toml:8: vm.memory: invalid type: integer, expected a string' \
		'bad.toml:9: vm.extra_args: invalid type: string, expected an array' \
		'bad.toml:10: vm.mounts."/mnt/x".host_path: invalid type: integer, expected a string' \
		'bad.toml:10: vm.mounts."/mnt/x".writable: invalid type: string, expected a boolean' \
		'bad.toml:11: vm.mounts."/mnt/y": invalid type: string, expected a table' \
		'bad.toml:14: kernel: invalid type: table, expected a string' \
		'bad.toml:15: command: invalid type: array, expected a string' \
		'bad.toml:16: vm: invalid type: string, expected a table' \
		'bad.toml:21: vm.extra_args: item 2: invalid type, expected a string' \
		'bad.toml:22: snapshot: invalid type: array, expected a string, boolean or integer'
	printf 'target = 1\n' >"$T/proj/bad.toml"
	bad_toml 'bad.toml:1: target: invalid type: integer, expected an array of tables ([[target]])'
}

@test "unknown keys: one warning each at file:line, and the file still runs" {
	toml vmtest <<-'EOF'
	title = "not vmtest's"
	[[target]]
	name = "t"
	kernel = "bzImage"
	kernal_args = "typo"
	memory = "2G"
	command = "true"
	[target.vm]
	numcpus = 4
	mounts."/mnt/x" = { host_path = "data", mode = "rw" }
	[target.extra]
	a = 1
	b = 2
	EOF
	list vmtest
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	jq -e '.name == "t" and .memory == "4G" and .num_cpus == 2' <<<"$output"
	[ "$(grep -c 'warning: unknown key' <<<"$stderr")" -eq 6 ]
	[[ "$stderr" == *"../proj/vmtest.toml:1: warning: unknown key 'title' ignored, as vmtest ignores it"* ]]
	[[ "$stderr" == *"vmtest.toml:5: warning: unknown key 'kernal_args'"* ]]
	[[ "$stderr" == *"vmtest.toml:6: warning: unknown key 'memory' ignored, as vmtest ignores it (vmtest reads vm.memory)"* ]]
	[[ "$stderr" == *"vmtest.toml:9: warning: unknown key 'vm.numcpus'"* ]]
	[[ "$stderr" == *"vmtest.toml:10: warning: unknown key 'vm.mounts.\"/mnt/x\".mode'"* ]]
	[[ "$stderr" == *"vmtest.toml:11: warning: unknown key 'extra'"* ]]
}

@test "rootfs with an image: ignored with a warning, as vmtest ignores it (the INI file refuses it)" {
	toml vmtest <<-'EOF'
	[[target]]
	name = "t"
	image = "disk.img"
	rootfs = "nowhere"
	command = "true"
	EOF
	list vmtest
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	jq -e '.kind == "image" and .rootfs == null' <<<"$output"
	[ "$stderr" = "qemu-launch: ../proj/vmtest.toml:4: warning: rootfs is not used by an image target: ignored, as vmtest ignores it" ]
}

@test "a file without [[target]]: vmtest's missing field target, exit 2" {
	printf '# nothing\ntitle = "x"\n' >"$T/proj/bad.toml"
	bad_toml "../proj/bad.toml: missing field \`target\`"
	: >"$T/proj/bad.toml"
	bad_toml "../proj/bad.toml: missing field \`target\`"
}

@test "our own keys at the target level: snapshot, initrd, share, disk" {
	echo rules >"$T/proj/rules.ini"
	toml vmtest <<-'EOF'
	[[target]]
	name = "t"
	kernel = "bzImage"
	initrd = "bzImage"
	share = "data"
	disk = "rules.ini"
	disk_size = "64M"
	command = "true"
	[[target]]
	name = "snapshots"
	kernel = "bzImage"
	command = "true"
	[[target]]
	name = "no snapshots"
	kernel = "bzImage"
	snapshot = false
	command = "true"
	EOF
	list vmtest
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	[ -z "$stderr" ]
	jq -se --arg p "$T/proj" '.[0] | .initrd == $p + "/bzImage" and .share == $p + "/data" and
		.disk == {"rules": ($p + "/rules.ini"), "backend": "memory", "size": "64M", "cache": "durable"}' <<<"$output"
	# snapshot = false: no snapshot devices (a VM generation ID...).
	cd "$T/elsewhere"
	run --separate-stderr qemu-launch --config ../proj/vmtest.toml --target snapshots --print-argv --accel tcg
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	jq -e 'index("vmgenid,guid=auto") != null' <<<"$output"
	run --separate-stderr qemu-launch --config ../proj/vmtest.toml --target "no snapshots" --print-argv --accel tcg
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	jq -e 'index("vmgenid,guid=auto") == null' <<<"$output"
}

@test "mount paths with colons, backslashes and blanks reach QEMU as written" {
	mkdir -p "$T/proj/a:b \\c"
	toml vmtest <<-'EOF'
	[[target]]
	name = "t"
	image = "disk.img"
	command = "true"
	[target.vm.mounts]
	'/mnt/x:y \z:rw' = { host_path = 'a:b \c', writable = true }
	EOF
	list vmtest
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	jq -e --arg p "$T/proj" '.mounts == [{"host": ($p + "/a:b \\c"), "guest": "/mnt/x:y \\z:rw", "writable": true}]' <<<"$output"
}

@test "python3 is not in PATH: one error naming what to install, exit 2" {
	toml vmtest <<-'EOF'
	[[target]]
	name = "t"
	kernel = "bzImage"
	command = "true"
	EOF
	mkdir "$T/nopython"
	cd "$T/proj"
	run --separate-stderr env PATH="$T/nopython" "$VT_BIN/qemu-launch" --config vmtest.toml --list
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ "$stderr" = "qemu-launch: error: vmtest.toml: a .toml config is read by python3 (3.11 or later, for its tomllib), which is not in PATH: install python3" ]
}

@test "a python3 without tomllib (older than 3.11): one error naming the version needed, exit 2" {
	toml vmtest <<-'EOF'
	[[target]]
	name = "t"
	kernel = "bzImage"
	command = "true"
	EOF
	local real
	real=$(command -v python3)
	mkdir "$T/oldpython"
	# The real python3, with tomllib hidden as 3.10 has none.
	cat >"$T/oldpython/python3" <<-EOF
	#!/bin/sh
	exec "$real" "\$1" "\$2" "import sys; sys.modules['tomllib'] = None
	\$3" "\$4"
	EOF
	chmod +x "$T/oldpython/python3"
	cd "$T/proj"
	run --separate-stderr env PATH="$T/oldpython:$PATH" qemu-launch --config vmtest.toml --list
	[ "$status" -eq 2 ]
	[[ "$stderr" == "qemu-launch: error: vmtest.toml: python3 3."*" has no tomllib: reading a .toml file needs python3 3.11 or later" ]]
}

@test "the converter's work: a 200-line vmtest.toml, every line where it was written" {
	local i
	for i in $(seq 1 20); do
		printf '[[target]]\nname = "t%d"\nkernel = "bzImage"\nkernel_args = "quiet"\ncommand = """\nmake -j4 check\n"""\n[target.vm]\nmemory = "2G"\nextra_args = ["-device", "virtio-rng-pci"]\n' "$i"
	done >"$T/proj/big.toml"
	sed -i '199s/.*/memory = "lots"/' "$T/proj/big.toml"
	[ "$(wc -l <"$T/proj/big.toml")" -eq 200 ]
	list big
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"../proj/big.toml:199: memory: 'lots' is not a size"* ]]
}

@test "bin/vmtest -c vmtest.toml: qemu-launch's list, its errors exit 2 before anything starts" {
	toml vmtest <<-'EOF2'
	[[target]]
	name = "t"
	kernel = "bzImage"
	kernel_args = 'quiet'
	command = "true"
	[[target]]
	name = "broken"
	image = "disk.img"
	kernel_args = "quiet"
	command = "true"
	EOF2
	cd "$T/proj"
	run --separate-stderr env VMTEST_BINDIR="$VT_BIN" VMTEST_NO_UI=1 "$VT_ROOT/bin/vmtest" -c vmtest.toml
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"vmtest.toml:9: Target 'broken' must specify 'kernel' with 'kernel_args'"* ]]
	sed -i 9d vmtest.toml
	# No target left after the filter: nothing boots, exit 0, as vmtest.
	run --separate-stderr env VMTEST_BINDIR="$VT_BIN" VMTEST_NO_UI=1 "$VT_ROOT/bin/vmtest" -c vmtest.toml -f nomatch
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
}
