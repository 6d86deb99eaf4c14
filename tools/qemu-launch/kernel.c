#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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
#include "outfile.h"
#include "readfile.h"
#include "unpack.h"
#include "xalloc.h"

/* The x86 boot protocol's setup header (Documentation/arch/x86/boot.rst). */
#define HDR_SETUP_SECTS 0x1f1		/* u8; 0 means 4 */
#define HDR_MAGIC 0x202			/* "HdrS" */
#define HDR_VERSION 0x206		/* le16 */
#define HDR_PAYLOAD 0x248		/* le32 offset, le32 length */
#define HDR_END 0x250
/* payload_offset and payload_length came with protocol 2.08. */
#define HDR_PAYLOAD_VERSION 0x0208

/*
 * struct linux_efi_zboot_header
 * (drivers/firmware/efi/libstub/zboot-header.S): "MZ", "zimg", le32
 * payload offset and size, two reserved words, then the compression's
 * name as a C string that ends before the arm64 Image magic at 0x38.
 */
#define ZBOOT_MAGIC 4			/* "zimg" */
#define ZBOOT_PAYLOAD 8			/* le32 offset, le32 size */
#define ZBOOT_TYPE 24
#define ZBOOT_TYPE_END 0x38

/* The arm64 Image header (Documentation/arch/arm64/booting.rst). */
#define ARM64_MAGIC 0x38		/* "ARM\x64" */
#define ARM64_HEADER 64

/* ELF: the PVH entry point is a note of Xen's. */
#define PT_NOTE_TYPE 4
#define XEN_ELFNOTE_PHYS32_ENTRY 18

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

