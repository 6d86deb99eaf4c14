#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lzma.h>

#include "cachedir.h"
#include "diag.h"
#include "kernel.h"
#include "kimage.h"
#include "outfile.h"
#include "readfile.h"
#include "unpack.h"
#include "xalloc.h"

/*
 * Cache entries: the unpacked kernel by form, and a mark for a bzImage
 * found to have no PVH note, which would otherwise be unpacked in vain on
 * every run.  Unused ones go first (cachedir.h); an unpacked kernel is
 * some 60 MB, so a few are kept.
 */
#define ENTRY_PVH "vmlinux-"
#define ENTRY_IMAGE "Image-"
#define ENTRY_NONE "as-given-"
#define CACHE_KEEP 16
#define CACHE_MAX_AGE_DAYS 30

const char *
kernel_form_name(enum kernel_form f)
{
	switch (f) {
	case KERNEL_PVH_ELF: return "pvh-elf";
	case KERNEL_IMAGE: return "image";
	default: return "as-given";
	}
}

/* The format a kernel's payload begins with; UNPACK_NONE: not ours. */
static enum unpack_format
payload_format(const unsigned char *p, size_t len)
{
	enum unpack_format f = unpack_detect(p, len);

	/*
	 * The kernel's lzma payload: properties 0x5d (lc=3, lp=0, pb=2) and
	 * a dictionary size whose low bytes are zero.  The other kernel
	 * compressions (bzip2, lz4, lzo) boot as given.
	 */
	if (f == UNPACK_NONE && len >= 13 && p[0] == 0x5d && p[1] == 0 &&
	    p[2] == 0)
		f = UNPACK_LZMA;
	return f;
}

/*
 * A bzImage's compressed payload, as kimage finds it; an empty one counts
 * as lying outside the file, having nothing to boot.
 */
static enum kimage_found
bzimage_payload(const unsigned char *in, size_t len, size_t *start,
    size_t *n)
{
	enum kimage_found r = kimage_bzimage_payload(in, len, start, n);

	return r == KIMAGE_FOUND && *n == 0 ? KIMAGE_OUTSIDE : r;
}

/* Unpacks one stream, saying what it was in the reason if it fails. */
static int
unpack_payload(enum unpack_format f, const unsigned char *in, size_t len,
    size_t limit, const char *what, unsigned char **out, size_t *out_len,
    char *why, size_t whylen)
{
	char reason[256];

	if (unpack_first_all(f, in, len, limit, out, out_len, reason,
	    sizeof(reason)) < 0) {
		snprintf(why, whylen, "%s: %s", what, reason);
		return -1;
	}
	return 0;
}

/*
 * form if what unpacked into *out is that kernel; otherwise it goes, and
 * the image boots as given.
 */
static int
kept_if(bool is_form, int form, unsigned char **out, size_t *out_len)
{
	if (is_form)
		return form;
	free(*out);
	*out = NULL;
	*out_len = 0;
	return KERNEL_AS_GIVEN;
}

static int
unpack_x86(const unsigned char *in, size_t len, size_t limit,
    unsigned char **out, size_t *out_len, char *why, size_t whylen)
{
	enum unpack_format f;
	enum kimage_found r;
	size_t start, n;

	if ((r = bzimage_payload(in, len, &start, &n)) == KIMAGE_NONE)
		return KERNEL_AS_GIVEN;
	if (r == KIMAGE_OUTSIDE) {
		snprintf(why, whylen, "bzImage: the payload lies outside "
		    "the file");
		return -1;
	}
	if ((f = payload_format(in + start, n)) == UNPACK_NONE)
		return KERNEL_AS_GIVEN;
	if (unpack_payload(f, in + start, n, limit, "bzImage payload", out,
	    out_len, why, whylen) < 0)
		return -1;
	return kept_if(kimage_has_pvh_note(*out, *out_len), KERNEL_PVH_ELF,
	    out, out_len);
}

