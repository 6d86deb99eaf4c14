/*
 * ascii: character classes and case folding for parsing what users
 * write, in ASCII only, so that the locale never changes what a flag or
 * a rule file means.
 */
#ifndef VT_ASCII_H
#define VT_ASCII_H

#include <stdbool.h>

static inline bool
ascii_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The value of a hexadecimal digit, either case; -1 for anything else. */
static inline int
ascii_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The characters C's isspace() takes in the C locale. */
static inline bool
ascii_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
	    c == '\r';
}

static inline char
ascii_to_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Whether a equals b, ignoring ASCII case. */
static inline bool
ascii_equal_nocase(const char *a, const char *b)
{
	while (*a != '\0' && ascii_to_lower(*a) == ascii_to_lower(*b)) {
		a++;
		b++;
	}
	return *a == '\0' && *b == '\0';
}

#endif
