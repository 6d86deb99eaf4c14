/*
 * arch: the per-architecture table (vmtest's, section 11 of the
 * reference, the firmware paths of Debian, Fedora, Arch and Ubuntu, and
 * each kernel's COMMAND_LINE_SIZE from its asm/setup.h).
 */
#include <string.h>
#include <sys/utsname.h>

#include "arch.h"

/*
 * UEFI firmware where there is no firmware descriptor (fwdesc.h) to go
 * by, best first: a split CODE file counts only with its VARS beside it
 * (firmware.c), as the distributions name them; a monolithic file after
 * those.  qemu-launch.1 lists them.
 */
static const char *const x86_64_firmware[] = {
	"/usr/share/OVMF/OVMF_CODE_4M.fd",	/* Debian 11+, Ubuntu */
	"/usr/share/edk2/ovmf/OVMF_CODE.fd",	/* Fedora */
	"/usr/share/edk2/x64/OVMF_CODE.4m.fd",	/* Arch */
	"/usr/share/edk2-ovmf/x64/OVMF_CODE.fd",	/* Gentoo */
	"/usr/share/OVMF/OVMF_CODE.fd",		/* Debian's 2 MB, older Ubuntu */
	"/usr/share/ovmf/OVMF.fd",		/* monolithic: Debian, Ubuntu */
	"/usr/share/qemu/OVMF.fd",
	"/usr/share/edk2/x64/OVMF.4m.fd",	/* Arch */
	NULL,
};

static const char *const aarch64_firmware[] = {
	"/usr/share/AAVMF/AAVMF_CODE.fd",	/* Debian, Ubuntu */
	"/usr/share/qemu-efi-aarch64/QEMU_EFI.fd",	/* monolithic: Debian */
	"/usr/share/edk2/aarch64/QEMU_EFI.fd",	/* Fedora, Arch */
	NULL,
};

/* No -bios: it would replace OpenSBI, which EDK2 runs after. */
static const char *const riscv64_firmware[] = {
	"/usr/share/qemu-efi-riscv64/RISCV_VIRT_CODE.fd",	/* Debian 13+ */
	"/usr/share/edk2/riscv/RISCV_VIRT_CODE.fd",	/* Fedora, Arch */
	NULL,
};

const struct arch_info arch_table[ARCH_COUNT] = {
	[ARCH_X86_64] = {
		.name = "x86_64", .machine = "pc", .tcg_cpu = "max",
		.console = "ttyS0",
		.earlyprintk = "earlyprintk=serial,ttyS0,115200",
		/*
		 * Routing PCI interrupts through ACPI costs the kernel about
		 * 200 ms per virtio device under TCG; virtio uses MSI-X.
		 */
		.boot_args = "acpi=noirq",
		.cmdline_size = 2048,
		.firmware = x86_64_firmware, .firmware_package = "ovmf",
	},
	[ARCH_AARCH64] = {
		.name = "aarch64", .machine = "virt,gic-version=3",
		/*
		 * Debian's kernel signs every return address, and TCG's
		 * QARMA5 is slow: QEMU's own algorithm boots in a third of
		 * the time, with pointer authentication still there.
		 */
		.tcg_cpu = "max,pauth-impdef=on", .console = "ttyAMA0",
		.earlyprintk = "earlycon", .cmdline_size = 2048,
		.firmware = aarch64_firmware,
		.firmware_package = "qemu-efi-aarch64",
	},
	[ARCH_RISCV64] = {
		.name = "riscv64", .machine = "virt",
		.tcg_cpu = "rv64,sscofpmf=true", .console = "ttyS0",
		/*
		 * asm-generic's 512; later kernels take 1024.  The smaller,
		 * so that no kernel cuts the line.
		 */
		.cmdline_size = 512,
		/* EDK2 runs after OpenSBI, which -bios would replace. */
		.uefi_pflash = true,
		.firmware = riscv64_firmware,
		.firmware_package = "qemu-efi-riscv64",
	},
	[ARCH_S390X] = {
		.name = "s390x", .machine = "s390-ccw-virtio",
		.tcg_cpu = "max", .console = "ttysclp0", .ccw = true,
		.cmdline_size = 4096,
	},
};

enum arch
arch_host(void)
{
	struct utsname u;
	int a;

	if (uname(&u) < 0)
		return ARCH_COUNT;
	for (a = 0; a < ARCH_COUNT; a++)
		if (strcmp(u.machine, arch_table[a].name) == 0)
			return (enum arch)a;
	return ARCH_COUNT;
}