static uint32_t
le16(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t
le32(const unsigned char *p)
{
	return le16(p) | le16(p + 2) << 16;
}

static uint64_t
le64(const unsigned char *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

const char *
kernel_form_name(enum kernel_form f)
{
	switch (f) {
	case KERNEL_PVH_ELF: return "pvh-elf";
	case KERNEL_IMAGE: return "image";
	default: return "as-given";
	}
}

/* Whether the notes in p[0..n), aligned to align, hold Xen's PVH entry. */
static bool
notes_have_pvh(const unsigned char *p, uint64_t n, uint64_t align)
{
	uint64_t pos = 0, namesz, descsz, type;

	while (n - pos >= 12) {
		namesz = le32(p + pos);
		descsz = le32(p + pos + 4);
		type = le32(p + pos + 8);
		pos += 12;
		if (namesz > n - pos)
			return false;
		if (namesz == 4 && memcmp(p + pos, "Xen", 4) == 0 &&
		    type == XEN_ELFNOTE_PHYS32_ENTRY)
			return true;
		/* Sizes are 32-bit: none of this can overflow 64 bits. */
		pos += (namesz + align - 1) / align * align;
		if (pos > n)
			return false;
		pos += (descsz + align - 1) / align * align;
		if (pos > n)
			return false;
	}
	return false;
}

bool
kernel_has_pvh_note(const unsigned char *p, size_t len)
{
	uint64_t phoff, entsize, phnum, i, ph, off, size, align;
	bool is64;

	if (len < 52 || memcmp(p, "\177ELF", 4) != 0 || p[5] != 1 ||
	    (p[4] != 1 && p[4] != 2))
		return false;
	is64 = p[4] == 2;
	if (is64) {
		if (len < 64)
			return false;
		phoff = le64(p + 0x20);
		entsize = le16(p + 0x36);
		phnum = le16(p + 0x38);
	} else {
		phoff = le32(p + 0x1c);
		entsize = le16(p + 0x2a);
		phnum = le16(p + 0x2c);
	}
	if (entsize < (is64 ? 56u : 32u) || phoff > len ||
	    entsize * phnum > len - phoff)
		return false;
	for (i = 0; i < phnum; i++) {
		ph = phoff + i * entsize;
		if (le32(p + ph) != PT_NOTE_TYPE)
			continue;
		if (is64) {
			off = le64(p + ph + 8);
			size = le64(p + ph + 32);
			align = le64(p + ph + 48);
		} else {
			off = le32(p + ph + 4);
			size = le32(p + ph + 16);
			align = le32(p + ph + 28);
		}
		if (off > len || size > len - off)
			continue;
		/* Notes are 4-aligned, but for the GNU ones that say 8. */
		if (notes_have_pvh(p + off, size, align == 8 ? 8 : 4))
			return true;
	}
	return false;
}

static bool
is_arm64_image(const unsigned char *p, size_t len)
{
	return len >= ARM64_HEADER && memcmp(p + ARM64_MAGIC, "ARM\x64", 4) ==
	    0;
}

/*
 * The compressed payload of a bzImage, or false if in is none (or one
 * from before boot protocol 2.08, which does not say where it is).
 * Sets *bad for a header whose payload lies outside the file.
 */
static bool
bzimage_payload(const unsigned char *in, size_t len, size_t *start,
    size_t *plen, bool *bad)
{
	uint64_t setup, off, n;

	*bad = false;
	if (len < HDR_END || memcmp(in + HDR_MAGIC, "HdrS", 4) != 0 ||
	    le16(in + HDR_VERSION) < HDR_PAYLOAD_VERSION)
		return false;
	setup = in[HDR_SETUP_SECTS] != 0 ? in[HDR_SETUP_SECTS] : 4;
	off = (setup + 1) * 512 + le32(in + HDR_PAYLOAD);
	n = le32(in + HDR_PAYLOAD + 4);
	if (n == 0 || off > len || n > len - off) {
		*bad = true;
		return true;
	}
	*start = (size_t)off;
	*plen = (size_t)n;
	return true;
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

static bool
is_zboot(const unsigned char *in, size_t len)
{
	return len >= ZBOOT_TYPE_END && memcmp(in, "MZ", 2) == 0 &&
	    memcmp(in + ZBOOT_MAGIC, "zimg", 4) == 0;
}

/* The zboot header's compression name, as the kernel's Makefile writes it. */
static enum unpack_format
zboot_format(const unsigned char *in)
{
	static const struct {
		const char *name;
		enum unpack_format f;
	} names[] = {
		{ "gzip", UNPACK_GZIP }, { "xz", UNPACK_XZ },
		{ "zstd", UNPACK_ZSTD }, { "lzma", UNPACK_LZMA },
	};
	const char *type = (const char *)in + ZBOOT_TYPE;
	size_t i, n;

	n = strnlen(type, ZBOOT_TYPE_END - ZBOOT_TYPE);
	if (n == ZBOOT_TYPE_END - ZBOOT_TYPE)
		return UNPACK_NONE;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(type, names[i].name) == 0)
			return names[i].f;
	return UNPACK_NONE;
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

static int
unpack_x86(const unsigned char *in, size_t len, size_t limit,
    unsigned char **out, size_t *out_len, char *why, size_t whylen)
{
	enum unpack_format f;
	size_t start, n;
	bool bad;

	if (!bzimage_payload(in, len, &start, &n, &bad))
		return KERNEL_AS_GIVEN;
	if (bad) {
		snprintf(why, whylen, "bzImage: the payload lies outside "
		    "the file");
		return -1;
	}
	if ((f = payload_format(in + start, n)) == UNPACK_NONE)
		return KERNEL_AS_GIVEN;
	if (unpack_payload(f, in + start, n, limit, "bzImage payload", out,
	    out_len, why, whylen) < 0)
		return -1;
	if (kernel_has_pvh_note(*out, *out_len))
		return KERNEL_PVH_ELF;
	free(*out);
	*out = NULL;
	*out_len = 0;
	return KERNEL_AS_GIVEN;
}

static int
unpack_arm64(const unsigned char *in, size_t len, size_t limit,
    unsigned char **out, size_t *out_len, char *why, size_t whylen)
{
	enum unpack_format f;
	uint64_t off, n;

	if (is_zboot(in, len)) {
		if ((f = zboot_format(in)) == UNPACK_NONE)
			return KERNEL_AS_GIVEN;
		off = le32(in + ZBOOT_PAYLOAD);
		n = le32(in + ZBOOT_PAYLOAD + 4);
		if (n == 0 || off > len || n > len - off) {
			snprintf(why, whylen, "EFI zboot: the payload lies "
			    "outside the file");
			return -1;
		}
		if (unpack_payload(f, in + off, (size_t)n, limit,
		    "EFI zboot payload", out, out_len, why, whylen) < 0)
			return -1;
	} else {
		if ((f = unpack_detect(in, len)) == UNPACK_NONE)
			return KERNEL_AS_GIVEN;
		if (unpack_payload(f, in, len, limit, unpack_name(f), out,
		    out_len, why, whylen) < 0)
			return -1;
	}
	if (is_arm64_image(*out, *out_len))
		return KERNEL_IMAGE;
	free(*out);
	*out = NULL;
	*out_len = 0;
	return KERNEL_AS_GIVEN;
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
	size_t start, n;
	bool bad;

	if (arch == ARCH_X86_64)
		return bzimage_payload(in, len, &start, &n, &bad) && (bad ||
		    payload_format(in + start, n) != UNPACK_NONE);
	if (arch == ARCH_AARCH64)
		return is_zboot(in, len) ? zboot_format(in) != UNPACK_NONE :
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
	unsigned char head[ARM64_HEADER];
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
			ok = is_arm64_image(head, sizeof(head));
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
