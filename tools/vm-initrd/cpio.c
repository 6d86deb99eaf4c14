#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cpio.h"
#include "xalloc.h"

#define HEADER_LEN 110
#define TRAILER "TRAILER!!!"

/* What one header describes. */
struct entry {
	const char *name;
	size_t name_len;
	uint32_t ino, mode, nlink, filesize, rdevmajor, rdevminor;
};

void
cpio_init(struct cpio *c, FILE *out)
{
	memset(c, 0, sizeof(*c));
	c->out = out;
	c->next_ino = 1;
}

void
cpio_free(struct cpio *c)
{
	size_t i;

	for (i = 0; i < c->nnames; i++)
		free(c->names[i].name);
	free(c->names);
	c->names = NULL;
	c->nnames = 0;
}

static int
fail(struct cpio *c, int err)
{
	if (c->error == 0)
		c->error = err;
	errno = c->error;
	return -1;
}

/* Relative, no empty, "." or ".." components: what the guest will see. */
static bool
name_ok(const char *name)
{
	const char *p = name, *slash;
	size_t n;

	if (*name == '\0' || *name == '/')
		return false;
	for (;;) {
		slash = strchr(p, '/');
		n = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (slash == NULL)
			return true;
		p = slash + 1;
	}
}

/* The entry of a name already written, or NULL. */
static const struct cpio_name *
find_name(const struct cpio *c, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < c->nnames; i++)
		if (strncmp(c->names[i].name, name, len) == 0 &&
		    c->names[i].name[len] == '\0')
			return &c->names[i];
	return NULL;
}

static void
remember(struct cpio *c, const char *name, size_t len, uint32_t mode)
{
	c->names = xreallocarray(c->names, c->nnames + 1, sizeof(*c->names));
	c->names[c->nnames].name = xstrndup(name, len);
	c->names[c->nnames++].mode = mode;
}

/* Zero bytes that bring a length to a multiple of 4. */
static size_t
pad4(size_t n)
{
	return (4 - (n & 3)) & 3;
}

static int
write_bytes(struct cpio *c, const void *p, size_t n)
{
	if (n > 0 && fwrite(p, 1, n, c->out) != n)
		return fail(c, errno != 0 ? errno : EIO);
	return 0;
}

static int
write_entry(struct cpio *c, const struct entry *e, const void *data)
{
	static const char zeros[4];
	char hdr[HEADER_LEN + 1];

	/* Every field 8 hex digits; mtime, uid, gid, devices, check: 0. */
	snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X"
	    "%08X%08X%08X%08X%08zX%08X", (unsigned)e->ino, (unsigned)e->mode,
	    0u, 0u, (unsigned)e->nlink, 0u, (unsigned)e->filesize, 0u, 0u,
	    (unsigned)e->rdevmajor, (unsigned)e->rdevminor, e->name_len + 1,
	    0u);
	if (write_bytes(c, hdr, HEADER_LEN) < 0 ||
	    write_bytes(c, e->name, e->name_len) < 0 ||
	    write_bytes(c, zeros, 1 + pad4(HEADER_LEN + e->name_len + 1)) < 0 ||
	    write_bytes(c, data, e->filesize) < 0 ||
	    write_bytes(c, zeros, pad4(e->filesize)) < 0)
		return -1;
	return 0;
}

/* Writes one entry named name[0..len), given that its parents exist. */
static int
add(struct cpio *c, const char *name, size_t len, uint32_t mode,
    const void *data, size_t size, unsigned int major, unsigned int minor)
{
	struct entry e = { name, len, c->next_ino, mode,
	    S_ISDIR(mode) ? 2 : 1, (uint32_t)size, major, minor };

	remember(c, name, len, mode);
	c->next_ino++;
	return write_entry(c, &e, data);
}

/*
 * Checks name and writes the parents it lacks.  Returns 1 if name itself
 * is a directory already written and mode asks for one (nothing to do).
 */
static int
prepare(struct cpio *c, const char *name, uint32_t mode)
{
	const struct cpio_name *seen;
	const char *slash;

	if (c->error != 0)
		return fail(c, c->error);
	if (!name_ok(name) || strlen(name) > 4095) {
		errno = EINVAL;
		return -1;
	}
	for (slash = strchr(name, '/'); slash != NULL;
	    slash = strchr(slash + 1, '/')) {
		seen = find_name(c, name, (size_t)(slash - name));
		if (seen != NULL && !S_ISDIR(seen->mode)) {
			errno = ENOTDIR;
			return -1;
		}
		if (seen == NULL && add(c, name, (size_t)(slash - name),
		    S_IFDIR | 0755, NULL, 0, 0, 0) < 0)
			return -1;
	}
	if ((seen = find_name(c, name, strlen(name))) != NULL) {
		if (S_ISDIR(mode) && S_ISDIR(seen->mode))
			return 1;
		errno = EEXIST;
		return -1;
	}
	return 0;
}

int
cpio_add_dir(struct cpio *c, const char *name, unsigned int perm)
{
	int rc = prepare(c, name, S_IFDIR);

	if (rc != 0)
		return rc < 0 ? -1 : 0;
	return add(c, name, strlen(name), S_IFDIR | (perm & 07777), NULL, 0,
	    0, 0);
}

int
cpio_add_file(struct cpio *c, const char *name, unsigned int perm,
    const void *data, size_t len)
{
	int rc;

	if (len > UINT32_MAX) {
		errno = EFBIG;
		return -1;
	}
	if ((rc = prepare(c, name, S_IFREG)) < 0)
		return -1;
	return add(c, name, strlen(name), S_IFREG | (perm & 07777), data, len,
	    0, 0);
}

int
cpio_add_chardev(struct cpio *c, const char *name, unsigned int perm,
    unsigned int major, unsigned int minor)
{
	if (prepare(c, name, S_IFCHR) < 0)
		return -1;
	return add(c, name, strlen(name), S_IFCHR | (perm & 07777), NULL, 0,
	    major, minor);
}

int
cpio_finish(struct cpio *c)
{
	struct entry e = { TRAILER, sizeof(TRAILER) - 1, 0, 0, 1, 0, 0, 0 };

	if (c->error != 0)
		return fail(c, c->error);
	if (write_entry(c, &e, NULL) < 0)
		return -1;
	if (fflush(c->out) != 0 || ferror(c->out))
		return fail(c, errno != 0 ? errno : EIO);
	return 0;
}
