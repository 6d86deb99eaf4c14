#!/usr/bin/env bats
# Image targets booted for real: qemu-launch --image [--uefi] starts the
# disk image of tests/fixtures/mkimage.sh (syslinux, Debian's kernel, the
# host's qemu-ga in its initramfs) under SeaBIOS and under OVMF, always with
# TCG; qga-exec reaches the image's own agent and qmp-send ends the VM.
# Each boot prints its time, qemu-launch's start to the agent's answer.

load helpers
load fixtures/image
bats_require_minimum_version 1.5.0

# Every test gets its own XDG_RUNTIME_DIR, as in qemu-launch.bats: nothing
# qemu-launch writes there (its KVM verdict) is seen by other tests.
setup() {
	helpers_setup
	mkdir -m 700 "$T/xdg"
	export XDG_RUNTIME_DIR=$T/xdg
}

now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }

# quit_vm [RUNDIR PID]: QMP quit, then waits for QEMU to be gone, so that
# the image is closed and every write is in it.
quit_vm() {
	local rundir=${1:-$T/run} pid=${2:-$IMAGE_VM_PID}
	qmp-send --sock "$rundir/qmp.sock" quit >/dev/null
	wait_for_gone "$pid" 20
}

# drive_arg: the -drive word of the image in $T/launch.json's argv.
drive_arg() { jq -r '.argv | map(select(test("(^|,)id=disk0(,|$)"))) | .[0]' "$T/launch.json"; }

