#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/base64.h"
#include "check.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Whether encoding the len bytes at data gives exactly want. */
static bool
encodes_to(const void *data, size_t len, const char *want)
{
	size_t n = 12345;
	char *s;
	bool ok;

	if ((s = base64_encode(data, len, &n)) == NULL)
		return false;
	ok = n == strlen(want) && strlen(s) == n && strcmp(s, want) == 0 &&
	    n == base64_encoded_size(len);
	free(s);
	return ok;
}

/* Whether the string in decodes to the want_len bytes at want. */
static bool
decodes_to(const char *in, const void *want, size_t want_len)
{
	size_t in_len = strlen(in), n = 12345;
	unsigned char *out;
	bool ok;

	/* One spare byte that must survive, to catch overruns. */
	if ((out = malloc(base64_decoded_max(in_len) + 1)) == NULL)
		return false;
	out[base64_decoded_max(in_len)] = 0xa5;
	ok = base64_decode(in, in_len, out, &n) == 0 && n == want_len &&
	    memcmp(out, want, n) == 0 &&
	    out[base64_decoded_max(in_len)] == 0xa5;
	free(out);
	return ok;
}

/* Whether the in_len characters at in decode in place to want. */
static bool
decodes_in_place(const char *in, size_t in_len, const void *want,
    size_t want_len)
{
	char *buf;
	size_t n = 12345;
	bool ok;

	if ((buf = malloc(in_len + 1)) == NULL)
		return false;
	memcpy(buf, in, in_len);
	ok = base64_decode(buf, in_len, (unsigned char *)buf, &n) == 0 &&
	    n == want_len && memcmp(buf, want, n) == 0;
	free(buf);
	return ok;
}

/* Whether in_len characters at in are refused with EINVAL. */
static bool
rejects_n(const char *in, size_t in_len)
{
	unsigned char out[256];
	size_t n = 12345;

	errno = 0;
	return base64_decode(in, in_len, out, &n) == -1 && errno == EINVAL;
}

static bool
rejects(const char *in)
{
	return rejects_n(in, strlen(in));
}

/* Every byte value at every position of a group, lengths 0 to 64. */
static bool
round_trips_all(void)
{
	unsigned char buf[64], out[64];
	char *s, *t;
	size_t len, n, i, j, k;
	unsigned int first;

	for (len = 0; len <= sizeof(buf); len++) {
		for (first = 0; first < 256; first++) {
			for (i = 0; i < len; i++)
				buf[i] = (unsigned char)(first + i * 7);
			if ((s = base64_encode(buf, len, &n)) == NULL)
				return false;
			if (n != base64_encoded_size(len) ||
			    base64_decoded_max(n) < len ||
			    base64_decode(s, n, out, &n) != 0 || n != len ||
			    memcmp(out, buf, len) != 0) {
				free(s);
				return false;
			}

			/* Unpadded, and then decoded in place. */
			n = strlen(s);
			while (n > 0 && s[n - 1] == '=')
				n--;
			if (base64_decoded_max(n) < len ||
			    base64_decode(s, n, (unsigned char *)s, &n) != 0 ||
			    n != len || memcmp(s, buf, len) != 0) {
				free(s);
				return false;
			}
			free(s);

			/* Broken into lines of 5 with CRLF, in place. */
			if ((s = base64_encode(buf, len, &n)) == NULL)
				return false;
			if ((t = malloc(n * 3 + 3)) == NULL) {
				free(s);
				return false;
			}
			for (j = 0, k = 0; j < n; j++) {
				t[k++] = s[j];
				if (j % 5 == 4) {
					t[k++] = '\r';
					t[k++] = '\n';
				}
			}
			t[k++] = '\n';
			free(s);
			if (base64_decode(t, k, (unsigned char *)t, &n) != 0 ||
			    n != len || memcmp(t, buf, len) != 0) {
				free(t);
				return false;
			}
			free(t);
		}
	}
	return true;
}

