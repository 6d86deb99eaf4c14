/*
 * cpio: a writer of "newc" cpio archives, the format the kernel unpacks
 * into its rootfs (Documentation/driver-api/early-userspace/
 * buffer-format.rst), made for reproducible output: owner root, mtime 0,
 * inode numbers counting from 1 in the order entries are written, no
 * padding beyond the format's own 4-byte alignment.
 *
 * Names are relative ("init", "lib/modules/..."), as the kernel takes
 * them from its root.  A file's parent directories are written before it
 * (mode 0755) unless they already were, so callers name only what they
 * put in.
 */
#ifndef VM_INITRD_CPIO_H
#define VM_INITRD_CPIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cpio_name {
	char *name;
	uint32_t mode;
};

struct cpio {
	FILE *out;
	uint32_t next_ino;
	struct cpio_name *names;	/* written: parents once, no twins */
	size_t nnames;
	int error;		/* the first errno; later calls do nothing */
};

void cpio_init(struct cpio *c, FILE *out);
void cpio_free(struct cpio *c);

/*
 * Each returns 0, or -1 with errno: EINVAL for a name that is empty,
 * absolute, or has empty, "." or ".." components; EEXIST for a name
 * already written (a directory written again is not an error); ENOTDIR
 * for a name below one that is not a directory; EFBIG for
 * a file of 4 GiB or more; or the error of writing to out.  After a
 * write error, every call fails with the same errno: the archive is lost.
 */
int cpio_add_dir(struct cpio *c, const char *name, unsigned int perm);
int cpio_add_file(struct cpio *c, const char *name, unsigned int perm,
    const void *data, size_t len);
int cpio_add_chardev(struct cpio *c, const char *name, unsigned int perm,
    unsigned int major, unsigned int minor);

/* Writes the trailer and flushes out (which stays open). */
int cpio_finish(struct cpio *c);

#endif