# boot_and_write FIRMWARE: boots a copy of the cached image ($T/disk.img)
# with FIRMWARE (bios or uefi) and checks, with the real tools, that
# - the image's own agent answers and runs `uname -r`: the kernel's version
#   (BOOT_MS: from qemu-launch's start to that answer);
# - the guest can write to the image's FAT file system and read that back;
# - after qmp-send quit, the image file is unchanged: qemu-launch boots an
#   image through a qcow2 overlay (snapshot=on, QEMU's temporary file in
#   the run directory, deleted as soon as it is open), and nothing of it
#   is left in the run directory.
# A copy, so that a regression cannot spoil the cache (a 32 MB sparse file).
boot_and_write() {
	local img before out t0
	img=$(image_path "$1")
	cp --sparse=always "$img" "$T/disk.img"
	before=$(sha256sum <"$T/disk.img")
	t0=$(now_ms)
	if [ "$1" = uefi ]; then
		image_launch --image "$T/disk.img" --uefi
	else
		image_launch --image "$T/disk.img"
	fi
	out=$(qga-exec --sock "$T/run/qga.sock" --wait 120s -- uname -r) || { image_dump; return 1; }
	BOOT_MS=$(( $(now_ms) - t0 ))
	[ "$out" = "$(vm_kernel_version)" ] || { echo "uname -r in the guest: '$out'" >&2; return 1; }
	# Written, unmounted (flushed to the disk), mounted again and read back.
	out=$(qga-exec --sock "$T/run/qga.sock" --timeout 60s -- sh -c \
		'/vmtest-image/mount-boot /mnt && echo written-in-the-guest >/mnt/guest.txt &&
		 umount /mnt && /vmtest-image/mount-boot /mnt && cat /mnt/guest.txt && umount /mnt') ||
		{ image_dump; return 1; }
	[ "$out" = written-in-the-guest ] || { echo "read back in the guest: '$out'" >&2; return 1; }
	quit_vm
	if [ "$(sha256sum <"$T/disk.img")" != "$before" ]; then
		out=$(MTOOLS_SKIP_CHECK=1 mtype -i "$T/disk.img@@1M" ::/guest.txt 2>&1) || :
		echo "the guest's write reached the image file (guest.txt: '$out'); -drive $(drive_arg)" >&2
		return 1
	fi
	# (--detach leaves the directory, and a split firmware's variables, to us.)
	out=$(find "$T/run" -mindepth 1 ! -name serial.log ! -name qemu.err ! -name uefi-vars.fd)
	[ -z "$out" ] || { echo "left in the run directory: $out" >&2; return 1; }
}

@test "mkimage.sh: one disk for both firmwares: MBR code, an active ESP, syslinux for BIOS and UEFI, the kernel" {
	image_requires
	local img mbr fs=
	img=$(image_path bios)
	[ "$(image_path uefi)" = "$img" ]
	# One partition from 1 MiB, type EF (EFI system), active.  (sfdisk is
	# in /usr/sbin, outside the PATH of users other than root.)
	PATH=$PATH:/usr/sbin:/sbin sfdisk -d "$img" >"$T/table"
	grep -Eq "^$img""1 : start= *2048, size= *[0-9]+, type=ef, bootable$" "$T/table"
	[ "$(grep -c ' : start=' "$T/table")" = 1 ]
	# syslinux's MBR code and the boot signature.
	mbr=$(head -c 440 "$img" | sha256sum)
	[ "$mbr" = "$(head -c 440 /usr/lib/SYSLINUX/mbr.bin | sha256sum)" ]
	[ "$(od -An -tx1 -j 510 -N2 "$img" | tr -d ' ')" = 55aa ]
	export MTOOLS_SKIP_CHECK=1
	fs="$img@@1M"
	for f in /syslinux/ldlinux.sys /syslinux/ldlinux.c32 /syslinux/syslinux.cfg \
		/EFI/BOOT/BOOTX64.EFI /EFI/BOOT/ldlinux.e64 /vmlinuz /initrd.img; do
		mdir -a -i "$fs" "::$f" >/dev/null || { echo "no $f in the image" >&2; false; }
	done
	mcopy -i "$fs" ::/vmlinuz "$T/vmlinuz"
	cmp "$T/vmlinuz" "$(vm_kernel)"
	mcopy -i "$fs" ::/EFI/BOOT/BOOTX64.EFI "$T/boot.efi"
	cmp "$T/boot.efi" /usr/lib/SYSLINUX.EFI/efi64/syslinux.efi
	mcopy -i "$fs" ::/syslinux/syslinux.cfg "$T/syslinux.cfg"
	grep -Eq '^[[:space:]]*APPEND .*console=ttyS0' "$T/syslinux.cfg"
}

@test "mkimage.sh: misuse fails and leaves nothing; image_path builds once, atomically, then reuses" {
	image_requires
	run "$IMAGE_MKIMAGE"
	[ "$status" -eq 1 ]
	[[ $output == *usage* ]]
	run "$IMAGE_MKIMAGE" "$T/x.img" arm
	[ "$status" -eq 1 ]
	[ ! -e "$T/x.img" ]
	run "$IMAGE_MKIMAGE" "$T/x.img" both 0.0.0-nosuch
	[ "$status" -eq 1 ]
	[ ! -e "$T/x.img" ]
	[ -z "$(find "$T" -maxdepth 1 -name '.x.img.*')" ]

	# A cold cache: the initramfs and the image are built, then reused.
	local t0 cold warm path again
	export VM_CACHE=$T/cache
	t0=$(now_ms)
	path=$(image_path bios)
	cold=$(( $(now_ms) - t0 ))
	[ "${path%/*}" = "$T/cache" ]
	[[ ${path##*/} == image-"$(vm_kernel_version)"-*.img ]]
	t0=$(now_ms)
	again=$(image_path uefi)
	warm=$(( $(now_ms) - t0 ))
	[ "$again" = "$path" ]
	# Only the two entries: no temporary file is left behind.
	[ "$(find "$T/cache" -mindepth 1 | wc -l)" = 2 ]
	echo "# image fixture: built in $cold ms (cold, with its initramfs), found in $warm ms (cached)" >&3
}

@test "SeaBIOS: qemu-launch --image boots it; its qemu-ga answers; guest writes stay out of the file" {
	image_requires bios
	boot_and_write bios
	# The serial log shows syslinux (BIOS) and the kernel's boot.
	grep -aq '^SYSLINUX ' "$T/run/serial.log"
	grep -aq "Linux version $(vm_kernel_version) " "$T/run/serial.log"
	grep -aEq 'Command line: .*console=ttyS0' "$T/run/serial.log"
	run ! grep -aq 'efi: EFI v' "$T/run/serial.log"
	echo "# SeaBIOS: qemu-launch start to the agent's answer: $BOOT_MS ms" >&3
}

@test "UEFI: qemu-launch --image --uefi boots it with OVMF; its qemu-ga answers; guest writes stay out of the file" {
	image_requires uefi
	local code=/usr/share/OVMF/OVMF_CODE_4M.fd vars=/usr/share/OVMF/OVMF_VARS_4M.fd before
	before=$(sha256sum <"$vars")
	boot_and_write uefi
	# Debian's split firmware, found: the code read-only, the variables a
	# copy in the run directory that the firmware wrote to, the template
	# untouched.
	jq -e --arg c "$code" --arg v "$T/run/uefi-vars.fd" '.argv | index("-bios") == null and
		index("if=pflash,format=raw,unit=0,readonly=on,file=" + $c) != null and
		index("if=pflash,format=raw,unit=1,file=" + $v) != null' "$T/launch.json"
	[ "$(stat -c %a "$T/run/uefi-vars.fd")" = 600 ]
	! cmp -s "$vars" "$T/run/uefi-vars.fd"
	[ "$(sha256sum <"$vars")" = "$before" ]
	# OVMF's boot manager, then a kernel started through UEFI.
	grep -aq 'BdsDxe: starting ' "$T/run/serial.log"
	grep -aq 'efi: EFI v' "$T/run/serial.log"
	grep -aq "Linux version $(vm_kernel_version) " "$T/run/serial.log"
	grep -aEq 'Command line: .*console=ttyS0' "$T/run/serial.log"
	echo "# UEFI: qemu-launch start to the agent's answer: $BOOT_MS ms" >&3
}

# The same image in two VMs at once (vmtest -j, two targets, one image):
# possible only if neither opens it for writing, else QEMU's image lock
# stops the second.  No boot needed: QEMU takes the locks as it starts.
@test "two VMs start from the same image at once" {
	image_requires bios
	local img pid2
	img=$(image_path bios)
	image_launch --image "$img"
	qemu-launch --detach --accel tcg --rundir "$T/run2" --image "$img" \
		>"$T/launch2.json" 2>"$T/launch2.err" 3>&- ||
		{ cat "$T/launch2.err" >&2; echo "-drive $(drive_arg)" >&2; false; }
	pid2=$(jq -er .pid "$T/launch2.json")
	echo "$pid2 vm2" >>"$T/peers"
	quit_vm "$T/run2" "$pid2"
	quit_vm
}
