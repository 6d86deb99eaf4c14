/*
 * kversion: a kernel's release, what `uname -r` will say in the guest,
 * read from the kernel image itself rather than from its file name, so
 * that the modules directory follows the kernel that will run.
 *
 * The image's bytes are untrusted: every read is bounds-checked and every
 * unpacking bounded.
 */
#ifndef VM_INITRD_KVERSION_H
#define VM_INITRD_KVERSION_H

#include <stdbool.h>
#include <stddef.h>

/* The longest release the kernel has room for (__NEW_UTS_LEN). */
#define KVERSION_MAX 64

/*
 * Finds the release in an image of len bytes:
 *  - an x86 bzImage: the setup header's kernel_version string ("HdrS" at
 *    0x202, the string at 0x200 plus the 16-bit value at 0x20E);
 *  - an EFI zboot image ("zimg" at 4, as arm64 and riscv kernels may
 *    be): its gzip, xz or zstd payload, unpacked, as below;
 *  - a gzip, xz or zstd file (Debian's arm64 vmlinuz is a gzip'd Image):
 *    unpacked, at most unpack_limit bytes, and searched as below;
 *  - anything else (an ELF vmlinux, an arm64 Image): the first
 *    "Linux version " followed by a release and a space (linux_banner).
 * A release is 1 to KVERSION_MAX printable characters, not '/', starting
 * with a digit.  Returns 0 with it in version, or -1 with a reason.
 */
int kversion_read(const unsigned char *img, size_t len, size_t unpack_limit,
    char version[KVERSION_MAX + 1], char *why, size_t whylen);

/* Whether s is a release as kversion_read() returns them. */
bool kversion_valid(const char *s);

#endif
