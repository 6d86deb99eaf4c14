/*
 * arch: what differs between the guest architectures: QEMU's machine,
 * CPU and devices, the kernel's console, UEFI firmware.
 */
#ifndef QEMU_LAUNCH_ARCH_H
#define QEMU_LAUNCH_ARCH_H

#include <stdbool.h>

enum arch {
	ARCH_X86_64,
	ARCH_AARCH64,
	ARCH_RISCV64,
	ARCH_S390X,
	ARCH_COUNT,
};

struct arch_info {
	const char *name;		/* as uname -m and qemu-system-NAME */
	const char *machine;		/* -machine */
	const char *tcg_cpu;		/* -cpu under TCG */
	const char *console;		/* the kernel's console device */
	const char *earlyprintk;	/* more of the command line, or NULL */
	const char *boot_args;	/* kernel arguments this arch always gets */
	unsigned cmdline_size;	/* the kernel's COMMAND_LINE_SIZE, NUL included */
	bool ccw;			/* s390x: no PCI, virtio over CCW */
	bool uefi_pflash;		/* firmware as pflash, not -bios */
	const char *const *firmware;	/* UEFI firmware to look for, or NULL */
	const char *firmware_package;	/* Debian's, for the message */
};

extern const struct arch_info arch_table[ARCH_COUNT];

/* The arch this program runs on, or ARCH_COUNT for another one. */
enum arch arch_host(void);

#endif
