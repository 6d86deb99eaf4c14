/*
 * lib/kimage and lib/le: each kind of header found at its least size and
 * not a byte below it, ranges that end at the file's end or just past it
 * (32-bit fields that would wrap a 32-bit sum), names that do not end.
 * Buffers are malloc'd to their exact size, so that a sanitizer build
 * sees any read past them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kimage.h"
#include "le.h"

static unsigned char *
zeros(size_t n)
{
	unsigned char *p = calloc(1, n);

	if (p == NULL)
		abort();
	return p;
}

/* A bzImage of len bytes, boot protocol proto, one setup sector. */
static unsigned char *
bzimage(size_t len, unsigned proto)
{
	unsigned char *p = zeros(len);

	p[0x1f1] = 1;
	memcpy(p + 0x202, "HdrS", 4);
	p[0x206] = proto & 0xff;
	p[0x207] = proto >> 8;
	return p;
}

/* A zboot image of len bytes, its name ("" for none written). */
static unsigned char *
zboot(size_t len, const char *name)
{
	unsigned char *p = zeros(len);

	memcpy(p, "MZ", 2);
	memcpy(p + 4, "zimg", 4);
	memcpy(p + 24, name, strlen(name));
	return p;
}

static void
test_le(void)
{
	unsigned char b[8];

	put_le64(b, 0x0807060504030201ULL);
	CHECK(b[0] == 1 && b[7] == 8);
	CHECK(le16(b) == 0x0201);
	CHECK(le32(b) == 0x04030201);
	CHECK(le64(b) == 0x0807060504030201ULL);
	put_le32(b, 0xfffefdfc);
	CHECK(le32(b) == 0xfffefdfc && le16(b + 2) == 0xfffe);
}

static void
test_bzimage(void)
{
	unsigned char *p;
	size_t off = 0, size = 0;

	p = bzimage(0x20f, 0x20f);
	CHECK(!kimage_is_bzimage(p, 0x20f));
	free(p);

	/* kernel_version: none before 2.00 or when 0, past the end. */
	p = bzimage(0x210, 0x1ff);
	p[0x20e] = 0x10;
	CHECK(kimage_is_bzimage(p, 0x210));
	CHECK(kimage_bzimage_kversion(p, 0x210, &off) == KIMAGE_NONE);
	p[0x206] = 0x00;
	p[0x207] = 0x02;
	CHECK(kimage_bzimage_kversion(p, 0x210, &off) == KIMAGE_OUTSIDE);
	p[0x20e] = 0x0f;
	CHECK(kimage_bzimage_kversion(p, 0x210, &off) == KIMAGE_FOUND &&
	    off == 0x20f);
	p[0x20e] = 0;
	CHECK(kimage_bzimage_kversion(p, 0x210, &off) == KIMAGE_NONE);
	/* Too short for the payload fields. */
	CHECK(kimage_bzimage_payload(p, 0x210, &off, &size) == KIMAGE_NONE);
	free(p);

	p = bzimage(0x450, 0x207);
	CHECK(kimage_bzimage_payload(p, 0x450, &off, &size) == KIMAGE_NONE);
	p[0x206] = 0x08;
	/* Offset 0 from 0x400, 0x50 bytes: to the end exactly. */
	put_le32(p + 0x24c, 0x50);
	CHECK(kimage_bzimage_payload(p, 0x450, &off, &size) ==
	    KIMAGE_FOUND && off == 0x400 && size == 0x50);
	put_le32(p + 0x24c, 0x51);
	CHECK(kimage_bzimage_payload(p, 0x450, &off, &size) ==
	    KIMAGE_OUTSIDE);
	put_le32(p + 0x248, 0x51);
	put_le32(p + 0x24c, 0);
	CHECK(kimage_bzimage_payload(p, 0x450, &off, &size) ==
	    KIMAGE_OUTSIDE);
	put_le32(p + 0x248, 0x50);
	CHECK(kimage_bzimage_payload(p, 0x450, &off, &size) ==
	    KIMAGE_FOUND && off == 0x450 && size == 0);
	put_le32(p + 0x248, 0xffffffff);
	put_le32(p + 0x24c, 0xffffffff);
	CHECK(kimage_bzimage_payload(p, 0x450, &off, &size) ==
	    KIMAGE_OUTSIDE);
	/* Setup sectors of 0 mean 4. */
	p[0x1f1] = 0;
	put_le32(p + 0x248, 0);
	put_le32(p + 0x24c, 0x50);
	CHECK(kimage_bzimage_payload(p, 0x450, &off, &size) ==
	    KIMAGE_OUTSIDE);
	free(p);
}

