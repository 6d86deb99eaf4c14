/*
 * cwd: --share-cwd, the current directory at its own path in a guest
 * that boots the host's root.
 */
#ifndef QEMU_LAUNCH_CWD_H
#define QEMU_LAUNCH_CWD_H

#include "target.h"

/*
 * A kernel target with the host's root sees the current directory as it
 * is, unless the directory is under one the guest has its own of (/tmp,
 * /run, /mnt, /dev/shm): then it is shared in at the same path, read-only
 * when the kernel command line says "ro", as the root is.  Does nothing
 * for other targets.
 */
void cwd_share(struct target *t);

#endif
