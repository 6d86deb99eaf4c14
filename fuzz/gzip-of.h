/*
 * gzip-of: the fuzz targets' own gzip of an input, made with zlib rather
 * than with lib/unpack, so that wrapping an input in the format the code
 * under test reads does not lean on that code.
 */
#ifndef FUZZ_GZIP_OF_H
#define FUZZ_GZIP_OF_H

#include <stdlib.h>
#include <string.h>

#include <zlib.h>

/* in[0..len) gzipped (level 1), malloc'd, *out_len bytes. */
static unsigned char *
gzip_of(const unsigned char *in, size_t len, size_t *out_len)
{
	z_stream z;
	unsigned char *out;
	size_t cap;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	cap = deflateBound(&z, len);
	if ((out = malloc(cap)) == NULL)
		abort();
	z.next_in = (unsigned char *)in;
	z.avail_in = (unsigned)len;
	z.next_out = out;
	z.avail_out = (unsigned)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		abort();
	*out_len = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

#endif