static int
unpack_arm64(const unsigned char *in, size_t len, size_t limit,
    unsigned char **out, size_t *out_len, char *why, size_t whylen)
{
	enum unpack_format f;
	size_t off, n;

	if (kimage_is_zboot(in, len)) {
		if ((f = kimage_zboot_format(in, len)) == UNPACK_NONE)
			return KERNEL_AS_GIVEN;
		/* Empty, it is as bad: nothing to boot. */
		if (kimage_zboot_payload(in, len, &off, &n) != KIMAGE_FOUND ||
		    n == 0) {
			snprintf(why, whylen, "EFI zboot: the payload lies "
			    "outside the file");
			return -1;
		}
		if (unpack_payload(f, in + off, n, limit,
		    "EFI zboot payload", out, out_len, why, whylen) < 0)
			return -1;
	} else {
		if ((f = unpack_detect(in, len)) == UNPACK_NONE)
			return KERNEL_AS_GIVEN;
		if (unpack_payload(f, in, len, limit, unpack_name(f), out,
		    out_len, why, whylen) < 0)
			return -1;
	}
	return kept_if(kimage_is_arm64(*out, *out_len), KERNEL_IMAGE, out,
	    out_len);
}

int
kernel_unpack(const unsigned char *in, size_t len, enum arch arch,
    size_t limit, unsigned char **out, size_t *out_len, char *why,
    size_t whylen)
{
	*out = NULL;
	*out_len = 0;
	switch (arch) {
	case ARCH_X86_64:
		return unpack_x86(in, len, limit, out, out_len, why, whylen);
	case ARCH_AARCH64:
		return unpack_arm64(in, len, limit, out, out_len, why, whylen);
	default:
		return KERNEL_AS_GIVEN;
	}
}

/*
 * Whether in could be something we unpack, without unpacking it: what
 * does not is left alone, and no cache directory is made for it.
 */
static bool
may_unpack(const unsigned char *in, size_t len, enum arch arch)
{
	enum kimage_found r;
	size_t start, n;

	/* A bad payload is unpacked all the same, to say what is wrong. */
	if (arch == ARCH_X86_64)
		return (r = bzimage_payload(in, len, &start, &n)) ==
		    KIMAGE_OUTSIDE || (r == KIMAGE_FOUND &&
		    payload_format(in + start, n) != UNPACK_NONE);
	if (arch == ARCH_AARCH64)
		return kimage_is_zboot(in, len) ?
		    kimage_zboot_format(in, len) != UNPACK_NONE :
		    unpack_detect(in, len) != UNPACK_NONE;
	return false;
}

/*
 * Whether entry is a usable unpacked kernel of that form; if so, marks it
 * used.  Entries are renamed into place complete, so the check is a
 * guard against other hands: the magic, in one read.
 */
