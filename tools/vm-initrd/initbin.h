/*
 * initbin: the program that becomes the guest's /init.  By default the
 * vm-init installed next to vm-initrd itself, so that a build tree or an
 * installation pairs the two without configuration.
 *
 * The initramfs holds no dynamic loader and no libraries, so /init must be
 * a static executable; a dynamic one would only fail in the guest, as a
 * kernel panic seconds into the boot, so it is refused here.
 */
#ifndef VM_INITRD_INITBIN_H
#define VM_INITRD_INITBIN_H

#include <stddef.h>

struct init_bin {
	char *path;
	unsigned char *data;
	size_t len;
};

/*
 * Reads and checks given, or if NULL the file called name (vm-init, or
 * vm-init.ARCH) next to our executable.
 */
int init_load(const char *given, const char *name, struct init_bin *ib,
    char *why, size_t whylen);
void init_free(struct init_bin *ib);

/*
 * Whether data[0..len) is an ELF executable (static or static-pie) that
 * asks for no program interpreter.  -1 with a reason if not.
 */
int init_check(const unsigned char *data, size_t len, char *why,
    size_t whylen);

#endif
