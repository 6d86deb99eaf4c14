/*
 * firmware: which UEFI firmware an image target boots, and how.
 *
 * A monolithic file (OVMF.fd, QEMU_EFI.fd) is code and variables in one
 * read-only image: -bios, or pflash unit 0 where -bios means something
 * else (riscv64: OpenSBI).  A split firmware is a read-only CODE file and
 * a VARS template the guest writes to: each start copies the template
 * into the run directory, and both go in as pflash units 0 and 1.
 *
 * Which VARS goes with which CODE, and which firmware to take when none
 * is given, come from QEMU's firmware descriptors (docs/interop/
 * firmware.json, the JSON files distributions ship for libvirt) and,
 * failing those, from arch.c's list and the names: CODE becomes VARS.
 */
#ifndef QEMU_LAUNCH_FIRMWARE_H
#define QEMU_LAUNCH_FIRMWARE_H

#include <stdbool.h>
#include <stddef.h>

#include "target.h"

/*
 * Fills t->bios (when bios is not set) and t->bios_vars for a UEFI
 * target of an arch that has UEFI.  Each problem is printed naming the
 * bios or uefi setting; returns how many.  Reads files, writes none.
 */
int firmware_resolve(struct target *t);

/*
 * A fresh private copy of t->bios_vars as RUNDIR/RUN_UEFI_VARS, mode
 * 0600 (holes where the template has zeros).  0, or -1 after a message.
 */
int firmware_copy_vars(const struct target *t, const char *rundir);

#endif
