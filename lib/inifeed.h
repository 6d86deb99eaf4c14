/*
 * inifeed: the heart of the reader callback libinih's ini_parse_stream()
 * calls, for parsers that prepare each line themselves (to count lines,
 * or to make libinih agree with another grammar) and hand it over in as
 * many pieces as libinih's buffer takes.
 */
#ifndef VT_INIFEED_H
#define VT_INIFEED_H

#include <stddef.h>
#include <string.h>

/*
 * Copies the next piece of line (len bytes, *served of them handed over
 * already) into buf, size bytes with the NUL, and returns buf; NULL when
 * nothing is left or buf cannot hold a byte.
 */
static inline char *
ini_feed_piece(const char *line, size_t len, size_t *served, char *buf,
    int size)
{
	size_t n;

	if (size < 2 || *served >= len)
		return NULL;
	n = len - *served;
	if (n > (size_t)size - 1)
		n = (size_t)size - 1;
	memcpy(buf, line + *served, n);
	buf[n] = '\0';
	*served += n;
	return buf;
}

#endif
