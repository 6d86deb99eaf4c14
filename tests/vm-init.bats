#!/usr/bin/env bats
# vm-init, the guest's PID 1.  The first tests run it as an ordinary
# process.  The others boot Debian's kernel under TCG with an initramfs
# made here (vm-init as /init and the virtio and 9p modules, nothing
# else) and the host's root over 9p, and look at the guest through the
# agent vm-init starts.  One guest serves most tests (setup_file); two
# more boots check the interactive shell and a fatal error.

load helpers
load fixtures/vm
bats_require_minimum_version 1.5.0

# The modules a guest needs, by name; modprobe gives their dependencies.
VI_MODULES="virtio_pci virtio_console 9pnet_virtio 9p"

# vi_missing: names what booting a guest here lacks, or prints nothing.
vi_missing() {
	local bin
	for bin in qemu-system-x86_64 cpio gzip socat jq readelf; do
		command -v "$bin" >/dev/null ||
			{ echo "$bin is not installed (make deps installs it)"; return; }
	done
	PATH=$PATH:/usr/sbin:/sbin command -v modprobe >/dev/null ||
		{ echo "modprobe is not installed (kmod)"; return; }
	vm_qemu_ga >/dev/null ||
		{ echo "qemu-ga is not installed (make deps installs qemu-guest-agent)"; return; }
	vm_kernel >/dev/null ||
		echo "no readable /boot/vmlinuz-* with its /lib/modules (make deps installs linux-image-amd64)"
}

vi_requires() {
	local why
	why=$(vi_missing)
	[ -z "$why" ] || skip "$why"
}

# vi_mkinitrd OUT: the initramfs: /init, /etc/vm-init/modules and the
# modules it lists, decompressed, in modprobe's dependency order.
vi_mkinitrd() {
	local out=$1 kver S m cmd path rest rel
	local -A seen=()
	kver=$(vm_kernel_version) || return 1
	S=$(mktemp -d "${TMPDIR:-/tmp}/vi-initrd.XXXXXX") || return 1
	mkdir -p "$S/etc/vm-init"
	cp "$VT_BIN/vm-init" "$S/init"
	: >"$S/etc/vm-init/modules"
	for m in $VI_MODULES; do
		while read -r cmd path rest; do
			[ "$cmd" = insmod ] && [ -z "${seen[$path]:-}" ] || continue
			seen[$path]=1
			rel=${path#/}
			rel=${rel%.xz}
			rel=${rel%.zst}
			mkdir -p "$S/${rel%/*}"
			case $path in
			*.xz) xz -dc "$path" >"$S/$rel" ;;
			*.zst) zstd -qdc "$path" >"$S/$rel" ;;
			*) cp "$path" "$S/$rel" ;;
			esac || { rm -rf "$S"; return 1; }
			echo "$rel" >>"$S/etc/vm-init/modules"
		done < <(PATH=$PATH:/usr/sbin:/sbin modprobe --show-depends -S "$kver" "$m")
	done
	if ! grep -q '/9p\.ko$' "$S/etc/vm-init/modules"; then
		echo "vi_mkinitrd: no 9p module for $kver" >&2
		rm -rf "$S"
		return 1
	fi
	(cd "$S" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$out"
	local rc=$?
	rm -rf "$S"
	return $rc
}

# vi_boot NAME APPEND [QEMU-ARG...]: boots the guest as peer NAME, with the
# host's root as /dev/root, the agent on $T/qga.sock and QMP on
# $T/qmp.sock; the console goes where the QEMU-ARGs say.  Sets VI_START
# (ms) and VI_PID.
vi_boot() {
	local name=$1 append=$2 kernel
	shift 2
	kernel=$(vm_boot_kernel) || skip "no kernel to boot"
	[ -s "$T/initrd.img" ] || vi_mkinitrd "$T/initrd.img" || return 1
	VI_START=$(date +%s%3N)
	start_peer "$name" qemu-system-x86_64 -accel tcg -cpu max -m 512 \
		-nodefaults -display none -no-reboot \
		-kernel "$kernel" -initrd "$T/initrd.img" -append "$append" \
		-virtfs "local,id=root,path=/,mount_tag=/dev/root,security_model=none,multidevs=remap" \
		-chardev "socket,path=$T/qga.sock,server=on,wait=off,id=qga0" \
		-device virtio-serial \
		-device virtserialport,chardev=qga0,name=org.qemu.guest_agent.0 \
		-qmp "unix:$T/qmp.sock,server=on,wait=off" "$@" 3>&-
	VI_PID=$(peer_pid "$name")
}

