/*
 * number.c: jq 1.6 prints a number with the shortest digits that read
 * back as the same double (dtoa's mode 0), laid out by its jvp_dtoa_fmt:
 * an exponent when the point lies 4 or more places left of the first
 * digit or 16 or more places right of the last, else plain decimals.
 * NaN is "null" and infinities are the largest finite doubles.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "number.h"

/*
 * The shortest digits of x > 0 that read back as x, without trailing
 * zeros, and the place of the point: x = 0.DIGITS * 10^decpt.  printf's
 * %e rounds correctly, so the first precision that round-trips gives
 * the digits dtoa's mode 0 would.
 */
static size_t
shortest_digits(double x, char digits[18], int *decpt)
{
	char buf[40], *e;
	size_t n = 0, i;
	int p;

	for (p = 1; p <= 17; p++) {
		snprintf(buf, sizeof(buf), "%.*e", p - 1, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	e = strchr(buf, 'e');
	for (i = 0; buf + i < e; i++)
		if (buf[i] != '.')
			digits[n++] = buf[i];
	while (n > 1 && digits[n - 1] == '0')
		n--;
	digits[n] = '\0';
	*decpt = atoi(e + 1) + 1;
	return n;
}

const char *
number_text(double x, char *buf)
{
	char digits[18], *b = buf;
	size_t n, i;
	int decpt;

	if (isnan(x))
		return strcpy(buf, "null");
	if (signbit(x)) {
		*b++ = '-';
		x = -x;
	}
	if (x > DBL_MAX)
		x = DBL_MAX;
	if (x == 0) {
		strcpy(b, "0");
		return buf;
	}
	n = shortest_digits(x, digits, &decpt);
	if (decpt <= -4 || decpt > (int)n + 15) {
		*b++ = digits[0];
		if (n > 1) {
			*b++ = '.';
			memcpy(b, digits + 1, n - 1);
			b += n - 1;
		}
		snprintf(b, 16, "e%c%02d", decpt - 1 < 0 ? '-' : '+',
		    abs(decpt - 1));
	} else if (decpt <= 0) {
		*b++ = '0';
		*b++ = '.';
		for (; decpt < 0; decpt++)
			*b++ = '0';
		strcpy(b, digits);
	} else {
		for (i = 0; i < n; i++) {
			*b++ = digits[i];
			if (--decpt == 0 && i + 1 < n)
				*b++ = '.';
		}
		for (; decpt > 0; decpt--)
			*b++ = '0';
		*b = '\0';
	}
	return buf;
}
