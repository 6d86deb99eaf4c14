/*
 * arch: what differs between the architectures a kernel is built for, as
 * far as its initramfs goes: the static init built for it (vm-init for
 * the machine vm-initrd runs on, vm-init.ARCH, cross-built, for another),
 * the ELF machine that init must be, the virtio transport its modules
 * reach devices by (PCI, or CCW on s390x), and where a foreign kernel's
 * modules are (in the guest's root: the host's are another machine's).
 */
#ifndef VM_INITRD_ARCH_H
#define VM_INITRD_ARCH_H

#include <stdbool.h>
#include <stddef.h>

#include "initbin.h"

struct initrd_arch {
	const char *name;	/* uname -m */
	unsigned machine;	/* the ELF e_machine of its executables */
	const char *transport;	/* the virtio transport's module */
	const char *debarch;	/* Debian's name, for the cross packages */
};

/* The arch called name, or NULL; NULL name: the one we were built for. */
const struct initrd_arch *arch_find(const char *name);

/* Whether a is another architecture than the one we were built for. */
bool arch_foreign(const struct initrd_arch *a);

/*
 * Loads given, else the init for a next to our executable, and checks
 * that it is a static executable for a's machine.  -1 with a reason (and
 * where a missing vm-init.ARCH comes from) if not.
 */
int arch_load_init(const struct initrd_arch *a, const char *given,
    struct init_bin *ib, char *why, size_t whylen);

/*
 * The wanted modules for a: the list given, with virtio_pci replaced by
 * a's transport.  Malloc'd; the strings are the list's or static.
 */
const char **arch_wanted(const struct initrd_arch *a,
    const char *const *wanted, size_t n);

/*
 * The modules directory of kernel release.  With a rootfs:
 * ROOTFS/lib/modules/RELEASE or ROOTFS/usr/lib/modules/RELEASE, the
 * first that is a directory; for a foreign kernel, the first even if
 * missing, so that the error names it; else the host's.  Without: the
 * nearest DIR/lib/modules/RELEASE above the kernel's real path (an
 * unpacked kernel package; the host's own only for a kernel of this
 * machine), else /lib/modules/RELEASE.  Malloc'd.
 */
char *arch_modules_dir(const struct initrd_arch *a, const char *rootfs,
    const char *kernel, const char *release);

#endif
