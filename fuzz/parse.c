#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, buf[64];
	int64_t ms, ms2;
	uint64_t bytes, bytes2;

	if (memchr(data, '\0', size) != NULL)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';

	errno = 0;
	if (parse_duration_ms(s, &ms) == 0) {
		if (ms < 0)
			abort();
		snprintf(buf, sizeof(buf), "%" PRId64 "ms", ms);
		if (parse_duration_ms(buf, &ms2) != 0 || ms2 != ms)
			abort();
		if (ms % 1000 == 0) {
			snprintf(buf, sizeof(buf), "%" PRId64, ms / 1000);
			if (parse_duration_ms(buf, &ms2) != 0 || ms2 != ms)
				abort();
		}
	} else if (errno != EINVAL && errno != ERANGE)
		abort();

	errno = 0;
	if (parse_size(s, &bytes) == 0) {
		snprintf(buf, sizeof(buf), "%" PRIu64 "B", bytes);
		if (parse_size(buf, &bytes2) != 0 || bytes2 != bytes)
			abort();
		if (bytes % 1024 == 0) {
			snprintf(buf, sizeof(buf), "%" PRIu64 "KiB",
			    bytes / 1024);
			if (parse_size(buf, &bytes2) != 0 || bytes2 != bytes)
				abort();
		}
	} else if (errno != EINVAL && errno != ERANGE)
		abort();

	/*
	 * A plain number: the same whatever the range it is asked in, a
	 * size of that many bytes, and refused just outside its own value.
	 */
	errno = 0;
	if (parse_uint(s, 0, UINT64_MAX, &bytes) == 0) {
		if (parse_size(s, &bytes2) != 0 || bytes2 != bytes)
			abort();
		if (parse_uint(s, bytes, bytes, &bytes2) != 0 ||
		    bytes2 != bytes)
			abort();
		errno = 0;
		if (bytes > 0 && (parse_uint(s, 0, bytes - 1, &bytes2) == 0 ||
		    errno != ERANGE))
			abort();
		errno = 0;
		if (bytes < UINT64_MAX && (parse_uint(s, bytes + 1,
		    UINT64_MAX, &bytes2) == 0 || errno != ERANGE))
			abort();
		snprintf(buf, sizeof(buf), "%" PRIu64, bytes);
		if (parse_uint(buf, 0, UINT64_MAX, &bytes2) != 0 ||
		    bytes2 != bytes)
			abort();
	} else if (errno == ERANGE) {
		/* Digits alone, past 2^64 - 1: too big as a size too. */
		errno = 0;
		if (parse_size(s, &bytes2) == 0 || errno != ERANGE)
			abort();
	} else if (errno != EINVAL)
		abort();

	free(s);
	return 0;
}
