#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kimage.h"
#include "le.h"

/* The x86 boot protocol's setup header. */
#define HDR_SETUP_SECTS 0x1f1		/* u8; 0 means 4 */
#define HDR_MAGIC 0x202			/* "HdrS" */
#define HDR_VERSION 0x206		/* le16 */
#define HDR_KVERSION 0x20e		/* le16, from 0x200; protocol 2.00 */
#define HDR_KVERSION_END 0x210
#define HDR_PAYLOAD 0x248		/* le32 offset, le32 length */
#define HDR_PAYLOAD_END 0x250
/* payload_offset and payload_length came with protocol 2.08. */
#define HDR_PAYLOAD_VERSION 0x0208
#define HDR_KVERSION_VERSION 0x0200

/*
 * struct linux_efi_zboot_header: "MZ", "zimg", le32 payload offset and
 * size, two reserved words, then the compression's name as a C string
 * that ends before the arm64 Image magic at 0x38.
 */
#define ZBOOT_MAGIC 4			/* "zimg" */
#define ZBOOT_PAYLOAD 8			/* le32 offset, le32 size */
#define ZBOOT_NAME_END 0x38

#define ARM64_MAGIC 0x38		/* "ARM\x64" */

/* ELF: the PVH entry point is a note of Xen's. */
#define PT_NOTE_TYPE 4
#define XEN_ELFNOTE_PHYS32_ENTRY 18

/* Where p[off..off + size) lies, with off and size as a header says. */
static enum kimage_found
range(size_t len, uint64_t off, uint64_t size, size_t *offp, size_t *sizep)
{
	if (off > len || size > len - off)
		return KIMAGE_OUTSIDE;
	*offp = (size_t)off;
	*sizep = (size_t)size;
	return KIMAGE_FOUND;
}

bool
kimage_is_arm64(const unsigned char *p, size_t len)
{
	return len >= KIMAGE_ARM64_HEADER &&
	    memcmp(p + ARM64_MAGIC, "ARM\x64", 4) == 0;
}

bool
kimage_is_bzimage(const unsigned char *p, size_t len)
{
	return len >= HDR_KVERSION_END && memcmp(p + HDR_MAGIC, "HdrS", 4) ==
	    0;
}

enum kimage_found
kimage_bzimage_kversion(const unsigned char *p, size_t len, size_t *off)
{
	size_t at;

	if (!kimage_is_bzimage(p, len) ||
	    le16(p + HDR_VERSION) < HDR_KVERSION_VERSION ||
	    le16(p + HDR_KVERSION) == 0)
		return KIMAGE_NONE;
	at = 0x200 + le16(p + HDR_KVERSION);
	if (at >= len)
		return KIMAGE_OUTSIDE;
	*off = at;
	return KIMAGE_FOUND;
}

enum kimage_found
kimage_bzimage_payload(const unsigned char *p, size_t len, size_t *off,
    size_t *size)
{
	uint64_t setup;

	if (!kimage_is_bzimage(p, len) || len < HDR_PAYLOAD_END ||
	    le16(p + HDR_VERSION) < HDR_PAYLOAD_VERSION)
		return KIMAGE_NONE;
	/* The payload's offset counts from the protected-mode code. */
	setup = p[HDR_SETUP_SECTS] != 0 ? p[HDR_SETUP_SECTS] : 4;
	return range(len, (setup + 1) * 512 + le32(p + HDR_PAYLOAD),
	    le32(p + HDR_PAYLOAD + 4), off, size);
}

bool
kimage_is_zboot(const unsigned char *p, size_t len)
{
	return len >= KIMAGE_ZBOOT_MIN && memcmp(p, "MZ", 2) == 0 &&
	    memcmp(p + ZBOOT_MAGIC, "zimg", 4) == 0;
}

enum kimage_found
kimage_zboot_payload(const unsigned char *p, size_t len, size_t *off,
    size_t *size)
{
	if (!kimage_is_zboot(p, len))
		return KIMAGE_NONE;
	return range(len, le32(p + ZBOOT_PAYLOAD), le32(p + ZBOOT_PAYLOAD +
	    4), off, size);
}

enum unpack_format
kimage_zboot_format(const unsigned char *p, size_t len)
{
	static const struct {
		const char *name;
		enum unpack_format f;
	} names[] = {
		{ "gzip", UNPACK_GZIP }, { "xz", UNPACK_XZ },
		{ "zstd", UNPACK_ZSTD }, { "lzma", UNPACK_LZMA },
	};
	const char *name = (const char *)p + KIMAGE_ZBOOT_NAME;
	size_t i;

	if (!kimage_is_zboot(p, len) || len < ZBOOT_NAME_END ||
	    strnlen(name, ZBOOT_NAME_END - KIMAGE_ZBOOT_NAME) ==
	    ZBOOT_NAME_END - KIMAGE_ZBOOT_NAME)
		return UNPACK_NONE;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i].name) == 0)
			return names[i].f;
	return UNPACK_NONE;
}

/* Whether the notes in p[0..n), aligned to align, hold Xen's PVH entry. */
static bool
notes_have_pvh(const unsigned char *p, uint64_t n, uint64_t align)
{
	uint64_t pos = 0, namesz, descsz, type;

	while (n - pos >= 12) {
		namesz = le32(p + pos);
		descsz = le32(p + pos + 4);
		type = le32(p + pos + 8);
		pos += 12;
		if (namesz > n - pos)
			return false;
		if (namesz == 4 && memcmp(p + pos, "Xen", 4) == 0 &&
		    type == XEN_ELFNOTE_PHYS32_ENTRY)
			return true;
		/* Sizes are 32-bit: none of this can overflow 64 bits. */
		pos += (namesz + align - 1) / align * align;
		if (pos > n)
			return false;
		pos += (descsz + align - 1) / align * align;
		if (pos > n)
			return false;
	}
	return false;
}

bool
kimage_has_pvh_note(const unsigned char *p, size_t len)
{
	uint64_t phoff, entsize, phnum, i, ph, off, size, align;
	bool is64;

	if (len < 52 || memcmp(p, "\177ELF", 4) != 0 || p[5] != 1 ||
	    (p[4] != 1 && p[4] != 2))
		return false;
	is64 = p[4] == 2;
	if (is64) {
		if (len < 64)
			return false;
		phoff = le64(p + 0x20);
		entsize = le16(p + 0x36);
		phnum = le16(p + 0x38);
	} else {
		phoff = le32(p + 0x1c);
		entsize = le16(p + 0x2a);
		phnum = le16(p + 0x2c);
	}
	if (entsize < (is64 ? 56u : 32u) || phoff > len ||
	    entsize * phnum > len - phoff)
		return false;
	for (i = 0; i < phnum; i++) {
		ph = phoff + i * entsize;
		if (le32(p + ph) != PT_NOTE_TYPE)
			continue;
		if (is64) {
			off = le64(p + ph + 8);
			size = le64(p + ph + 32);
			align = le64(p + ph + 48);
		} else {
			off = le32(p + ph + 4);
			size = le32(p + ph + 16);
			align = le32(p + ph + 28);
		}
		if (off > len || size > len - off)
			continue;
		/* Notes are 4-aligned, but for the GNU ones that say 8. */
		if (notes_have_pvh(p + off, size, align == 8 ? 8 : 4))
			return true;
	}
	return false;
}
