#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decodes in_len characters into a fresh buffer, or returns NULL. */
static unsigned char *
decode(const char *in, size_t in_len, size_t *out_len)
{
	size_t max = base64_decoded_max(in_len);
	unsigned char *out;

	/* One byte more, so that an empty result is not malloc(0). */
	if ((out = malloc(max + 1)) == NULL)
		abort();
	errno = 0;
	if (base64_decode(in, in_len, out, out_len) == -1) {
		if (errno != EINVAL)
			abort();
		free(out);
		return NULL;
	}
	if (*out_len > max)
		abort();
	return out;
}

/* Encodes len bytes and checks what base64_encode promises of it. */
static char *
encode(const void *in, size_t len, size_t *out_len)
{
	char *s;

	if ((s = base64_encode(in, len, out_len)) == NULL)
		abort();
	if (*out_len != base64_encoded_size(len) || strlen(s) != *out_len ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/=") != *out_len)
		abort();
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *dec, *dec2;
	char *enc, *copy;
	size_t dec_len, dec2_len, enc_len, n;

	/* Arbitrary input: if it decodes, its re-encoding decodes alike. */
	if ((dec = decode((const char *)data, size, &dec_len)) != NULL) {
		enc = encode(dec, dec_len, &enc_len);
		if ((dec2 = decode(enc, enc_len, &dec2_len)) == NULL ||
		    dec2_len != dec_len || memcmp(dec, dec2, dec_len) != 0)
			abort();
		free(dec2);
		free(enc);
	}

	/* Decoding in place gives the same answer as into a new buffer. */
	if ((copy = malloc(size + 1)) == NULL)
		abort();
	memcpy(copy, data, size);
	errno = 0;
	if (base64_decode(copy, size, (unsigned char *)copy, &n) == 0) {
		if (dec == NULL || n != dec_len || memcmp(copy, dec, n) != 0)
			abort();
	} else if (dec != NULL || errno != EINVAL)
		abort();
	free(copy);
	free(dec);

	/* Any bytes survive encoding and decoding. */
	enc = encode(data, size, &enc_len);
	if ((dec = decode(enc, enc_len, &dec_len)) == NULL ||
	    dec_len != size || memcmp(dec, data, size) != 0)
		abort();
	free(dec);
	free(enc);
	return 0;
}
