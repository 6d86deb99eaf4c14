/*
 * backend.c: opening a backend by name, the checks every backend shares,
 * and the two backends too small for a file of their own: zero and
 * pattern.  memory is in backend-memory.c, file in backend-file.c.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend-impl.h"
#include "xalloc.h"

/*
 * Offsets travel as off_t in the file backend and as int64 in nbdkit, so no
 * export may be larger; it also keeps offset + length from overflowing.
 */
#define BACKEND_MAX_SIZE	((uint64_t)INT64_MAX)

/* zero: reads are zeros, writes vanish, every byte is a hole. */

static int
zero_read(struct backend *b, void *buf, uint64_t offset, size_t len)
{
	(void)b;
	(void)offset;
	memset(buf, 0, len);
	return 0;
}

static int
zero_write(struct backend *b, const void *buf, uint64_t offset, size_t len,
    bool fua)
{
	(void)b;
	(void)buf;
	(void)offset;
	(void)len;
	(void)fua;
	return 0;
}

static int
nothing_to_flush(struct backend *b)
{
	(void)b;
	return 0;
}

static int
zero_trim(struct backend *b, uint64_t offset, uint64_t len)
{
	(void)b;
	(void)offset;
	(void)len;
	return 0;
}

static int
zero_zero(struct backend *b, uint64_t offset, uint64_t len, bool may_trim)
{
	(void)b;
	(void)offset;
	(void)len;
	(void)may_trim;
	return 0;
}

static int
zero_extent(struct backend *b, uint64_t offset, uint64_t len,
    uint64_t *extent_len, uint32_t *flags)
{
	(void)b;
	(void)offset;
	*extent_len = len;
	*flags = BACKEND_HOLE | BACKEND_ZERO;
	return 0;
}

static void
plain_close(struct backend *b)
{
	free(b);
}

static const struct backend_ops zero_ops = {
	.read = zero_read,
	.write = zero_write,
	.flush = nothing_to_flush,
	.trim = zero_trim,
	.zero = zero_zero,
	.extent = zero_extent,
	.close = plain_close,
};

/*
 * pattern: the 8 bytes at each multiple of 8 hold that offset as a
 * big-endian u64, as in nbdkit's pattern plugin, so any byte can be
 * computed from its own offset and a client can check where data came from.
 * Read-only: backend_open forces readonly, and backend.c refuses writes
 * before they reach here, so there are no write ops.
 */

static uint8_t
pattern_byte(uint64_t offset)
{
	uint64_t word = offset & ~(uint64_t)7;

	return (uint8_t)(word >> (8 * (7 - (offset & 7))));
}

static int
pattern_read(struct backend *b, void *buf, uint64_t offset, size_t len)
{
	uint8_t *p = buf;

	(void)b;
	for (; len > 0 && (offset & 7) != 0; len--)
		*p++ = pattern_byte(offset++);
	for (; len >= 8; len -= 8) {
		uint64_t be = htobe64(offset);

		memcpy(p, &be, 8);
		p += 8;
		offset += 8;
	}
	for (; len > 0; len--)
		*p++ = pattern_byte(offset++);
	return 0;
}

static int
pattern_extent(struct backend *b, uint64_t offset, uint64_t len,
    uint64_t *extent_len, uint32_t *flags)
{
	(void)b;
	(void)offset;
	*extent_len = len;
	*flags = 0;
	return 0;
}

static const struct backend_ops pattern_ops = {
	.read = pattern_read,
	.flush = nothing_to_flush,
	.extent = pattern_extent,
	.close = plain_close,
};

static struct backend *
plain_open(const struct backend_ops *ops, uint64_t size, bool readonly,
    bool is_zero)
{
	struct backend *b = xcalloc(1, sizeof(*b));

	b->ops = ops;
	b->size = size;
	b->readonly = readonly;
	b->is_zero = is_zero;
	return b;
}

/* The size check of the backends that have no size of their own. */
static bool
size_ok(const char *name, uint64_t size, char *err, size_t errlen)
{
	if (size == 0) {
		snprintf(err, errlen, "%s: size 0", name);
		return false;
	}
	if (size > BACKEND_MAX_SIZE) {
		snprintf(err, errlen,
		    "%s: size %llu is too large (at most %llu)", name,
		    (unsigned long long)size,
		    (unsigned long long)BACKEND_MAX_SIZE);
		return false;
	}
	return true;
}

