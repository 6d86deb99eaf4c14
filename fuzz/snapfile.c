/*
 * The snapshot cache's entry check (snapfile_check): a file in the user's
 * cache may be anything, truncated, corrupt or not ours.  It must never
 * be taken for a whole entry unless it is one, nor crash the check.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lzma.h>

#include "../tools/qemu-launch/snapfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256];
	uint64_t crc = 0;
	size_t i;

	if (snapfile_check(data, size, why, sizeof(why)) != SNAPFILE_OK) {
		if (strlen(why) == 0)
			abort();
		return 0;
	}
	/* Whole: magic, length and checksum all agree. */
	if (size < SNAPFILE_HEADER || memcmp(data, "VTSNAP\r\n", 8) != 0)
		abort();
	for (i = 0; i < 8; i++)
		crc |= (uint64_t)data[24 + i] << (8 * i);
	if (crc != lzma_crc64(data + SNAPFILE_HEADER, size - SNAPFILE_HEADER,
	    0))
		abort();
	return 0;
}
