#include <errno.h>
#include <stdint.h>

#include "base64.h"
#include "xalloc.h"

static const char enc_table[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Entries below 64 are digit values; the rest classify the character. */
enum {
	DEC_PAD = 0xfd,
	DEC_SPACE = 0xfe,
	DEC_BAD = 0xff,
};

static const unsigned char dec_table[256] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xfe, 0xfe, 0xff, 0xff, 0xfe, 0xff, 0xff,	/* \t \n \r */
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,	/* space */
	0xff, 0xff, 0xff, 0x3e, 0xff, 0xff, 0xff, 0x3f,	/* + / */
	0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b,	/* 0-7 */
	0x3c, 0x3d, 0xff, 0xff, 0xff, 0xfd, 0xff, 0xff,	/* 8 9 = */
	0xff, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,	/* A-G */
	0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,	/* H-O */
	0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,	/* P-W */
	0x17, 0x18, 0x19, 0xff, 0xff, 0xff, 0xff, 0xff,	/* X-Z */
	0xff, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20,	/* a-g */
	0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,	/* h-o */
	0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30,	/* p-w */
	0x31, 0x32, 0x33, 0xff, 0xff, 0xff, 0xff, 0xff,	/* x-z */
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

size_t
base64_encoded_size(size_t n)
{
	size_t groups = n / 3 + (n % 3 != 0);

	if (groups > SIZE_MAX / 4)
		return SIZE_MAX;
	return groups * 4;
}

char *
base64_encode(const void *data, size_t len, size_t *out_len)
{
	const unsigned char *in = data;
	size_t size, i, o = 0;
	uint32_t v;
	char *out;

	size = base64_encoded_size(len);
	if (size == SIZE_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	out = xmalloc(size + 1);

	/* Indices rather than pointers: data may be NULL when len is 0. */
	for (i = 0; len - i >= 3; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = enc_table[v >> 18];
		out[o++] = enc_table[v >> 12 & 0x3f];
		out[o++] = enc_table[v >> 6 & 0x3f];
		out[o++] = enc_table[v & 0x3f];
	}
	switch (len - i) {
	case 1:
		v = (uint32_t)in[i] << 16;
		out[o++] = enc_table[v >> 18];
		out[o++] = enc_table[v >> 12 & 0x3f];
		out[o++] = '=';
		out[o++] = '=';
		break;
	case 2:
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = enc_table[v >> 18];
		out[o++] = enc_table[v >> 12 & 0x3f];
		out[o++] = enc_table[v >> 6 & 0x3f];
		out[o++] = '=';
		break;
	}
	out[o] = '\0';
	if (out_len != NULL)
		*out_len = o;
	return out;
}

size_t
base64_decoded_max(size_t encoded_len)
{
	/* A last group of 2 or 3 characters carries 1 or 2 bytes. */
	return encoded_len / 4 * 3 + encoded_len % 4 * 3 / 4;
}

int
base64_decode(const char *in, size_t in_len, unsigned char *out,
    size_t *out_len)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, o = 0;
	uint32_t acc = 0, a, b, c, d;
	unsigned char v;
	int n = 0, pad = 0;

	/*
	 * A group's 3 bytes are written only after its 4 characters have
	 * been read, so out + o never passes p + i: decoding in place is
	 * safe.
	 */
	while (i < in_len) {
		/*
		 * Nearly all of a long input is whole groups with nothing to
		 * skip, so take those four characters at a time and leave
		 * whitespace and padding to the loop below.
		 */
		if (n == 0) {
			while (in_len - i >= 4) {
				a = dec_table[p[i]];
				b = dec_table[p[i + 1]];
				c = dec_table[p[i + 2]];
				d = dec_table[p[i + 3]];
				if ((a | b | c | d) >= 64)
					break;
				acc = a << 18 | b << 12 | c << 6 | d;
				out[o] = (unsigned char)(acc >> 16);
				out[o + 1] = (unsigned char)(acc >> 8);
				out[o + 2] = (unsigned char)acc;
				o += 3;
				i += 4;
			}
			if (i == in_len)
				break;
		}

		v = dec_table[p[i++]];
		if (v < 64) {
			acc = acc << 6 | v;
			if (++n == 4) {
				out[o++] = (unsigned char)(acc >> 16);
				out[o++] = (unsigned char)(acc >> 8);
				out[o++] = (unsigned char)acc;
				n = 0;
			}
		} else if (v == DEC_PAD) {
			pad = 1;
			break;
		} else if (v != DEC_SPACE)
			goto invalid;
	}

	/* Only more padding and whitespace may follow the first '='. */
	if (pad) {
		for (; i < in_len; i++) {
			v = dec_table[p[i]];
			if (v == DEC_PAD)
				pad++;
			else if (v != DEC_SPACE)
				goto invalid;
		}
		if (n < 2 || n + pad != 4)
			goto invalid;
	}

	switch (n) {
	case 1:
		goto invalid;
	case 2:
		out[o++] = (unsigned char)(acc >> 4);
		break;
	case 3:
		out[o++] = (unsigned char)(acc >> 10);
		out[o++] = (unsigned char)(acc >> 2);
		break;
	}
	*out_len = o;
	return 0;

invalid:
	errno = EINVAL;
	return -1;
}
