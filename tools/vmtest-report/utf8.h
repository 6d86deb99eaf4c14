/*
 * utf8: UTF-8 one character at a time, whatever the bytes.  An ill-formed
 * sequence decodes to U+FFFD, one for each maximal subpart as Unicode
 * recommends (Python's "replace" does the same), so that what we write
 * from a result line or an output file is always well-formed UTF-8.
 */
#ifndef VMTEST_REPORT_UTF8_H
#define VMTEST_REPORT_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UTF8_REPLACEMENT 0xfffdu

/*
 * The character at s (len > 0): returns how many bytes it takes (1 to 4)
 * and sets *cp, U+FFFD for an ill-formed sequence.
 */
size_t utf8_next(const char *s, size_t len, uint32_t *cp);

/* Whether the len bytes at s are well-formed UTF-8. */
bool utf8_valid(const char *s, size_t len);

/*
 * A well-formed, NUL-terminated copy of s (malloc'd), each ill-formed
 * part replaced by U+FFFD; its length in *outlen.
 */
char *utf8_repair(const char *s, size_t len, size_t *outlen);

/* The display width of s on a terminal, in columns (wcwidth(3)). */
size_t utf8_width(const char *s, size_t len);

#endif