# vi_wait_console LOG PATTERN SECONDS: waits for an extended regexp in the
# console log while QEMU runs.
vi_wait_console() {
	local tenths=$(( $3 * 10 ))
	until grep -aEq -- "$2" "$1" 2>/dev/null; do
		if (( tenths-- <= 0 )); then
			echo "no \"$2\" on the console after $3 s; it says:" >&2
			tail -n 20 "$1" >&2
			return 1
		fi
		sleep 0.1
	done
}

# vi_wait_exit SECONDS: waits for QEMU (VI_PID) to exit.
vi_wait_exit() {
	local tenths=$(( $1 * 10 ))
	while kill -0 "$VI_PID" 2>/dev/null; do
		(( tenths-- > 0 )) || { echo "QEMU still runs after $1 s" >&2; return 1; }
		sleep 0.1
	done
}

setup_file() {
	VM_T=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/vm.XXXXXX")
	export VM_T
	T=$VM_T
	: >"$T/peers"
	# Skipped tests need no guest; vi_requires says why in each test.
	[ -z "$(vi_missing)" ] || return 0
	# Files the guest sees at the same path: not under /tmp, which is the
	# guest's own tmpfs.
	VI_HOSTDIR=$(mktemp -d /var/tmp/vm-init-test.XXXXXX)
	export VI_HOSTDIR
	echo "made on the host" >"$VI_HOSTDIR/hostfile"
	mkdir -p "$T/share" "$T/extra"
	echo shared >"$T/share/file"
	echo extra >"$T/extra/file"
	# A mount whose paths hold blanks, quotes, a colon and non-ASCII
	# letters, on the kernel command line as vm.mount encodes it (the
	# guest path /mnt/odd dir: ü "q"): an initramfs without the control
	# channel, as a user's may be, takes everything from there.
	local odd_host="$T/odd \"dir\" é"
	mkdir -p "$odd_host"
	echo "through an odd path" >"$odd_host/file"
	vi_boot vm "console=ttyS0 panic=-1 quiet vm.mount=extra:/mnt/extra:ro vm.mount=mount0:/mnt/odd%20dir%3A%20%C3%BC%20%22q%22:ro" \
		-serial "file:$T/console.log" \
		-virtfs "local,id=shared,path=$T/share,mount_tag=vmtest-shared,security_model=none,multidevs=remap" \
		-virtfs "local,id=extra,path=$T/extra,mount_tag=extra,security_model=none,multidevs=remap" \
		-virtfs "local,id=mount0,path=$odd_host,mount_tag=mount0,security_model=none,multidevs=remap,readonly=on"
	# When the guest said it is ready, measured from QEMU's start.
	if vi_wait_console "$T/console.log" 'vm-init: ready in' 120; then
		echo $(( $(date +%s%3N) - VI_START )) >"$T/ready-ms"
	fi
	export VI_PID
}

teardown_file() {
	T=$VM_T
	qmp-send --sock "$VM_T/qmp.sock" --timeout 5s quit >/dev/null 2>&1 || true
	stop_peers
	[ -z "${VI_HOSTDIR:-}" ] || rm -rf "$VI_HOSTDIR"
}

vexec() { qga-exec --sock "$VM_T/qga.sock" "$@"; }

