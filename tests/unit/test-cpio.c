#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../tools/vm-initrd/cpio.h"
#include "check.h"

/* One entry as read back from an archive, by a reader of our own. */
struct entry {
	uint32_t ino, mode, uid, gid, nlink, mtime, filesize;
	uint32_t devmajor, devminor, rdevmajor, rdevminor, namesize, check;
	char name[256];
	const unsigned char *data;
};

/* Eight hex digits at p, or -1 if they are not. */
static int64_t
hex8(const unsigned char *p)
{
	int64_t v = 0;
	int i;

	for (i = 0; i < 8; i++) {
		v <<= 4;
		if (p[i] >= '0' && p[i] <= '9')
			v |= p[i] - '0';
		else if (p[i] >= 'A' && p[i] <= 'F')
			v |= p[i] - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * Reads the entry at *off and moves *off past it and its padding.  False
 * if the bytes are not a well-formed newc entry with zeroed padding.
 */
static bool
read_entry(const unsigned char *buf, size_t len, size_t *off,
    struct entry *e)
{
	uint32_t *fields[] = { &e->ino, &e->mode, &e->uid, &e->gid, &e->nlink,
	    &e->mtime, &e->filesize, &e->devmajor, &e->devminor,
	    &e->rdevmajor, &e->rdevminor, &e->namesize, &e->check };
	const unsigned char *p = buf + *off;
	size_t i, at;
	int64_t v;

	if (len - *off < 110 || memcmp(p, "070701", 6) != 0)
		return false;
	for (i = 0; i < 13; i++) {
		if ((v = hex8(p + 6 + 8 * i)) < 0)
			return false;
		*fields[i] = (uint32_t)v;
	}
	at = *off + 110;
	if (e->namesize == 0 || e->namesize > sizeof(e->name) ||
	    len - at < e->namesize || buf[at + e->namesize - 1] != '\0')
		return false;
	memcpy(e->name, buf + at, e->namesize);
	for (at += e->namesize; at % 4 != 0; at++)
		if (at >= len || buf[at] != 0)
			return false;
	if (len - at < e->filesize)
		return false;
	e->data = buf + at;
	for (at += e->filesize; at % 4 != 0; at++)
		if (at >= len || buf[at] != 0)
			return false;
	*off = at;
	return true;
}

/* An archive in memory. */
struct mem {
	char *buf;
	size_t len;
	FILE *f;
	struct cpio c;
};

static void
mem_open(struct mem *m)
{
	memset(m, 0, sizeof(*m));
	m->f = open_memstream(&m->buf, &m->len);
	if (m->f == NULL)
		abort();
	cpio_init(&m->c, m->f);
}

static void
mem_close(struct mem *m)
{
	cpio_free(&m->c);
	fclose(m->f);
}

/* The archive every check below starts from. */
static void
sample(struct mem *m)
{
	mem_open(m);
	CHECK(cpio_add_dir(&m->c, "dev", 0755) == 0);
	CHECK(cpio_add_chardev(&m->c, "dev/console", 0600, 5, 1) == 0);
	CHECK(cpio_add_file(&m->c, "etc/vm-init/modules", 0644, "a.ko\n",
	    5) == 0);
	CHECK(cpio_add_file(&m->c, "init", 0755, "\177ELF123", 7) == 0);
	CHECK(cpio_add_file(&m->c, "lib/modules/v/k/a.ko", 0644, "", 0) ==
	    0);
	CHECK(cpio_finish(&m->c) == 0);
	fflush(m->f);
}

static void
test_entries(void)
{
	static const struct {
		const char *name;
		uint32_t mode, nlink, size, rmaj, rmin;
		const char *data;
	} want[] = {
		{ "dev", S_IFDIR | 0755, 2, 0, 0, 0, "" },
		{ "dev/console", S_IFCHR | 0600, 1, 0, 5, 1, "" },
		{ "etc", S_IFDIR | 0755, 2, 0, 0, 0, "" },
		{ "etc/vm-init", S_IFDIR | 0755, 2, 0, 0, 0, "" },
		{ "etc/vm-init/modules", S_IFREG | 0644, 1, 5, 0, 0,
		    "a.ko\n" },
		{ "init", S_IFREG | 0755, 1, 7, 0, 0, "\177ELF123" },
		{ "lib", S_IFDIR | 0755, 2, 0, 0, 0, "" },
		{ "lib/modules", S_IFDIR | 0755, 2, 0, 0, 0, "" },
		{ "lib/modules/v", S_IFDIR | 0755, 2, 0, 0, 0, "" },
		{ "lib/modules/v/k", S_IFDIR | 0755, 2, 0, 0, 0, "" },
		{ "lib/modules/v/k/a.ko", S_IFREG | 0644, 1, 0, 0, 0, "" },
	};
	const size_t n = sizeof(want) / sizeof(want[0]);
	struct entry e;
	struct mem m;
	size_t off = 0, i;
	bool ok;

	sample(&m);
	for (i = 0; i < n; i++) {
		ok = read_entry((unsigned char *)m.buf, m.len, &off, &e);
		CHECK(ok);
		if (!ok)
			break;
		CHECK(strcmp(e.name, want[i].name) == 0);
		CHECK(e.ino == i + 1);	/* sequential, from 1 */
		CHECK(e.mode == want[i].mode);
		CHECK(e.nlink == want[i].nlink);
		CHECK(e.filesize == want[i].size);
		CHECK(memcmp(e.data, want[i].data, want[i].size) == 0);
		CHECK(e.rdevmajor == want[i].rmaj);
		CHECK(e.rdevminor == want[i].rmin);
		/* Reproducible: no owner, time or device of the host. */
		CHECK(e.uid == 0 && e.gid == 0 && e.mtime == 0);
		CHECK(e.devmajor == 0 && e.devminor == 0 && e.check == 0);
	}
	CHECK(read_entry((unsigned char *)m.buf, m.len, &off, &e));
	CHECK(strcmp(e.name, "TRAILER!!!") == 0);
	CHECK(e.ino == 0 && e.filesize == 0);
	CHECK(off == m.len);	/* nothing after the trailer's padding */
	mem_close(&m);
	free(m.buf);
}

/* The exact bytes of the smallest archive, headers spelled out. */
static void
test_golden(void)
{
	static const char want[] =
	    "070701" "00000001" "000041ED" "00000000" "00000000" "00000002"
	    "00000000" "00000000" "00000000" "00000000" "00000000" "00000000"
	    "00000002" "00000000" "a\0"
	    "070701" "00000000" "00000000" "00000000" "00000000" "00000001"
	    "00000000" "00000000" "00000000" "00000000" "00000000" "00000000"
	    "0000000B" "00000000" "TRAILER!!!\0" "\0\0\0";
	struct mem m;

	mem_open(&m);
	CHECK(cpio_add_dir(&m.c, "a", 0755) == 0);
	CHECK(cpio_finish(&m.c) == 0);
	fflush(m.f);
	CHECK(m.len == sizeof(want) - 1);
	CHECK(m.len == 236 && memcmp(m.buf, want, m.len) == 0);
	mem_close(&m);
	free(m.buf);
}

static void
test_reproducible(void)
{
	struct mem a, b;

	sample(&a);
	sample(&b);
	CHECK(a.len == b.len && memcmp(a.buf, b.buf, a.len) == 0);
	mem_close(&a);
	mem_close(&b);
	free(a.buf);
	free(b.buf);
}

/* Whether adding a file called name fails with err. */
static bool
file_fails(struct cpio *c, const char *name, int err)
{
	errno = 0;
	return cpio_add_file(c, name, 0644, "x", 1) == -1 && errno == err;
}

static void
test_names(void)
{
	struct mem m;

	mem_open(&m);
	CHECK(file_fails(&m.c, "", EINVAL));
	CHECK(file_fails(&m.c, "/init", EINVAL));
	CHECK(file_fails(&m.c, "a//b", EINVAL));
	CHECK(file_fails(&m.c, "a/", EINVAL));
	CHECK(file_fails(&m.c, "./a", EINVAL));
	CHECK(file_fails(&m.c, "a/../b", EINVAL));
	CHECK(file_fails(&m.c, "..", EINVAL));
	/* Names that only look like those are fine. */
	CHECK(cpio_add_file(&m.c, "..a/.b/c..", 0644, "x", 1) == 0);

	CHECK(cpio_add_file(&m.c, "f", 0644, "x", 1) == 0);
	CHECK(file_fails(&m.c, "f", EEXIST));
	CHECK(file_fails(&m.c, "f/g", ENOTDIR));
	errno = 0;
	CHECK(cpio_add_dir(&m.c, "f", 0755) == -1 && errno == EEXIST);
	/* A directory again is no error, and writes nothing. */
	CHECK(cpio_add_dir(&m.c, "d", 0755) == 0);
	fflush(m.f);
	{
		size_t before = m.len;

		CHECK(cpio_add_dir(&m.c, "d", 0700) == 0);
		CHECK(cpio_add_dir(&m.c, "..a/.b", 0700) == 0);
		fflush(m.f);
		CHECK(m.len == before);
	}
	CHECK(file_fails(&m.c, "d", EEXIST));
	errno = 0;
	CHECK(cpio_add_file(&m.c, "big", 0644, "", (size_t)UINT32_MAX + 1) ==
	    -1 && errno == EFBIG);
	/* None of these spoiled the archive. */
	CHECK(cpio_finish(&m.c) == 0);
	mem_close(&m);
	free(m.buf);
}

/* A write error sticks: the archive is lost, and every call says so. */
static void
test_write_error(void)
{
	struct cpio c;
	FILE *f;

	if ((f = fopen("/dev/full", "w")) == NULL)
		return;
	setvbuf(f, NULL, _IONBF, 0);
	cpio_init(&c, f);
	errno = 0;
	CHECK(cpio_add_file(&c, "a", 0644, "x", 1) == -1 && errno == ENOSPC);
	errno = 0;
	CHECK(cpio_add_dir(&c, "b", 0755) == -1 && errno == ENOSPC);
	errno = 0;
	CHECK(cpio_finish(&c) == -1 && errno == ENOSPC);
	cpio_free(&c);
	fclose(f);
}

int
main(void)
{
	test_entries();
	test_golden();
	test_reproducible();
	test_names();
	test_write_error();
	return check_result();
}
