/*
 * parse: the numbers, durations and sizes users write in flags and INI
 * files.
 *
 * Every parser takes the whole string or nothing: no surrounding spaces,
 * no sign.  On failure they return -1 with errno EINVAL for a malformed
 * string or ERANGE for a value out of range, and leave the result
 * untouched.  vm-init links this file with libc alone: keep it so.
 */
#ifndef VT_PARSE_H
#define VT_PARSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * A duration is a decimal number, optionally with a fraction that has
 * digits on both sides of the point ("1.5", not "1." or ".5"), followed by
 * an optional unit "ms", "s", "m" or "h"; without a unit it is seconds.
 * A fraction that leaves part of a millisecond is rounded up, so only an
 * exact zero gives 0.
 */
int parse_duration_ms(const char *s, int64_t *ms);

/*
 * A size is a decimal integer of bytes, optionally followed by "B" or by
 * one of K, M, G, T, P, E (powers of 1024) alone or followed by "B" or
 * "iB", in any case: "8G", "8gib" and "8GB" are all 8 GiB.
 */
int parse_size(const char *s, uint64_t *bytes);

/*
 * A count, an index, a seed: decimal digits only ("007" is 7), from min
 * to max inclusive.  A value outside them, however many digits it has,
 * is ERANGE.
 */
int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/*
 * Writes a duration the way users write one ("300ms", "10s", "2m",
 * "1.5s"), the shortest exact form.  Returns buf.
 */
const char *format_duration_ms(int64_t ms, char *buf, size_t size);

#endif