@test "the kernel command line carries every byte of a path but NUL; bad escapes are named; it fits the arch" {
	run "$VT_TESTBIN/cmdline-codec"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "vm-init --parse: percent escapes decoded, a mount's after its split" {
	run --separate-stderr vm-init --parse 'vm.mount=t:/a%20b%3Aro:ro vm.mount=u:/50%25 vm.qga=/opt%2Fqga'
	[ "$status" -eq 0 ]
	[[ "$output" == *$'mount=t:/a b:ro:ro\nmount=u:/50%:rw\n'* ]]
	[[ "$output" == *$'qga=/opt/qga\n'* ]]
}

@test "vm-init --parse --control: the channel's words, one or more a line, over the command line's" {
	run --separate-stderr vm-init --parse 'quiet vm.control=org.vmtest-tools.control.0 vm.mount=a:/x vm.share=s' \
		--control $'vm.mount=mount0:/mnt/a%20b%0Ac%3Ad:ro\nvm.interactive=1 vm.share=t\n\nvm.mount=mount1:/y'
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	[ -z "$stderr" ]
	[[ "$output" == *$'share=t\n'* ]]
	[[ "$output" == *$'mount=a:/x:rw\nmount=mount0:/mnt/a b\nc:d:ro\nmount=mount1:/y:rw\ninteractive=1\n'* ]]
	[[ "$output" == *$'\ncontrol=org.vmtest-tools.control.0' ]]
}

@test "vm-init --parse --control: vm.time and vm.entropy, checked" {
	local hex
	hex=$(printf 'A0%.0s' {1..32})
	run --separate-stderr vm-init --parse '' --control "vm.time=1712345678.5 vm.entropy=$hex"
	[ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
	[[ "$output" == *$'\ntime=1712345678.500000000\nentropy='"${hex,,}" ]]
	run --separate-stderr vm-init --parse '' --control "vm.time=7.000000001"
	[[ "$output" == *$'\ntime=7.000000001' ]]
	# A fraction of ten digits, no seconds, letters; an odd digit count,
	# 31 and 513 bytes, not hex.
	run --separate-stderr vm-init --parse '' --control "vm.time=1.0123456789
vm.time=.5 vm.time=12x vm.time= vm.entropy=${hex}a vm.entropy=${hex:2}
vm.entropy=$hex$(printf '%0960d' 0)00 vm.entropy=${hex/A0/zz}"
	[ "$status" -eq 2 ]
	[[ "$output" != *time=* && "$output" != *entropy=* ]]
	[ "$(grep -c 'vm-init: error: bad value over the control channel: vm\.\(time\|entropy\)=' <<<"$stderr")" -eq 8 ]
}

@test "vm-init --parse: what only the command line may set is refused over the channel, and the reverse" {
	run --separate-stderr vm-init --parse 'vm.time=1 vm.entropy=00' \
		--control 'vm.root=r vm.qga=/q vm.control=p vm.debug vm.nokey=1 ro --'
	[ "$status" -eq 2 ]
	[[ "$output" == *$'root=/dev/root\nroot-mode=rw\n'* ]]
	[[ "$output" == *$'qga=auto\nhostname=vmtest\ndebug=0' ]]
	[[ "$stderr" == *"key vm.time is not taken on the kernel command line"* ]]
	[[ "$stderr" == *"key vm.entropy is not taken on the kernel command line"* ]]
	local k
	for k in root qga control debug; do
		[[ "$stderr" == *"key vm.$k is not taken over the control channel"* ]]
	done
	[[ "$stderr" == *"unknown key vm.nokey over the control channel"* ]]
	[[ "$stderr" == *"not a vm.KEY=VALUE word over the control channel: ro"* ]]
	[[ "$stderr" == *"not a vm.KEY=VALUE word over the control channel: --"* ]]
	[ "$(grep -c 'vm-init: error:' <<<"$stderr")" -eq 9 ]
	# --control needs --parse.
	run --separate-stderr vm-init --control vm.interactive
	[ "$status" -eq 2 ]
}

@test "vm-init --parse: vm.net only on the command line, where the NIC is fixed" {
	run vm-init --parse 'vm.net=1'
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = net=1 ]
	run vm-init --parse 'vm.net=0'
	[[ "$output" != *net=* ]]
	run --separate-stderr vm-init --parse 'vm.net=maybe' --control 'vm.net=1'
	[ "$status" -eq 2 ]
	[[ "$output" != *net=* ]]
	[[ "$stderr" == *"bad value on the kernel command line: vm.net=maybe"* ]]
	[[ "$stderr" == *"key vm.net is not taken over the control channel"* ]]
}

# ns_requires: root and unshare, or skip; HOSTDIR, a directory of the
# host's on a file system that is not a tmpfs (/var/tmp: /tmp may be one),
# stands for the guest's 9p root.  teardown removes it.
ns_requires() {
	mount_ns_requires
	HOSTDIR=$(mktemp -d /var/tmp/vt-resolv.XXXXXX)
	echo "$HOSTDIR" >"$T/hostdir"
	[ "$(stat -f -c %T "$HOSTDIR")" != tmpfs ] || skip "/var/tmp is a tmpfs here"
}

teardown() {
	[ ! -f "$T/hostdir" ] || rm -rf "$(cat "$T/hostdir")"
	helpers_teardown
}

# in_ns SCRIPT: SCRIPT in a mount namespace of its own whose /etc and
# /run are empty tmpfs, with resolv-guest at hand as $RG.
in_ns() {
	RG=$VT_TESTBIN/resolv-guest HOSTDIR=$HOSTDIR in_mount_ns \
		bash -c 'mount -t tmpfs none /etc && mount -t tmpfs none /run && eval "$1"' _ "$1"
}

@test "vm.net's resolv.conf: a file of the guest's mounted over the host's, which stays as it was" {
	ns_requires
	echo "nameserver 192.0.2.1" >"$HOSTDIR/host.conf"
	run --separate-stderr in_ns 'ln -s "$HOSTDIR/host.conf" /etc/resolv.conf && "$RG" 10.0.2.3 &&
		cat /etc/resolv.conf'
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "nameserver 10.0.2.3" ]
	[[ "$stderr" == *"nameserver 10.0.2.3 in /run/vm-init/resolv.conf, over $HOSTDIR/host.conf"* ]]
	[ "$(cat "$HOSTDIR/host.conf")" = "nameserver 192.0.2.1" ]
}