static bool
cache_hit(const char *entry, enum kernel_form form)
{
	unsigned char head[KIMAGE_ARM64_HEADER];
	struct stat st;
	bool ok;
	int fd;

	if ((fd = open(entry, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	if (ok && form != KERNEL_AS_GIVEN) {
		ok = pread(fd, head, sizeof(head), 0) == (ssize_t)sizeof(head);
		if (ok && form == KERNEL_PVH_ELF)
			ok = memcmp(head, "\177ELF", 4) == 0;
		else if (ok)
			ok = kimage_is_arm64(head, sizeof(head));
	}
	/* In a read-only cache it merely ages. */
	if (ok)
		futimens(fd, NULL);
	close(fd);
	return ok;
}

/* Writes data to path all or nothing; -1 with a reason if not. */
static int
cache_store(const char *path, const unsigned char *data, size_t len,
    char *why, size_t whylen)
{
	struct outfile o;

	if (outfile_open(&o, path, why, whylen) < 0)
		return -1;
	if (len > 0 && fwrite(data, 1, len, o.fp) != len) {
		snprintf(why, whylen, "%s: %s", o.tmp, strerror(errno));
		outfile_abort(&o);
		return -1;
	}
	return outfile_commit(&o, why, whylen);
}

static void
cache_prune(const char *dir)
{
	cachedir_prune(dir, ENTRY_PVH, "", CACHE_KEEP, CACHE_MAX_AGE_DAYS);
	cachedir_prune(dir, ENTRY_IMAGE, "", CACHE_KEEP, CACHE_MAX_AGE_DAYS);
	cachedir_prune(dir, ENTRY_NONE, "", CACHE_KEEP, CACHE_MAX_AGE_DAYS);
}

/* The cache's answer for the kernel in[0..len), unpacking on a miss. */
static void
look_up(struct target *t, const unsigned char *in, size_t len)
{
	enum kernel_form form = t->arch == ARCH_X86_64 ? KERNEL_PVH_ELF :
	    KERNEL_IMAGE;
	char why[1024], *dir, *entry, *none;
	unsigned char *out;
	size_t out_len;
	int rc;

	if ((dir = cachedir(NULL, "kernels", why, sizeof(why))) == NULL) {
		note("%s: booted as given, not unpacked: %s", t->kernel, why);
		return;
	}
	entry = xasprintf("%s/%s%s", dir, form == KERNEL_PVH_ELF ? ENTRY_PVH :
	    ENTRY_IMAGE, t->kernel_key);
	none = xasprintf("%s/" ENTRY_NONE "%s", dir, t->kernel_key);
	if (cache_hit(entry, form)) {
		free(t->boot_kernel);
		t->boot_kernel = entry;
		t->kernel_form = kernel_form_name(form);
		entry = NULL;
	} else if (!cache_hit(none, KERNEL_AS_GIVEN)) {
		rc = kernel_unpack(in, len, t->arch, KERNEL_UNPACK_MAX, &out,
		    &out_len, why, sizeof(why));
		if (rc < 0)
			note("%s: booted as given: %s", t->kernel, why);
		else if (rc == KERNEL_AS_GIVEN) {
			/* Nothing to unpack: say so to the next run. */
			if (cache_store(none, NULL, 0, why, sizeof(why)) == 0)
				cache_prune(dir);
		} else if (cache_store(entry, out, out_len, why,
		    sizeof(why)) < 0)
			note("%s: booted as given, not unpacked: %s",
			    t->kernel, why);
		else {
			free(t->boot_kernel);
			t->boot_kernel = entry;
			t->kernel_form = kernel_form_name(form);
			entry = NULL;
			cache_prune(dir);
		}
		free(out);
	}
	free(none);
	free(entry);
	free(dir);
}

void
kernel_prepare(struct target *t)
{
	const unsigned char *img;
	size_t len;

	t->boot_kernel = xstrdup(t->kernel);
	t->kernel_form = kernel_form_name(KERNEL_AS_GIVEN);
	t->kernel_key = NULL;
	if (map_whole(t->kernel, &img, &len) < 0) {
		/* QEMU will say it cannot read it, if it cannot. */
		note_errno("%s: not unpacked", t->kernel);
		return;
	}
	/*
	 * The key: CRC-64 of the bytes, and their length.  A CRC is no
	 * defence against forgery, and needs none: whoever can write the
	 * kernel or the cache can boot what they like anyway.  Against
	 * accidents (a rebuilt kernel) 64 bits are as good as any hash, and
	 * liblzma's runs at some GB/s: a few ms for a bzImage, on every run.
	 */
	t->kernel_key = xasprintf("%016" PRIx64 "-%zu", lzma_crc64(img, len,
	    0), len);
	if (may_unpack(img, len, t->arch))
		look_up(t, img, len);
	unmap_whole(img, len);
}

void
kernel_free(struct target *t)
{
	free(t->boot_kernel);
	free(t->kernel_key);
	t->boot_kernel = NULL;
	t->kernel_key = NULL;
	t->kernel_form = NULL;
}
