/*
 * initrd: a kernel target's initrd, from vm-initrd (which builds and
 * caches it), when no --initrd is given.
 */
#ifndef QEMU_LAUNCH_INITRD_H
#define QEMU_LAUNCH_INITRD_H

#include <stdbool.h>

#include "target.h"

/*
 * Runs "vm-initrd --kernel KERNEL" (the vm-initrd beside this program,
 * else the one in PATH), with "--arch ARCH --rootfs ROOTFS" for a kernel
 * of another architecture, and returns the path it prints, canonical
 * and malloc'd.  Exits 2 if there is no vm-initrd or it fails, and 124
 * if it takes longer than INITRD_TIMEOUT_MS.
 */
char *initrd_build(const struct target *t);

/* Whether t's kernel is another architecture's: vm-initrd gets --arch. */
bool initrd_foreign(const struct target *t);

#define INITRD_TIMEOUT_MS 120000

#endif
