/*
 * vm-initrd's readers of image bytes: the kernel release from any kind of
 * kernel image (setup header, EFI zboot, gzip/xz/zstd, raw banner search),
 * and the check that an init is a static ELF executable.
 *
 * Besides not crashing, the banner search has an oracle: the same bytes,
 * placed across the edge of the streaming search's window and gzipped,
 * must give the same answer as the plain search of the whole buffer,
 * except that the plain file alone may also find it in a compressed
 * stream inside it (an s390x bzImage's), which needs a stream's magic.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gzip-of.h"
#include "../tools/vm-initrd/initbin.h"
#include "../tools/vm-initrd/kversion.h"
#include "unpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether a gzip, xz or zstd magic is in p[0..n). */
static int
has_stream(const unsigned char *p, size_t n)
{
	return memmem(p, n, "\x1f\x8b\x08", 3) != NULL ||
	    memmem(p, n, "\xfd" "7zXZ\0", 6) != NULL ||
	    memmem(p, n, "\x28\xb5\x2f\xfd", 4) != NULL;
}

/* The streaming search's window (kversion.c); the input straddles it. */
#define WINDOW (256 * 1024)

static int
release_of(const unsigned char *img, size_t len, char *version)
{
	char why[512];
	int rc;

	why[0] = '\0';
	rc = kversion_read(img, len, 4 * 1024 * 1024, version, why,
	    sizeof(why));
	if (rc == 0 && !kversion_valid(version))
		abort();
	if (rc < 0 && (why[0] == '\0' || strlen(why) >= sizeof(why)))
		abort();
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char v1[KVERSION_MAX + 1], v2[KVERSION_MAX + 1], why[512];
	unsigned char *padded, *gz;
	size_t lead, gz_len;
	int r1, r2;

	release_of(data, size, v1);
	init_check(data, size, why, sizeof(why));

	/*
	 * Zeros first (no magic, no header), then the input across the
	 * window's edge: the plain search and the unpacked one agree.
	 */
	if (size > 64 * 1024)
		return 0;
	lead = WINDOW - size / 2 - 1;
	if ((padded = calloc(1, lead + size)) == NULL)
		abort();
	memcpy(padded + lead, data, size);
	r1 = release_of(padded, lead + size, v1);
	gz = gzip_of(padded, lead + size, &gz_len);
	if (unpack_detect(gz, gz_len) != UNPACK_GZIP)
		abort();
	r2 = release_of(gz, gz_len, v2);
	if (r2 == 0 && (r1 != 0 || strcmp(v1, v2) != 0))
		abort();
	if (r1 == 0 && r2 != 0 && !has_stream(data, size))
		abort();
	free(gz);
	free(padded);
	return 0;
}
