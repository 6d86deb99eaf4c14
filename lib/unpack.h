/*
 * unpack: gzip, xz and zstd streams, told apart by their magic bytes, not
 * by file names.  Kernel modules come as .ko.gz, .ko.xz or .ko.zst (kmod
 * loads them all; the guest's finit_module wants them plain), and kernel
 * images as Image.gz or compressed EFI payloads.
 *
 * Output goes to a callback piece by piece, so that a search can stop as
 * soon as it has found what it wants; every unpacking is bounded, so that
 * a small hostile input cannot ask for gigabytes.
 */
#ifndef VT_UNPACK_H
#define VT_UNPACK_H

#include <stddef.h>

enum unpack_format {
	UNPACK_NONE,		/* none of the below: stored as is */
	UNPACK_GZIP,
	UNPACK_XZ,
	UNPACK_ZSTD,
	/*
	 * The legacy .lzma ("lzma_alone") format, which has no magic: never
	 * detected, only asked for where a header names it (a kernel's).
	 */
	UNPACK_LZMA,
};

/* The format whose magic data begins with. */
enum unpack_format unpack_detect(const unsigned char *data, size_t len);
const char *unpack_name(enum unpack_format f);

/* Takes one piece of output: 0 for more, 1 to stop (not an error). */
typedef int unpack_fn(const unsigned char *piece, size_t len, void *arg);

/*
 * Unpacks in[0..len), a stream in format f (not UNPACK_NONE), passing the
 * output to fn.  xz and zstd read every stream or frame in the input;
 * gzip reads one member and ignores what follows it, as the kernel's own
 * Image.gz loaders do.  Returns 0 once the input is used up or fn asked to
 * stop, or -1 with a reason in why: corrupt or truncated input, or more
 * than limit bytes of output.
 */
int unpack(enum unpack_format f, const unsigned char *in, size_t len,
    size_t limit, unpack_fn *fn, void *arg, char *why, size_t whylen);

/* unpack() into a malloc'd buffer (never NULL on success). */
int unpack_all(enum unpack_format f, const unsigned char *in, size_t len,
    size_t limit, unsigned char **out, size_t *out_len, char *why,
    size_t whylen);

/*
 * unpack_all() of the first stream (xz), frame (zstd) or member (gzip)
 * only, ignoring what follows it: a kernel's compressed payload has its
 * unpacked size appended, which is no stream.
 */
int unpack_first_all(enum unpack_format f, const unsigned char *in,
    size_t len, size_t limit, unsigned char **out, size_t *out_len,
    char *why, size_t whylen);

#endif
