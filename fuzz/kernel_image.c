/*
 * qemu-launch's reader of kernel images (kernel.c over lib/kimage.c): the
 * bzImage setup header and its payload, the EFI zboot header, the ELF
 * notes, gzip, xz, zstd and lzma payloads.  The first byte picks the
 * architecture, the rest is the image.
 *
 * Besides not crashing, two oracles: what it returns is what it says
 * (a PVH ELF has the note, an Image has the magic); and the input wrapped
 * in a hand-made bzImage (x86_64) or zboot image (aarch64) around a gzip
 * of it unpacks to the input exactly when the input is such a kernel.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gzip-of.h"
#include "../tools/qemu-launch/kernel.h"
#include "kimage.h"
#include "le.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Big enough for any seed's payload, small enough for a fuzzer's memory. */
#define LIMIT (4 * 1024 * 1024)

/* Unpacks and checks that the answer is consistent; returns the form. */
static int
checked(const unsigned char *img, size_t len, enum arch arch,
    unsigned char **out, size_t *out_len)
{
	char why[512];
	int rc;

	why[0] = '\0';
	rc = kernel_unpack(img, len, arch, LIMIT, out, out_len, why,
	    sizeof(why));
	if (rc < 0 && (why[0] == '\0' || *out != NULL))
		abort();
	if (rc == KERNEL_AS_GIVEN && *out != NULL)
		abort();
	if (rc == KERNEL_PVH_ELF && (arch != ARCH_X86_64 ||
	    !kimage_has_pvh_note(*out, *out_len)))
		abort();
	if (rc == KERNEL_IMAGE && (arch != ARCH_AARCH64 || *out_len < 64 ||
	    memcmp(*out + 0x38, "ARM\x64", 4) != 0))
		abort();
	if (*out_len > LIMIT)
		abort();
	return rc;
}

/*
 * A zeroed header of head bytes with the gzip'd payload after it; the
 * callers fill in the header by hand, not with lib/kimage, so that the
 * oracle does not share the parser's mistakes.
 */
static unsigned char *
around(size_t head, const unsigned char *gz, size_t gz_len, size_t *len)
{
	unsigned char *img;

	*len = head + gz_len;
	if ((img = calloc(1, *len)) == NULL)
		abort();
	memcpy(img + head, gz, gz_len);
	return img;
}

/* A bzImage (protocol 2.15, one setup sector) around a gzip'd payload. */
static unsigned char *
bzimage_of(const unsigned char *gz, size_t gz_len, size_t *len)
{
	unsigned char *img = around(1024, gz, gz_len, len);

	img[0x1f1] = 1;
	memcpy(img + 0x202, "HdrS", 4);
	img[0x206] = 0x0f;
	img[0x207] = 0x02;
	put_le32(img + 0x248, 0);
	put_le32(img + 0x24c, (uint32_t)gz_len);
	return img;
}

/* An EFI zboot image around a gzip'd payload. */
static unsigned char *
zboot_of(const unsigned char *gz, size_t gz_len, size_t *len)
{
	unsigned char *img = around(64, gz, gz_len, len);

	memcpy(img, "MZ", 2);
	memcpy(img + 4, "zimg", 4);
	put_le32(img + 8, 64);
	put_le32(img + 12, (uint32_t)gz_len);
	memcpy(img + 24, "gzip", 4);
	return img;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum arch arch;
	unsigned char *out, *gz, *img;
	size_t out_len, gz_len, len;
	bool is_kernel;
	int rc;

	if (size < 1)
		return 0;
	arch = (data[0] & 1) ? ARCH_AARCH64 : ARCH_X86_64;
	checked(data + 1, size - 1, arch, &out, &out_len);
	free(out);
	kimage_has_pvh_note(data + 1, size - 1);

	/* The wrapped input: unpacked to itself iff it is the kernel. */
	if (size - 1 > 64 * 1024)
		return 0;
	gz = gzip_of(data + 1, size - 1, &gz_len);
	if (arch == ARCH_X86_64) {
		img = bzimage_of(gz, gz_len, &len);
		is_kernel = kimage_has_pvh_note(data + 1, size - 1);
	} else {
		img = zboot_of(gz, gz_len, &len);
		is_kernel = size - 1 >= 64 &&
		    memcmp(data + 1 + 0x38, "ARM\x64", 4) == 0;
	}
	rc = checked(img, len, arch, &out, &out_len);
	if ((rc > 0) != is_kernel)
		abort();
	if (rc > 0 && (out_len != size - 1 ||
	    memcmp(out, data + 1, out_len) != 0))
		abort();
	free(out);
	free(img);
	free(gz);
	return 0;
}
