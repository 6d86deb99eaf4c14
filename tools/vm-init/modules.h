/*
 * modules: loads the kernel modules the initramfs carries, in the order
 * of its list (dependencies first, as vm-initrd writes it).
 */
#ifndef VM_INIT_MODULES_H
#define VM_INIT_MODULES_H

#include <stdbool.h>

#define MODULES_LIST "/etc/vm-init/modules"

/*
 * Loads every module named in list: one path a line, relative to the
 * initramfs root (a leading "/" is allowed), plain uncompressed .ko
 * files; blank lines and "#" comments are skipped.  A module already
 * loaded is fine.  A missing list means a kernel with everything built
 * in.  virtio_net and the failover modules it needs are loaded only
 * with net: without a NIC they would cost a cold boot some 50 ms of
 * TCG time for nothing.  Failures are logged; returns how many modules
 * failed.
 */
int modules_load(const char *list, bool net);

#endif
