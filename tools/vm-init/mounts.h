/*
 * mounts: every file system vm-init mounts, from the initramfs's /proc to
 * the host's shared directories, and the switch into the 9p root.
 */
#ifndef VM_INIT_MOUNTS_H
#define VM_INIT_MOUNTS_H

#include <stdint.h>

#include "cmdline.h"

#define NEWROOT "/newroot"

/* proc, sysfs and devtmpfs in the initramfs; fatal on failure. */
void mounts_early(void);

/* The 9p root at NEWROOT; fatal on failure.  Returns the msize in use. */
uint32_t mounts_root(const struct config *c);

/* Moves /proc, /sys and /dev into NEWROOT, then it to "/"; fatal on failure. */
void mounts_switch_root(void);

/*
 * In the new root: /dev/pts, /dev/shm, tmpfs on /run, /tmp and /mnt
 * (fatal on failure: the host's own would be used instead), then
 * debugfs, tracefs and cgroup2 (best effort).
 */
void mounts_system(void);

/*
 * The shared directory at /mnt/vmtest and the vm.mount= shares.  The
 * default share may be absent; one the command line asks for must mount.
 */
void mounts_shares(const struct config *c, uint32_t msize);

#endif