@test "vm.net's resolv.conf: a link into /run (systemd-resolved's) is made there, on the guest's tmpfs" {
	ns_requires
	run --separate-stderr in_ns 'ln -s ../run/systemd/resolve/stub-resolv.conf /etc/resolv.conf &&
		"$RG" 10.0.2.3 && cat /etc/resolv.conf'
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "nameserver 10.0.2.3" ]
	[[ "$stderr" == *"in /run/systemd/resolve/stub-resolv.conf, where /etc/resolv.conf points"* ]]
}

@test "vm.net's resolv.conf: nothing is made outside a tmpfs, not even through '..'; a loop is named" {
	ns_requires
	run --separate-stderr in_ns 'ln -s "$HOSTDIR/missing/resolv.conf" /etc/resolv.conf && "$RG" 10.0.2.3'
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"error: net: no resolver: /etc/resolv.conf points to $HOSTDIR/missing/resolv.conf, which does not exist, and is not on a tmpfs of the guest's to be made"* ]]
	run --separate-stderr in_ns 'ln -s "/run/a/../..$HOSTDIR/esc/resolv.conf" /etc/resolv.conf && "$RG" 10.0.2.3'
	[ "$status" -eq 1 ]
	run --separate-stderr in_ns 'ln -s /etc/resolv.conf /etc/resolv.conf && "$RG" 10.0.2.3'
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"/etc/resolv.conf: Too many levels of symbolic links"* ]]
	[ -z "$(ls -A "$HOSTDIR")" ]
}