static void
test_zboot(void)
{
	/* The last: 32 bytes and no NUL before the Image magic's place. */
	static const struct {
		const char *name;
		enum unpack_format f;
	} names[] = {
		{ "gzip", UNPACK_GZIP }, { "xz", UNPACK_XZ },
		{ "zstd", UNPACK_ZSTD }, { "lzma", UNPACK_LZMA },
		{ "lz4", UNPACK_NONE }, { "gzi", UNPACK_NONE },
		{ "gzipgzipgzipgzipgzipgzipgzipgzip", UNPACK_NONE },
	};
	unsigned char *p;
	size_t off = 0, size = 0, i;

	p = zboot(31, "");
	CHECK(!kimage_is_zboot(p, 31));
	CHECK(kimage_zboot_payload(p, 31, &off, &size) == KIMAGE_NONE);
	free(p);

	/* A zboot image, but too short for its name to end. */
	p = zboot(32, "gzip");
	CHECK(kimage_is_zboot(p, 32));
	CHECK(kimage_zboot_format(p, 32) == UNPACK_NONE);
	put_le32(p + 8, 32);
	CHECK(kimage_zboot_payload(p, 32, &off, &size) == KIMAGE_FOUND &&
	    off == 32 && size == 0);
	put_le32(p + 12, 1);
	CHECK(kimage_zboot_payload(p, 32, &off, &size) == KIMAGE_OUTSIDE);
	put_le32(p + 8, 1);
	put_le32(p + 12, 0xffffffff);
	CHECK(kimage_zboot_payload(p, 32, &off, &size) == KIMAGE_OUTSIDE);
	free(p);

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		p = zboot(0x38, names[i].name);
		CHECK(kimage_zboot_format(p, 0x38) == names[i].f);
		free(p);
	}
}

static void
test_arm64(void)
{
	unsigned char *p = zeros(64);

	memcpy(p + 0x38, "ARM\x64", 4);
	CHECK(kimage_is_arm64(p, 64));
	CHECK(!kimage_is_arm64(p, 63));
	p[0x3b] = 0x65;
	CHECK(!kimage_is_arm64(p, 64));
	free(p);
}

/* An ELF64 with one PT_NOTE at 0x78 holding the note given. */
static unsigned char *
elf64(size_t *len, uint32_t namesz, const char *name, uint32_t type)
{
	unsigned char *p;

	*len = 0x78 + 12 + 4 + 4;
	p = zeros(*len);
	memcpy(p, "\177ELF", 4);
	p[4] = 2;
	p[5] = 1;
	put_le64(p + 0x20, 0x40);
	p[0x36] = 56;
	p[0x38] = 1;
	put_le32(p + 0x40, 4);
	put_le64(p + 0x40 + 8, 0x78);
	put_le64(p + 0x40 + 32, 12 + 4 + 4);
	put_le64(p + 0x40 + 48, 4);
	put_le32(p + 0x78, namesz);
	put_le32(p + 0x78 + 4, 4);
	put_le32(p + 0x78 + 8, type);
	memcpy(p + 0x78 + 12, name, 4);
	return p;
}

static void
test_pvh_note(void)
{
	unsigned char *p;
	size_t len;

	p = elf64(&len, 4, "Xen", 18);
	CHECK(kimage_has_pvh_note(p, len));
	/* Cut before the note's descriptor ends, or its program header. */
	CHECK(!kimage_has_pvh_note(p, len - 1));
	CHECK(!kimage_has_pvh_note(p, 0x40 + 55));
	free(p);
	p = elf64(&len, 4, "Xen", 17);
	CHECK(!kimage_has_pvh_note(p, len));
	free(p);
	p = elf64(&len, 0xffffffff, "Xen", 18);
	CHECK(!kimage_has_pvh_note(p, len));
	free(p);
	p = elf64(&len, 4, "Gnu", 18);
	CHECK(!kimage_has_pvh_note(p, len));
	free(p);
}

int
main(void)
{
	test_le();
	test_bzimage();
	test_zboot();
	test_arm64();
	test_pvh_note();
	return check_result();
}