int
main(void)
{
	unsigned char bytes[48], out[64];
	size_t n;
	char *s;
	int i;

	/* RFC 4648 section 10. */
	CHECK(encodes_to("", 0, ""));
	CHECK(encodes_to("f", 1, "Zg=="));
	CHECK(encodes_to("fo", 2, "Zm8="));
	CHECK(encodes_to("foo", 3, "Zm9v"));
	CHECK(encodes_to("foob", 4, "Zm9vYg=="));
	CHECK(encodes_to("fooba", 5, "Zm9vYmE="));
	CHECK(encodes_to("foobar", 6, "Zm9vYmFy"));
	CHECK(decodes_to("", "", 0));
	CHECK(decodes_to("Zg==", "f", 1));
	CHECK(decodes_to("Zm8=", "fo", 2));
	CHECK(decodes_to("Zm9v", "foo", 3));
	CHECK(decodes_to("Zm9vYg==", "foob", 4));
	CHECK(decodes_to("Zm9vYmE=", "fooba", 5));
	CHECK(decodes_to("Zm9vYmFy", "foobar", 6));

	/* NULL data is fine when there is none, and out_len is optional. */
	CHECK(encodes_to(NULL, 0, ""));
	s = base64_encode("foob", 4, NULL);
	CHECK(s != NULL && strcmp(s, "Zm9vYg==") == 0);
	free(s);
	CHECK(base64_decode(NULL, 0, out, &n) == 0 && n == 0);

	/* The whole alphabet, in order, and nothing URL-safe. */
	for (i = 0; i < 16; i++) {
		bytes[3 * i] = (unsigned char)(i * 4 << 2 | (i * 4 + 1) >> 4);
		bytes[3 * i + 1] =
		    (unsigned char)((i * 4 + 1) << 4 | (i * 4 + 2) >> 2);
		bytes[3 * i + 2] = (unsigned char)((i * 4 + 2) << 6 | (i * 4 + 3));
	}
	CHECK(encodes_to(bytes, sizeof(bytes), alphabet));
	CHECK(decodes_to(alphabet, bytes, sizeof(bytes)));
	CHECK(encodes_to("\xfb\xff", 2, "+/8="));
	CHECK(rejects("-_8="));

	/* Sizes. */
	CHECK(base64_encoded_size(0) == 0);
	CHECK(base64_encoded_size(1) == 4);
	CHECK(base64_encoded_size(2) == 4);
	CHECK(base64_encoded_size(3) == 4);
	CHECK(base64_encoded_size(4) == 8);
	CHECK(base64_encoded_size(SIZE_MAX / 4 * 3) == SIZE_MAX / 4 * 4);
	CHECK(base64_encoded_size(SIZE_MAX / 4 * 3 + 1) == SIZE_MAX);
	CHECK(base64_encoded_size(SIZE_MAX) == SIZE_MAX);
	errno = 0;
	CHECK(base64_encode("", SIZE_MAX, NULL) == NULL && errno == ENOMEM);
	CHECK(base64_decoded_max(0) == 0);
	CHECK(base64_decoded_max(1) == 0);
	CHECK(base64_decoded_max(2) == 1);
	CHECK(base64_decoded_max(3) == 2);
	CHECK(base64_decoded_max(4) == 3);
	CHECK(base64_decoded_max(8) == 6);
	CHECK(base64_decoded_max(SIZE_MAX) <= SIZE_MAX / 4 * 3 + 2);

	/* Padding may be left out. */
	CHECK(decodes_to("Zg", "f", 1));
	CHECK(decodes_to("Zm8", "fo", 2));
	CHECK(decodes_to("Zm9vYg", "foob", 4));
	CHECK(decodes_to("Zm9vYmE", "fooba", 5));

	/* Whitespace anywhere, padding included. */
	CHECK(decodes_to("Zm9v\r\nYmFy\r\n", "foobar", 6));
	CHECK(decodes_to(" Zm 9v\tYm E= ", "fooba", 5));
	CHECK(decodes_to("\r\n\t Z\ng\r=\t= \n", "f", 1));
	CHECK(decodes_to(" \t\r\n", "", 0));
	CHECK(decodes_to("Zm9vYmFy\n", "foobar", 6));

	/* Unused low bits of the last group are ignored. */
	CHECK(decodes_to("Zh==", "f", 1));
	CHECK(decodes_to("Zm9=", "fo", 2));

	/* In place, through both the fast and the slow path. */
	CHECK(decodes_in_place("Zm9vYmFy", 8, "foobar", 6));
	CHECK(decodes_in_place("Zm9vYmE=", 8, "fooba", 5));
	CHECK(decodes_in_place("Zm9vYg", 6, "foob", 4));
	CHECK(decodes_in_place("Z m 9 v\r\nY m F y", 16, "foobar", 6));
	CHECK(decodes_in_place(alphabet, 64, bytes, sizeof(bytes)));

	/* Characters outside the alphabet and the whitespace set. */
	CHECK(rejects("Zm9v!"));
	CHECK(rejects("Zm9v\v"));
	CHECK(rejects("Zm9v\f"));
	CHECK(rejects("Zm9-"));
	CHECK(rejects("Zm9_"));
	CHECK(rejects("Zm9\x80"));
	CHECK(rejects("Zm9\xff"));
	CHECK(rejects_n("Zm\0v", 4));
	CHECK(rejects_n("Zm9v\0", 5));

	/* Padding: only at the end, at most 2, completing the last group. */
	CHECK(rejects("="));
	CHECK(rejects("=="));
	CHECK(rejects("===="));
	CHECK(rejects("=Zm9v"));
	CHECK(rejects("Zm=9v"));
	CHECK(rejects("Zm9=v"));
	CHECK(rejects("Zg=a"));
	CHECK(!rejects("Zg=="));
	CHECK(rejects("Zg==="));
	CHECK(rejects("Zg===="));
	CHECK(rejects("Zm8=="));
	CHECK(rejects("Zm9v="));
	CHECK(rejects("Zm9v=="));
	CHECK(rejects("Z=="));
	CHECK(rejects("Z==="));
	CHECK(rejects("Zg="));
	CHECK(rejects("Zm9vYg==Zg=="));
	CHECK(rejects("Zm9vYg==Zm9v"));
	CHECK(rejects("Zm8=Zm8="));
	CHECK(rejects("Zg== x"));

	/* A last group of one character cannot be. */
	CHECK(rejects("Z"));
	CHECK(rejects("Zm9vY"));
	CHECK(rejects("Zm9vY\n"));
	CHECK(rejects("Zm9vY="));

	CHECK(round_trips_all());

	return check_result();
}