@test "vm-init is one static binary" {
	requires readelf
	run readelf -l "$VT_BIN/vm-init"
	[ "$status" -eq 0 ]
	[[ "$output" != *INTERP* ]]
	[[ "$output" != *DYNAMIC* ]]
	run ldd "$VT_BIN/vm-init"
	[[ "$output" == *"not a dynamic executable"* ]]
}

@test "vm-init --help and --version work as an ordinary process" {
	run vm-init --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: vm-init" ]]
	[[ "$output" == *--parse* ]]
	run vm-init --version
	[ "$status" -eq 0 ]
	[[ "$output" == "vm-init (vmtest-tools) "* ]]
}

@test "vm-init refuses to run as anything but PID 1" {
	run --separate-stderr vm-init
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == "vm-init: error: must run as PID 1"* ]]
	run --separate-stderr vm-init extra-word
	[ "$status" -eq 2 ]
	run --separate-stderr vm-init --no-such-option
	[ "$status" -eq 2 ]
}

@test "vm-init --parse: defaults" {
	run vm-init --parse 'console=ttyS0 panic=-1 quiet'
	[ "$status" -eq 0 ]
	[ "$output" = "root=/dev/root
root-mode=rw
msize=auto
share=vmtest-shared
share-required=0
interactive=0
qga=auto
hostname=vmtest
debug=0" ]
}

@test "vm-init --parse: every key, quotes, ro/rw and --" {
	run vm-init --parse 'ro vm.root=r0 vm.msize=256K vm.share=s "vm.mount=a:/x y:ro"
vm.mount=b:/z vm.mount=c:/p:rw vm.interactive vm.qga=/opt/qga vm.hostname=h
vm.debug=yes rw -- vm.root=ignored'
	[ "$status" -eq 0 ]
	[ "$output" = "root=r0
root-mode=rw
msize=262144
share=s
share-required=1
mount=a:/x y:ro
mount=b:/z:rw
mount=c:/p:rw
interactive=1
qga=/opt/qga
hostname=h
debug=1" ]
	run vm-init --parse 'rw ro vm.share='
	[[ "$output" == *$'root-mode=ro\n'* ]]
	[[ "$output" == *$'share=\nshare-required=0\n'* ]]
}

@test "vm-init --parse: stdout that cannot be written is 71, named" {
	run bash -c 'vm-init --parse "vm.root=r0" >/dev/full'
	[ "$status" -eq 71 ]
	[ "$output" = "vm-init: error: stdout: No space left on device" ]
}

@test "vm-init --parse: bad words are named, ignored, and make status 2" {
	run --separate-stderr vm-init --parse 'vm.msize=12 vm.mount=nopath vm.mount=t:rel vm.qga=rel vm.debug=maybe vm.nokey=1 vm.root= vm.root=good vm.mount=t:/a%zz'
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"bad escape on the kernel command line: vm.mount=t:/a%zz: '%' must be followed by two hex digits"* ]]
	[[ "$output" == *root=good* ]]
	[[ "$output" == *msize=auto* ]]
	[[ "$output" != *mount=* ]]
	[[ "$stderr" == *"vm.msize=12"* ]]
	[[ "$stderr" == *"vm.mount=nopath"* ]]
	[[ "$stderr" == *"vm.qga=rel"* ]]
	[[ "$stderr" == *"vm.debug=maybe"* ]]
	[[ "$stderr" == *"unknown key vm.nokey"* ]]
	[ "$(grep -c 'vm-init: error:' <<<"$stderr")" -eq 8 ]
}

@test "in a guest: the agent answers, in the booted kernel, on the host's files" {
	vi_requires
	[ -s "$VM_T/ready-ms" ] || { T=$VM_T vm_dump; false; }
	echo "# QEMU start to \"vm-init: ready\": $(cat "$VM_T/ready-ms") ms" >&3
	run vexec --wait 60s -- uname -r
	[ "$status" -eq 0 ]
	[ "$output" = "$(vm_kernel_version)" ]
	run vexec -- cat "$VI_HOSTDIR/hostfile"
	[ "$status" -eq 0 ]
	[ "$output" = "made on the host" ]
	# Read-write: what the guest writes, the host sees.
	run vexec -- sh -c "echo from the guest >'$VI_HOSTDIR/guestfile'"
	[ "$status" -eq 0 ]
	[ "$(cat "$VI_HOSTDIR/guestfile")" = "from the guest" ]
}

