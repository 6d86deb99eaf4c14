#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ascii.h"
#include "kimage.h"
#include "kversion.h"
#include "unpack.h"
#include "xalloc.h"

static const char banner[] = "Linux version ";
#define BANNER_LEN (sizeof(banner) - 1)

/* What a banner needs after its start: the text, a release, a space. */
#define BANNER_SPAN (BANNER_LEN + KVERSION_MAX + 1)

/* Unpacked output is searched in windows of this size. */
#define WINDOW (256 * 1024)

static bool
release_char(unsigned char c)
{
	return c > ' ' && c < 0x7f && c != '/';
}

bool
kversion_valid(const char *s)
{
	size_t i;

	if (!ascii_is_digit(s[0]))
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (i == KVERSION_MAX || !release_char((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * Takes the release at p, with n bytes there, if one is there and ends in
 * a space, or also in a NUL if nul_ends.
 */
static bool
take_release(const unsigned char *p, size_t n, bool nul_ends, char *version)
{
	size_t i;

	for (i = 0; i < n && i <= KVERSION_MAX && release_char(p[i]); i++)
		continue;
	if (i == 0 || i > KVERSION_MAX || i == n || !ascii_is_digit(p[0]))
		return false;
	if (p[i] != ' ' && !(nul_ends && p[i] == '\0'))
		return false;
	memcpy(version, p, i);
	version[i] = '\0';
	return true;
}

/*
 * The first banner in buf[0..len) that starts before `before`.  Other
 * strings begin with "Linux version " too ("%s" formats, messages), so a
 * hit counts only if a release follows.
 */
static bool
find_banner(const unsigned char *buf, size_t len, size_t before,
    char *version)
{
	const unsigned char *p = buf, *end = buf + len, *hit;

	while ((hit = memmem(p, (size_t)(end - p), banner, BANNER_LEN)) !=
	    NULL && (size_t)(hit - buf) < before) {
		if (take_release(hit + BANNER_LEN,
		    (size_t)(end - hit) - BANNER_LEN, false, version))
			return true;
		p = hit + 1;
	}
	return false;
}

/*
 * A search through unpacked output as it comes: a window that keeps its
 * last BANNER_SPAN bytes when it slides, so that a banner cut in two by
 * the pieces is still seen whole.
 */
struct search {
	unsigned char *buf;
	size_t len;
	char *version;
	bool found;
};

static int
search_piece(const unsigned char *piece, size_t n, void *arg)
{
	struct search *s = arg;
	size_t take;

	while (n > 0) {
		take = WINDOW - s->len < n ? WINDOW - s->len : n;
		memcpy(s->buf + s->len, piece, take);
		s->len += take;
		piece += take;
		n -= take;
		if (s->len < WINDOW)
			break;
		/* Hits before the tail have all their bytes here. */
		if (find_banner(s->buf, s->len, s->len - BANNER_SPAN,
		    s->version)) {
			s->found = true;
			return 1;
		}
		memmove(s->buf, s->buf + s->len - BANNER_SPAN, BANNER_SPAN);
		s->len = BANNER_SPAN;
	}
	return 0;
}

static int
search_unpacked(enum unpack_format f, const unsigned char *in, size_t len,
    size_t limit, char *version, char *why, size_t whylen)
{
	struct search s = { NULL, 0, version, false };
	char reason[200];
	int rc;

	s.buf = xmalloc(WINDOW);
	rc = unpack(f, in, len, limit, search_piece, &s, reason,
	    sizeof(reason));
	/* What unpacked before an error may still hold the banner. */
	if (!s.found)
		s.found = find_banner(s.buf, s.len, s.len, version);
	free(s.buf);
	if (s.found)
		return 0;
	if (rc < 0)
		snprintf(why, whylen, "%s image: %s, and no \"Linux "
		    "version\" before that", unpack_name(f), reason);
	else
		snprintf(why, whylen, "%s image without a \"Linux version\" "
		    "string", unpack_name(f));
	return -1;
}

static int
from_bzimage(const unsigned char *img, size_t len, char *version, char *why,
    size_t whylen)
{
	enum kimage_found r;
	size_t off;

	if ((r = kimage_bzimage_kversion(img, len, &off)) == KIMAGE_NONE) {
		snprintf(why, whylen, "bzImage without a kernel_version "
		    "(boot protocol before 2.00)");
		return -1;
	}
	if (r == KIMAGE_OUTSIDE ||
	    !take_release(img + off, len - off, true, version)) {
		snprintf(why, whylen, "bzImage whose kernel_version is not "
		    "a kernel release");
		return -1;
	}
	return 0;
}

static int
from_zboot(const unsigned char *img, size_t len, size_t limit,
    char *version, char *why, size_t whylen)
{
	/* As much of the name as every zboot image has. */
	char type[KIMAGE_ZBOOT_MIN - KIMAGE_ZBOOT_NAME + 1];
	enum unpack_format f;
	size_t off, size, i;

	if (kimage_zboot_payload(img, len, &off, &size) != KIMAGE_FOUND) {
		snprintf(why, whylen, "EFI zboot image whose payload lies "
		    "beyond its end");
		return -1;
	}
	f = unpack_detect(img + off, size);
	if (f == UNPACK_NONE) {
		/* Name the compression for the message, printably. */
		for (i = 0; i < sizeof(type) - 1 &&
		    release_char(img[KIMAGE_ZBOOT_NAME + i]); i++)
			type[i] = (char)img[KIMAGE_ZBOOT_NAME + i];
		type[i] = '\0';
		snprintf(why, whylen, "EFI zboot image compressed with "
		    "'%s'; only gzip, xz and zstd are read", type);
		return -1;
	}
	return search_unpacked(f, img + off, size, limit, version, why,
	    whylen);
}

/*
 * A compressed kernel inside a boot image of its own, as s390x's bzImage
 * (its decompressor, then the xz'd vmlinux): the first stream found by
 * its magic that unpacks to a banner.  A few tries of each magic, so
 * that a file full of them costs little.
 */
#define EMBEDDED_TRIES 4

static bool
from_embedded(const unsigned char *img, size_t len, size_t limit,
    char *version)
{
	static const struct { const char *magic; size_t n; } m[] = {
		{ "\xfd" "7zXZ\0", 6 }, { "\x1f\x8b\x08", 3 },
		{ "\x28\xb5\x2f\xfd", 4 },
	};
	const unsigned char *p, *hit;
	char why[200];
	size_t i;
	int tries;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		for (p = img + 1, tries = 0; tries < EMBEDDED_TRIES &&
		    p < img + len && (hit = memmem(p, (size_t)(img + len - p),
		    m[i].magic, m[i].n)) != NULL; p = hit + 1, tries++)
			if (unpack_detect(hit, (size_t)(img + len - hit)) !=
			    UNPACK_NONE && search_unpacked(unpack_detect(hit,
			    (size_t)(img + len - hit)), hit,
			    (size_t)(img + len - hit), limit, version, why,
			    sizeof(why)) == 0)
				return true;
	return false;
}

int
kversion_read(const unsigned char *img, size_t len, size_t unpack_limit,
    char version[KVERSION_MAX + 1], char *why, size_t whylen)
{
	enum unpack_format f;

	if (kimage_is_bzimage(img, len))
		return from_bzimage(img, len, version, why, whylen);
	if (kimage_is_zboot(img, len))
		return from_zboot(img, len, unpack_limit, version, why,
		    whylen);
	if ((f = unpack_detect(img, len)) != UNPACK_NONE)
		return search_unpacked(f, img, len, unpack_limit, version,
		    why, whylen);
	if (find_banner(img, len, len, version))
		return 0;
	if (from_embedded(img, len, unpack_limit, version))
		return 0;
	snprintf(why, whylen, "%s", len == 0 ? "empty file" :
	    "not a bzImage, an EFI zboot image or a gzip, xz or zstd file, "
	    "and no \"Linux version\" string in it nor in a compressed "
	    "stream inside it");
	return -1;
}
