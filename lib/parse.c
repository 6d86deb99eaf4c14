#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ascii.h"
#include "parse.h"

/* The multiplier letters of parse_size, the n-th meaning 1024^(n+1). */
static const char size_units[] = "kmgtpe";

static size_t
span_digits(const char *s)
{
	size_t n = 0;

	while (ascii_is_digit(s[n]))
		n++;
	return n;
}

/* The value of the n digits at s, or -1 if it is above max. */
static int
digits_value(const char *s, size_t n, uint64_t max, uint64_t *value)
{
	uint64_t v = 0, d;
	size_t i;

	for (i = 0; i < n; i++) {
		d = (uint64_t)(s[i] - '0');
		/* d > max first: max - d would wrap for a max below 9. */
		if (d > max || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*value = v;
	return 0;
}

int
parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	size_t len = span_digits(s);
	uint64_t v;

	if (len == 0 || s[len] != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (digits_value(s, len, max, &v) == -1 || v < min) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

int
parse_duration_ms(const char *s, int64_t *ms)
{
	const char *frac = NULL, *unit;
	size_t int_len, frac_len = 0, i;
	uint64_t scale, whole, part = 0, t;
	bool rest = false;

	int_len = span_digits(s);
	if (int_len == 0)
		goto invalid;
	unit = s + int_len;
	if (*unit == '.') {
		frac = unit + 1;
		frac_len = span_digits(frac);
		if (frac_len == 0)
			goto invalid;
		unit = frac + frac_len;
	}
	if (strcmp(unit, "ms") == 0)
		scale = 1;
	else if (strcmp(unit, "") == 0 || strcmp(unit, "s") == 0)
		scale = 1000;
	else if (strcmp(unit, "m") == 0)
		scale = 60 * 1000;
	else if (strcmp(unit, "h") == 0)
		scale = 60 * 60 * 1000;
	else
		goto invalid;

	/*
	 * Multiply the fraction by scale one digit at a time from its right
	 * end, as on paper, so that any number of digits is exact: what
	 * carries out of the first digit is the whole milliseconds, and a
	 * nonzero digit left behind is part of one more.  The carry stays
	 * below scale.
	 */
	for (i = frac_len; i > 0; i--) {
		t = (uint64_t)(frac[i - 1] - '0') * scale + part;
		if (t % 10 != 0)
			rest = true;
		part = t / 10;
	}
	if (rest)
		part++;

	if (digits_value(s, int_len, INT64_MAX, &whole) == -1 ||
	    whole > (INT64_MAX - part) / scale) {
		errno = ERANGE;
		return -1;
	}
	*ms = (int64_t)(whole * scale + part);
	return 0;

invalid:
	errno = EINVAL;
	return -1;
}

int
parse_size(const char *s, uint64_t *bytes)
{
	const char *suffix;
	size_t len, i;
	unsigned int shift = 0;
	uint64_t v;

	len = span_digits(s);
	if (len == 0)
		goto invalid;
	suffix = s + len;
	for (i = 0; size_units[i] != '\0'; i++) {
		if (ascii_to_lower(*suffix) == size_units[i]) {
			shift = 10 * (unsigned int)(i + 1);
			suffix++;
			break;
		}
	}
	if (!ascii_equal_nocase(suffix, "") && !ascii_equal_nocase(suffix, "b") &&
	    !(shift != 0 && ascii_equal_nocase(suffix, "ib")))
		goto invalid;

	if (digits_value(s, len, UINT64_MAX >> shift, &v) == -1) {
		errno = ERANGE;
		return -1;
	}
	*bytes = v << shift;
	return 0;

invalid:
	errno = EINVAL;
	return -1;
}

const char *
format_duration_ms(int64_t ms, char *buf, size_t size)
{
	if (ms % 3600000 == 0 && ms > 0)
		snprintf(buf, size, "%" PRId64 "h", ms / 3600000);
	else if (ms % 60000 == 0 && ms > 0)
		snprintf(buf, size, "%" PRId64 "m", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(buf, size, "%" PRId64 "s", ms / 1000);
	else if (ms > 1000) {
		char frac[4];
		int digits = 3;

		snprintf(frac, sizeof(frac), "%03" PRId64, ms % 1000);
		while (frac[digits - 1] == '0')
			digits--;
		snprintf(buf, size, "%" PRId64 ".%.*ss", ms / 1000, digits,
		    frac);
	} else
		snprintf(buf, size, "%" PRId64 "ms", ms);
	return buf;
}
