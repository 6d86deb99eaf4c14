#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "unpack.h"
#include "xalloc.h"

#define PIECE (64 * 1024)

/*
 * xz's decoder needs about its dictionary's size: kernel modules use 1 or
 * 2 MiB and `xz -9` 64 MiB; more than this is refused, not allocated.
 */
#define XZ_MEMLIMIT (128 * 1024 * 1024)

enum unpack_format
unpack_detect(const unsigned char *p, size_t len)
{
	if (len >= 3 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8)
		return UNPACK_GZIP;
	if (len >= 6 && memcmp(p, "\xfd" "7zXZ\0", 6) == 0)
		return UNPACK_XZ;
	if (len >= 4 && memcmp(p, "\x28\xb5\x2f\xfd", 4) == 0)
		return UNPACK_ZSTD;
	return UNPACK_NONE;
}

const char *
unpack_name(enum unpack_format f)
{
	switch (f) {
	case UNPACK_GZIP: return "gzip";
	case UNPACK_XZ: return "xz";
	case UNPACK_ZSTD: return "zstd";
	case UNPACK_LZMA: return "lzma";
	default: return "uncompressed";
	}
}

/* Where the output goes: the callback, under the bound. */
struct out {
	unpack_fn *fn;
	void *arg;
	size_t limit, total;
	bool first;		/* the first stream or frame only */
	char *why;
	size_t whylen;
};

/* 1: stop (fn is satisfied), 0: go on, -1: over the bound. */
static int
deliver(struct out *o, const unsigned char *piece, size_t n)
{
	if (n == 0)
		return 0;
	if (n > o->limit - o->total) {
		snprintf(o->why, o->whylen, "unpacks to more than %zu bytes",
		    o->limit);
		return -1;
	}
	o->total += n;
	return o->fn(piece, n, o->arg) != 0 ? 1 : 0;
}

static int
gunzip(const unsigned char *in, size_t len, struct out *o,
    unsigned char *buf)
{
	z_stream z;
	size_t left = len, feed;
	int rc, d;

	memset(&z, 0, sizeof(z));
	/* 16 + MAX_WBITS: a gzip header and trailer, checked. */
	if ((rc = inflateInit2(&z, 16 + MAX_WBITS)) == Z_MEM_ERROR)
		xalloc_die();
	if (rc != Z_OK) {
		snprintf(o->why, o->whylen, "gzip: zlib %s cannot start",
		    zlibVersion());
		return -1;
	}
	z.next_in = (unsigned char *)in;
	for (;;) {
		/* zlib counts input in unsigned ints: feed it in pieces. */
		if (z.avail_in == 0 && left > 0) {
			feed = left < UINT_MAX ? left : UINT_MAX;
			z.avail_in = (unsigned)feed;
			left -= feed;
		}
		z.next_out = buf;
		z.avail_out = PIECE;
		rc = inflate(&z, Z_NO_FLUSH);
		if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
			snprintf(o->why, o->whylen, "gzip: %s",
			    z.msg != NULL ? z.msg : "corrupt data");
			break;
		}
		if ((d = deliver(o, buf, PIECE - z.avail_out)) != 0) {
			inflateEnd(&z);
			return d > 0 ? 0 : -1;
		}
		if (rc == Z_STREAM_END) {
			inflateEnd(&z);
			return 0;
		}
		if (rc == Z_BUF_ERROR && z.avail_in == 0 && left == 0) {
			snprintf(o->why, o->whylen, "gzip: truncated");
			break;
		}
	}
	inflateEnd(&z);
	return -1;
}

static int
unxz(const unsigned char *in, size_t len, struct out *o, unsigned char *buf,
    bool alone)
{
	const char *name = alone ? "lzma" : "xz";
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret rc;
	int d;

	/*
	 * CONCATENATED: every stream of the file, as xz(1) reads it.  The
	 * legacy format has one stream, whose end the decoder finds.
	 */
	if (alone)
		rc = lzma_alone_decoder(&s, XZ_MEMLIMIT);
	else
		rc = lzma_stream_decoder(&s, XZ_MEMLIMIT, o->first ? 0 :
		    LZMA_CONCATENATED);
	if (rc == LZMA_MEM_ERROR)
		xalloc_die();
	if (rc != LZMA_OK) {
		snprintf(o->why, o->whylen, "%s: liblzma %s cannot start",
		    name, lzma_version_string());
		return -1;
	}
	s.next_in = in;
	s.avail_in = len;
	for (;;) {
		s.next_out = buf;
		s.avail_out = PIECE;
		/* All the input is there from the start, so always FINISH. */
		rc = lzma_code(&s, LZMA_FINISH);
		/* Its own allocations: the dictionary is bounded above. */
		if (rc == LZMA_MEM_ERROR)
			xalloc_die();
		if ((d = deliver(o, buf, PIECE - s.avail_out)) != 0) {
			lzma_end(&s);
			return d > 0 ? 0 : -1;
		}
		if (rc == LZMA_STREAM_END) {
			lzma_end(&s);
			return 0;
		}
		if (rc != LZMA_OK) {
			snprintf(o->why, o->whylen, "%s: %s", name,
			    rc == LZMA_BUF_ERROR ? "truncated" :
			    rc == LZMA_MEMLIMIT_ERROR ?
			    "needs a dictionary over 128 MiB" :
			    rc == LZMA_FORMAT_ERROR ? "not its format" :
			    rc == LZMA_OPTIONS_ERROR ? "unsupported options" :
			    "corrupt data");
			lzma_end(&s);
			return -1;
		}
	}
}

