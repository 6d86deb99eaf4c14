/*
 * initrd: a kernel target's initrd, from vm-initrd (which builds and
 * caches it), when no --initrd is given.
 */
#ifndef QEMU_LAUNCH_INITRD_H
#define QEMU_LAUNCH_INITRD_H

/*
 * Runs "vm-initrd --kernel KERNEL" (the vm-initrd beside this program,
 * else the one in PATH) and returns the path it prints, canonical and
 * malloc'd.  Exits 2 if there is no vm-initrd or it fails, and 124 if it
 * takes longer than INITRD_TIMEOUT_MS.
 */
char *initrd_build(const char *kernel);

#define INITRD_TIMEOUT_MS 120000

#endif