@test "in a guest: / is 9p; /tmp, /run, /mnt, /dev/shm are the guest's tmpfs" {
	vi_requires
	run vexec --wait 60s -- awk '{ print $2, $3 }' /proc/mounts
	[ "$status" -eq 0 ]
	local m
	for m in "/ 9p" "/proc proc" "/sys sysfs" "/dev devtmpfs" "/dev/pts devpts" \
		"/dev/shm tmpfs" "/run tmpfs" "/tmp tmpfs" "/mnt tmpfs" \
		"/sys/kernel/debug debugfs" "/sys/kernel/tracing tracefs" \
		"/sys/fs/cgroup cgroup2"; do
		grep -qx "$m" <<<"$output" || { echo "no $m in: $output"; return 1; }
	done
	run vexec -- stat -f -c %T /tmp
	[ "$output" = tmpfs ]
	# An open, removed file can still be used (9p cannot: vmtest #83).
	run vexec -- bash -c 'exec 3<>/tmp/x; rm /tmp/x; echo ok >&3; stat -L -c %s /dev/fd/3'
	[ "$status" -eq 0 ]
	[ "$output" = 3 ]
	# ptmx works for all: pseudo-terminals for script(1), ssh, expect...
	run vexec -- stat -c %a /dev/pts/ptmx
	[ "$output" = 666 ]
}

@test "in a guest: the shared directory at /mnt/vmtest, vm.mount read-only" {
	vi_requires
	run vexec --wait 60s -- cat /mnt/vmtest/file /mnt/extra/file
	[ "$status" -eq 0 ]
	[ "$output" = $'shared\nextra' ]
	run vexec -- sh -c 'echo back >/mnt/vmtest/back'
	[ "$status" -eq 0 ]
	[ "$(cat "$VM_T/share/back")" = back ]
	run --separate-stderr vexec -- sh -c 'echo no >/mnt/extra/no'
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"Read-only file system"* ]]
	[ ! -e "$VM_T/extra/no" ]
}

@test "in a guest: a mount whose paths hold blanks, quotes, a colon and non-ASCII letters, percent-encoded on the kernel command line" {
	vi_requires
	run vexec --wait 60s -- cat '/mnt/odd dir: ü "q"/file'
	[ "$status" -eq 0 ] || { echo "$output"; grep -a 'vm-init' "$VM_T/console.log"; return 1; }
	[ "$output" = "through an odd path" ]
	# Read-only, as a mount is without :rw.
	run --separate-stderr vexec -- sh -c 'echo no >"/mnt/odd dir: ü \"q\"/no"'
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"Read-only file system"* ]]
}

@test "in a guest: lo is up, the host name is set, /dev has udev's links" {
	vi_requires
	run vexec --wait 60s -- cat /sys/class/net/lo/flags
	[ "$status" -eq 0 ]
	(( output & 1 )) # IFF_UP
	run vexec -- uname -n
	[ "$output" = vmtest ]
	run vexec -- readlink /dev/fd /dev/stdin /dev/virtio-ports/org.qemu.guest_agent.0
	[ "${lines[0]}" = /proc/self/fd ]
	[ "${lines[1]}" = /proc/self/fd/0 ]
	[[ "${lines[2]}" =~ ^\.\./vport[0-9]+p[0-9]+$ ]]
	# Process substitution needs /dev/fd.
	run vexec -- bash -c 'cat <(echo substituted)'
	[ "$output" = substituted ]
}