static int
unzstd(const unsigned char *in, size_t len, struct out *o,
    unsigned char *buf)
{
	ZSTD_DCtx *dctx;
	ZSTD_inBuffer ib = { in, len, 0 };
	ZSTD_outBuffer ob;
	size_t rc;
	int d;

	/* The decoder refuses windows over 128 MiB by default. */
	if ((dctx = ZSTD_createDCtx()) == NULL)
		xalloc_die();
	for (;;) {
		ob.dst = buf;
		ob.size = PIECE;
		ob.pos = 0;
		rc = ZSTD_decompressStream(dctx, &ob, &ib);
		if (ZSTD_isError(rc)) {
			snprintf(o->why, o->whylen, "zstd: %s",
			    ZSTD_getErrorName(rc));
			break;
		}
		if ((d = deliver(o, buf, ob.pos)) != 0) {
			ZSTD_freeDCtx(dctx);
			return d > 0 ? 0 : -1;
		}
		/* 0: a frame ended; more input is another frame. */
		if (rc == 0 && (ib.pos == ib.size || o->first)) {
			ZSTD_freeDCtx(dctx);
			return 0;
		}
		/* Room left and no input left: the frame has no end. */
		if (ib.pos == ib.size && ob.pos < ob.size) {
			snprintf(o->why, o->whylen, "zstd: truncated");
			break;
		}
	}
	ZSTD_freeDCtx(dctx);
	return -1;
}

static int
run(enum unpack_format f, const unsigned char *in, size_t len, size_t limit,
    bool first, unpack_fn *fn, void *arg, char *why, size_t whylen)
{
	struct out o = { fn, arg, limit, 0, first, why, whylen };
	unsigned char *buf;
	int rc;

	buf = xmalloc(PIECE);
	switch (f) {
	case UNPACK_GZIP: rc = gunzip(in, len, &o, buf); break;
	case UNPACK_XZ: rc = unxz(in, len, &o, buf, false); break;
	case UNPACK_LZMA: rc = unxz(in, len, &o, buf, true); break;
	case UNPACK_ZSTD: rc = unzstd(in, len, &o, buf); break;
	default:
		snprintf(why, whylen, "not compressed");
		rc = -1;
		break;
	}
	free(buf);
	return rc;
}

int
unpack(enum unpack_format f, const unsigned char *in, size_t len,
    size_t limit, unpack_fn *fn, void *arg, char *why, size_t whylen)
{
	return run(f, in, len, limit, false, fn, arg, why, whylen);
}

struct collect {
	unsigned char *buf;
	size_t len, cap;
};

static int
collect_piece(const unsigned char *piece, size_t n, void *arg)
{
	struct collect *c = arg;
	size_t want;

	if (n > c->cap - c->len) {
		want = c->cap;
		while (n > want - c->len)
			want = want <= SIZE_MAX / 2 ? want * 2 : SIZE_MAX;
		c->buf = xrealloc(c->buf, want);
		c->cap = want;
	}
	memcpy(c->buf + c->len, piece, n);
	c->len += n;
	return 0;
}

static int
collect_all(enum unpack_format f, const unsigned char *in, size_t len,
    size_t limit, bool first, unsigned char **out, size_t *out_len,
    char *why, size_t whylen)
{
	struct collect c = { xmalloc(PIECE), 0, PIECE };

	if (run(f, in, len, limit, first, collect_piece, &c, why, whylen) <
	    0) {
		free(c.buf);
		return -1;
	}
	*out = c.buf;
	*out_len = c.len;
	return 0;
}

int
unpack_all(enum unpack_format f, const unsigned char *in, size_t len,
    size_t limit, unsigned char **out, size_t *out_len, char *why,
    size_t whylen)
{
	return collect_all(f, in, len, limit, false, out, out_len, why,
	    whylen);
}

int
unpack_first_all(enum unpack_format f, const unsigned char *in, size_t len,
    size_t limit, unsigned char **out, size_t *out_len, char *why,
    size_t whylen)
{
	return collect_all(f, in, len, limit, true, out, out_len, why,
	    whylen);
}