struct backend *
backend_open(const char *spec, uint64_t size, bool readonly, char *err,
    size_t errlen)
{
	if (strcmp(spec, "zero") == 0) {
		if (!size_ok(spec, size, err, errlen))
			return NULL;
		return plain_open(&zero_ops, size, readonly, true);
	}
	if (strcmp(spec, "pattern") == 0) {
		if (!size_ok(spec, size, err, errlen))
			return NULL;
		return plain_open(&pattern_ops, size, true, false);
	}
	if (strcmp(spec, "memory") == 0) {
		if (!size_ok(spec, size, err, errlen))
			return NULL;
		return memory_open(size, readonly, err, errlen);
	}
	if (strncmp(spec, "file:", 5) == 0) {
		if (spec[5] == '\0') {
			snprintf(err, errlen, "file: no path (file:PATH)");
			return NULL;
		}
		if (size > BACKEND_MAX_SIZE) {
			snprintf(err, errlen,
			    "%s: size %llu is too large (at most %llu)", spec,
			    (unsigned long long)size,
			    (unsigned long long)BACKEND_MAX_SIZE);
			return NULL;
		}
		return file_open(spec + 5, size, readonly, err, errlen);
	}
	snprintf(err, errlen,
	    "unknown backend '%s' (zero, memory, pattern, file:PATH)", spec);
	return NULL;
}

void
backend_close(struct backend *b)
{
	if (b != NULL)
		b->ops->close(b);
}

uint64_t
backend_size(const struct backend *b)
{
	return b->size;
}

bool
backend_readonly(const struct backend *b)
{
	return b->readonly;
}

bool
backend_is_zero(const struct backend *b)
{
	return b->is_zero;
}

/*
 * Callers check ranges against the size before calling; checking again
 * here costs two comparisons and keeps a caller's slip from becoming a
 * write past the end of a memory page table.  The errors are the ones the
 * protocol asks for (EINVAL for reads, ENOSPC for writes past the end).
 */
static bool
in_range(const struct backend *b, uint64_t offset, uint64_t len)
{
	return offset <= b->size && len <= b->size - offset;
}

int
backend_read(struct backend *b, void *buf, uint64_t offset, size_t len)
{
	if (!in_range(b, offset, len))
		return EINVAL;
	if (len == 0)
		return 0;
	return b->ops->read(b, buf, offset, len);
}

int
backend_write(struct backend *b, const void *buf, uint64_t offset,
    size_t len, bool fua)
{
	if (b->readonly)
		return EROFS;
	if (!in_range(b, offset, len))
		return ENOSPC;
	if (len == 0)
		return 0;
	return b->ops->write(b, buf, offset, len, fua);
}

int
backend_flush(struct backend *b)
{
	return b->ops->flush(b);
}

int
backend_trim(struct backend *b, uint64_t offset, uint64_t len)
{
	if (b->readonly)
		return EROFS;
	if (!in_range(b, offset, len))
		return EINVAL;
	if (len == 0)
		return 0;
	return b->ops->trim(b, offset, len);
}

int
backend_zero(struct backend *b, uint64_t offset, uint64_t len,
    bool may_trim)
{
	if (b->readonly)
		return EROFS;
	if (!in_range(b, offset, len))
		return ENOSPC;
	if (len == 0)
		return 0;
	return b->ops->zero(b, offset, len, may_trim);
}

void
backend_pending(struct backend *b, uint64_t *ops, uint64_t *bytes)
{
	*ops = *bytes = 0;
	if (b->ops->pending != NULL)
		b->ops->pending(b, ops, bytes);
}

int
backend_power_cut(struct backend *b, enum lose lose, uint64_t seed,
    struct power_cut *pc)
{
	memset(pc, 0, sizeof(*pc));
	return b->ops->power_cut != NULL ? b->ops->power_cut(b, lose, seed, pc) :
	    0;
}

void
power_cut_free(struct power_cut *pc)
{
	free(pc->ops);
	pc->ops = NULL;
	pc->n = 0;
}

int
backend_extent(struct backend *b, uint64_t offset, uint64_t len,
    uint64_t *extent_len, uint32_t *flags)
{
	/* An extent is never empty, so there is none to give for len 0. */
	if (!in_range(b, offset, len) || len == 0)
		return EINVAL;
	return b->ops->extent(b, offset, len, extent_len, flags);
}
