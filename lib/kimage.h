/*
 * kimage: the layouts of the kernel images read on the host, known once
 * for both readers (qemu-launch's unpacking, vm-initrd's release): the
 * x86 bzImage setup header (Documentation/arch/x86/boot.rst), the EFI
 * zboot header (drivers/firmware/efi/libstub/zboot-header.S), the arm64
 * Image header (Documentation/arch/arm64/booting.rst) and the PVH entry
 * note of an ELF vmlinux.  What to do with an image is the readers' own.
 *
 * The bytes are untrusted: every field is read within p[0..len), and
 * every range handed back lies within it.
 */
#ifndef VT_KIMAGE_H
#define VT_KIMAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "unpack.h"

/* What a look for a field found. */
enum kimage_found {
	KIMAGE_NONE,		/* not that kind of image, or no such field */
	KIMAGE_FOUND,		/* there, and within the file */
	KIMAGE_OUTSIDE,		/* there, but pointing past the file's end */
};

/* An arm64 Image's header, whose last field is the magic. */
#define KIMAGE_ARM64_HEADER 64

/*
 * An EFI zboot header is recognised with its fixed fields and the first
 * bytes of the compression's name, at KIMAGE_ZBOOT_NAME: KIMAGE_ZBOOT_MIN
 * bytes, room for every name the kernel writes.
 */
#define KIMAGE_ZBOOT_NAME 24
#define KIMAGE_ZBOOT_MIN 32

/* Whether p[0..len) is an arm64 Image: "ARM\x64" at 0x38. */
bool kimage_is_arm64(const unsigned char *p, size_t len);

/*
 * Whether p[0..len) is an x86 bzImage: "HdrS" at 0x202, and the setup
 * header through its kernel_version field.
 */
bool kimage_is_bzimage(const unsigned char *p, size_t len);

/*
 * A bzImage's kernel_version string (a C string at 0x200 plus the field):
 * its offset in *off, or KIMAGE_NONE for no bzImage, a boot protocol
 * before 2.00 or a field of 0.  The string may run to the file's end.
 */
enum kimage_found kimage_bzimage_kversion(const unsigned char *p,
    size_t len, size_t *off);

/*
 * A bzImage's compressed payload, p[*off..*off + *size); KIMAGE_NONE also
 * for a boot protocol before 2.08, which does not say where it is.  The
 * payload may be empty.
 */
enum kimage_found kimage_bzimage_payload(const unsigned char *p,
    size_t len, size_t *off, size_t *size);

/* Whether p[0..len) is an EFI zboot image: "MZ", "zimg" at 4. */
bool kimage_is_zboot(const unsigned char *p, size_t len);

/*
 * A zboot image's compressed payload, p[*off..*off + *size).  The payload
 * may be empty.
 */
enum kimage_found kimage_zboot_payload(const unsigned char *p, size_t len,
    size_t *off, size_t *size);

/*
 * The compression a zboot header names (gzip, xz, zstd, lzma as the
 * kernel's Makefile writes them); UNPACK_NONE for no zboot image, another
 * name, or one that does not end within the name's 32 bytes.
 */
enum unpack_format kimage_zboot_format(const unsigned char *p, size_t len);

/* Whether p[0..len) is a little-endian ELF with Xen's PVH entry note. */
bool kimage_has_pvh_note(const unsigned char *p, size_t len);

#endif
