/*
 * base64: RFC 4648 base64 with the standard alphabet, as the QEMU guest
 * agent speaks it.  Encoding is always padded; decoding is lenient about
 * whitespace and missing padding but strict about everything else.
 */
#ifndef VT_BASE64_H
#define VT_BASE64_H

#include <stddef.h>

/*
 * The length of the padded encoding of n bytes, without the NUL, or
 * SIZE_MAX if that length does not fit in a size_t (a real encoded length
 * is a multiple of 4, so it never is SIZE_MAX).
 */
size_t base64_encoded_size(size_t n);

/*
 * Encodes len bytes into a malloc'd, padded, NUL-terminated string and
 * stores its length in *out_len unless out_len is NULL.  Returns NULL with
 * errno ENOMEM only if the length would overflow; running out of memory
 * ends the tool (xalloc.h).
 */
char *base64_encode(const void *data, size_t len, size_t *out_len);

/* An upper bound for the decoded size of encoded_len input characters. */
size_t base64_decoded_max(size_t encoded_len);

/*
 * Decodes in_len characters of in (which need not be NUL-terminated) into
 * out, which must have room for base64_decoded_max(in_len) bytes, and
 * stores the decoded length in *out_len.  Spaces, tabs, CRs and LFs are
 * skipped anywhere; the trailing '=' padding may be left out, but if
 * present it must complete the last group.  Unused low bits in the last
 * group are ignored.  Any other character, misplaced '=', data after the
 * padding or a last group of a single character fails with -1 and errno
 * EINVAL, leaving out's contents unspecified.
 *
 * The output never overtakes the input, so out may be (unsigned char *)in
 * to decode in place.
 */
int base64_decode(const char *in, size_t in_len, unsigned char *out,
    size_t *out_len);

#endif
