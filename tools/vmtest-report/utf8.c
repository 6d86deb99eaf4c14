/*
 * utf8.c: a decoder that follows Table 3-7 of the Unicode Standard
 * (well-formed byte sequences), so overlong forms, surrogates and code
 * points past U+10FFFF are ill-formed, as are stray continuation bytes.
 */
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "utf8.h"
#include "xalloc.h"

size_t
utf8_next(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned char lo = 0x80, hi = 0xbf;
	uint32_t c = u[0];
	size_t n, i;

	*cp = UTF8_REPLACEMENT;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 1;
	/* The second byte's range is what rules out overlong forms,
	 * surrogates (ED A0..BF) and what lies past U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	c &= n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07;
	for (i = 1; i < n; i++) {
		if (i >= len || u[i] < lo || u[i] > hi)
			return i;
		c = c << 6 | (u[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	*cp = c;
	return n;
}

bool
utf8_valid(const char *s, size_t len)
{
	uint32_t cp;
	size_t n;

	for (; len > 0; s += n, len -= n) {
		n = utf8_next(s, len, &cp);
		/* A well-formed U+FFFD takes three bytes, a replaced one less. */
		if (cp == UTF8_REPLACEMENT && n != 3)
			return false;
	}
	return true;
}

char *
utf8_repair(const char *s, size_t len, size_t *outlen)
{
	/* Each replaced byte grows to at most three. */
	char *out = xreallocarray(NULL, len + 1, 3), *o = out;
	uint32_t cp;
	size_t n;

	for (; len > 0; s += n, len -= n) {
		n = utf8_next(s, len, &cp);
		if (cp == UTF8_REPLACEMENT && n != 3) {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
		} else {
			memcpy(o, s, n);
			o += n;
		}
	}
	*o = '\0';
	*outlen = (size_t)(o - out);
	return out;
}

size_t
utf8_width(const char *s, size_t len)
{
	size_t n, width = 0;
	uint32_t cp;
	int w;

	for (; len > 0; s += n, len -= n) {
		n = utf8_next(s, len, &cp);
		w = wcwidth((wchar_t)cp);
		/*
		 * wcwidth knows nothing without a UTF-8 LC_CTYPE, and nothing
		 * of unassigned code points: a terminal shows those in one
		 * column, and control characters in none.
		 */
		if (w < 0)
			w = cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ? 0 : 1;
		width += (size_t)w;
	}
	return width;
}