@test "in a guest: commands get a clean environment from the agent" {
	vi_requires
	run vexec --wait 60s -- env
	[ "$status" -eq 0 ]
	run sort <<<"$output"
	[ "$output" = "HOME=/root
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
PWD=/
TERM=linux" ]
}

@test "in a guest: PID 1 reaps orphans" {
	vi_requires
	# The subshell exits at once; its sleep is left to PID 1.
	run vexec --wait 60s -- sh -c '(sleep 0.2 &); sleep 1.5
		grep -l "^[0-9]* ([^)]*) Z" /proc/[0-9]*/stat; true'
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "in a guest: the kernel log times every step" {
	vi_requires
	run vexec --wait 60s -- dmesg
	[ "$status" -eq 0 ]
	local step lines
	for step in "early mounts" modules root "switch root" mounts shares \
		"devices and network" port agent; do
		grep -Eq "vm-init: $step: [0-9]+ ms$" <<<"$output" ||
			{ echo "no timing of $step"; return 1; }
	done
	grep -Eq 'vm-init: root: 9p "/dev/root" rw, msize [0-9]+' <<<"$output"
	grep -Eq 'vm-init: ready in [0-9]+ ms' <<<"$output" || { echo "$output"; false; }
	grep -Eq 'vm-init: ready in [0-9]+ ms' "$VM_T/console.log"
	# No errors, and (with "quiet") nothing but the ready line on the console.
	! grep -q 'vm-init: error' <<<"$output"
	[ "$(grep -ac 'vm-init:' "$VM_T/console.log")" -eq 1 ]
	lines=$(grep -E 'vm-init: (started|[a-z ]+: [0-9]+ ms|ready)' <<<"$output" |
		sed 's/^\[ *[0-9.]*\] //; s/^/# /')
	echo "$lines" >&3
}

# Last of the shared guest's tests: it ends the guest.
@test "in a guest: when the agent exits, the guest powers off" {
	vi_requires
	local pid
	pid=$(vexec --wait 60s -- sh -c 'echo $PPID') # the agent
	run vexec -- kill "$pid"
	local tenths=300
	while kill -0 "$VI_PID" 2>/dev/null; do
		(( tenths-- > 0 )) || { echo "QEMU still runs after 30 s"; return 1; }
		sleep 0.1
	done
	grep -aq 'reboot: Power down' "$VM_T/console.log"
}

@test "boot: vm.interactive gives a login shell on the console; SIGTERM to PID 1 powers off" {
	vi_requires
	cp "$VM_T/initrd.img" "$T/initrd.img"
	vi_boot vmi 'console=ttyS0 panic=-1 quiet vm.interactive=1 vm.debug=1' \
		-chardev "socket,id=con,path=$T/console.sock,server=on,wait=off,logfile=$T/console.log" \
		-serial chardev:con
	vi_wait_console "$T/console.log" 'vm-init: ready in' 120
	# The shell reads the host's login files first: the line waits in the
	# terminal's input until then.  socat stays until we close its stdin.
	local con writer
	exec {con}> >(exec socat -u - "UNIX-CONNECT:$T/console.sock" 3>&-)
	writer=$!
	printf 'echo hi-from-$((6 * 7)); tty; kill -TERM 1\n' >&"$con"
	vi_wait_exit 120 || { exec {con}>&-; false; }
	exec {con}>&-
	wait_for_gone "$writer"
	grep -aq 'hi-from-42' "$T/console.log"
	grep -aq '^/dev/ttyS0' "$T/console.log"
	grep -aq 'vm-init: powering off: Terminated from pid' "$T/console.log"
}

@test "boot: a root that cannot be mounted is said on the console, and the guest powers off" {
	vi_requires
	cp "$VM_T/initrd.img" "$T/initrd.img"
	vi_boot vmf 'console=ttyS0 panic=-1 quiet vm.root=no-such-tag' \
		-serial "file:$T/console.log"
	vi_wait_exit 120
	grep -aq 'vm-init: error: no 9p share tagged "no-such-tag" for the root' "$T/console.log"
	grep -aq 'reboot: Power down' "$T/console.log"
	! grep -aq 'Kernel panic' "$T/console.log"
}
