/*
 * backend-volatile.c: a disk's volatile write cache, over any backend.
 *
 * Writes, trims and write-zeroes are acknowledged into memory and reach
 * the backend below only at a FLUSH, as on a disk whose cache loses what
 * it holds when the power goes.  A FUA write reaches the backend at once.
 *
 * Two structures hold what is not yet flushed:
 *  - the journal: every operation since the last flush, in submission
 *    order, with its data.  A flush applies it in order, so the backend
 *    ends as the client saw it.  A FUA write is in the journal too, marked
 *    durable: an older write of the same blocks applied at the flush is
 *    then overwritten again, in order, instead of undoing it.  Keeping the
 *    order is what later lets a power cut keep any subset of it.
 *  - the overlay: the newest content of every 4 KiB page the journal
 *    touches, in a memory backend, with a bitmap of those pages.  Reads
 *    take overlay pages from there and the rest from the backend.
 *
 * Each byte not yet flushed costs about twice its size (journal and
 * overlay, the overlay by whole pages).  Past the cap a write fails with
 * ENOSPC, as a full disk would, until the client flushes.  One mutex
 * guards the cache: requests are served in the order they take it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend-impl.h"

#define PAGE_SHIFT	12
#define PAGE		((uint64_t)1 << PAGE_SHIFT)
#define CHUNK_SHIFT	15	/* pages a bitmap chunk covers: 128 MiB */
#define CHUNK_WORDS	(((uint64_t)1 << CHUNK_SHIFT) / 64)
/* The bitmap's top level: 8 bytes per 128 MiB, 4 MiB at this size. */
#define VOLATILE_MAX_SIZE	((uint64_t)1 << 46)	/* 64 TiB */

enum op { OP_WRITE, OP_TRIM, OP_ZERO };

struct entry {
	enum op op;
	bool durable;		/* a FUA write: the backend has it already */
	bool may_trim;		/* OP_ZERO */
	uint64_t offset, len;
	void *data;		/* OP_WRITE */
};

struct vol {
	struct backend b;
	struct backend *lower;
	struct backend *overlay;	/* newest content of cached pages */
	uint64_t **bits;		/* cached pages, by chunk */
	uint64_t nchunks;
	struct entry *journal;
	size_t n, cap;
	uint64_t cost, max;		/* bytes held for writes, and the cap */
	pthread_mutex_t lock;
};

static struct vol *
vol_of(struct backend *b)
{
	return (struct vol *)b;
}

static bool
page_cached(const struct vol *v, uint64_t page)
{
	const uint64_t *chunk = v->bits[page >> CHUNK_SHIFT];
	uint64_t bit = page & (((uint64_t)1 << CHUNK_SHIFT) - 1);

	return chunk != NULL && (chunk[bit / 64] >> (bit % 64) & 1) != 0;
}

static int
mark_cached(struct vol *v, uint64_t page)
{
	uint64_t **chunk = &v->bits[page >> CHUNK_SHIFT];
	uint64_t bit = page & (((uint64_t)1 << CHUNK_SHIFT) - 1);

	if (*chunk == NULL && (*chunk = calloc(CHUNK_WORDS, 8)) == NULL)
		return ENOMEM;
	(*chunk)[bit / 64] |= (uint64_t)1 << (bit % 64);
	return 0;
}

/* The bytes of page that lie inside the export. */
static uint64_t
page_len(const struct vol *v, uint64_t page)
{
	uint64_t start = page << PAGE_SHIFT;

	return v->b.size - start < PAGE ? v->b.size - start : PAGE;
}

/*
 * Brings the pages of [offset, offset + len) into the overlay.  A page the
 * range covers only in part is copied from the backend first, so that the
 * change keeps the rest of it; a page it covers whole is only marked.
 */
static int
cache_pages(struct vol *v, uint64_t offset, uint64_t len)
{
	unsigned char buf[PAGE];
	uint64_t p, start, last = (offset + len - 1) >> PAGE_SHIFT;
	int e;

	for (p = offset >> PAGE_SHIFT; p <= last; p++) {
		if (page_cached(v, p))
			continue;
		start = p << PAGE_SHIFT;
		if ((start < offset || start + page_len(v, p) > offset + len) &&
		    ((e = backend_read(v->lower, buf, start,
		    page_len(v, p))) != 0 ||
		    (e = backend_write(v->overlay, buf, start,
		    page_len(v, p), false)) != 0))
			return e;
		if ((e = mark_cached(v, p)) != 0)
			return e;
	}
	return 0;
}

/*
 * What caching an operation costs: a write its data twice (journal and
 * overlay pages), a trim or zero only its bitmap bits.
 */
static uint64_t
cost_of(const struct entry *en)
{
	uint64_t pages = ((en->offset + en->len - 1) >> PAGE_SHIFT) -
	    (en->offset >> PAGE_SHIFT) + 1;

	return en->op == OP_WRITE ? en->len + pages * PAGE : 0;
}

static int
journal_add(struct vol *v, const struct entry *e)
{
	struct entry *grown;
	size_t cap;

	if (v->n == v->cap) {
		cap = v->cap ? 2 * v->cap : 64;
		if ((grown = realloc(v->journal, cap * sizeof(*grown))) == NULL)
			return ENOMEM;
		v->journal = grown;
		v->cap = cap;
	}
	v->journal[v->n++] = *e;
	return 0;
}

/* One operation into the cache: journal, overlay, and through if FUA. */
static int
cache_op(struct vol *v, struct entry *en, const void *buf)
{
	int e;

	if (cost_of(en) > v->max || v->cost > v->max - cost_of(en))
		return ENOSPC;
	if (en->op == OP_WRITE) {
		if ((en->data = malloc(en->len)) == NULL)
			return ENOMEM;
		memcpy(en->data, buf, en->len);
	}
	if ((e = cache_pages(v, en->offset, en->len)) != 0)
		goto fail;
	if (en->op == OP_WRITE)
		e = backend_write(v->overlay, buf, en->offset, en->len, false);
	else
		e = backend_zero(v->overlay, en->offset, en->len, true);
	if (e == 0 && en->durable)
		e = backend_write(v->lower, buf, en->offset, en->len, true);
	if (e == 0 && (e = journal_add(v, en)) == 0) {
		v->cost += cost_of(en);
		return 0;
	}
fail:
	free(en->data);
	return e;
}

static int
vol_write(struct backend *b, const void *buf, uint64_t offset, size_t len,
    bool fua)
{
	struct vol *v = vol_of(b);
	struct entry en = { .op = OP_WRITE, .durable = fua, .offset = offset,
	    .len = len };
	int e;

	pthread_mutex_lock(&v->lock);
	e = cache_op(v, &en, buf);
	pthread_mutex_unlock(&v->lock);
	return e;
}

static int
vol_trim(struct backend *b, uint64_t offset, uint64_t len)
{
	struct vol *v = vol_of(b);
	struct entry en = { .op = OP_TRIM, .offset = offset, .len = len };
	int e;

	pthread_mutex_lock(&v->lock);
	e = cache_op(v, &en, NULL);
	pthread_mutex_unlock(&v->lock);
	return e;
}

static int
vol_zero(struct backend *b, uint64_t offset, uint64_t len, bool may_trim)
{
	struct vol *v = vol_of(b);
	struct entry en = { .op = OP_ZERO, .may_trim = may_trim,
	    .offset = offset, .len = len };
	int e;

	pthread_mutex_lock(&v->lock);
	e = cache_op(v, &en, NULL);
	pthread_mutex_unlock(&v->lock);
	return e;
}

static int
vol_read(struct backend *b, void *buf, uint64_t offset, size_t len)
{
	struct vol *v = vol_of(b);
	unsigned char *p = buf;
	uint64_t n, end = offset + len;
	int e = 0;

	pthread_mutex_lock(&v->lock);
	while (e == 0 && offset < end) {
		n = PAGE - (offset & (PAGE - 1));
		if (n > end - offset)
			n = end - offset;
		e = backend_read(page_cached(v, offset >> PAGE_SHIFT) ?
		    v->overlay : v->lower, p, offset, n);
		p += n;
		offset += n;
	}
	pthread_mutex_unlock(&v->lock);
	return e;
}

/* Forgets the cache: the journal, the overlay, the bitmap. */
static int
forget(struct vol *v)
{
	char err[128];
	uint64_t i;
	size_t k;

	for (k = 0; k < v->n; k++)
		free(v->journal[k].data);
	v->n = 0;
	for (i = 0; i < v->nchunks; i++) {
		free(v->bits[i]);
		v->bits[i] = NULL;
	}
	v->cost = 0;
	backend_close(v->overlay);
	v->overlay = backend_open("memory", v->b.size, false, err,
	    sizeof(err));
	return v->overlay == NULL ? ENOMEM : 0;
}

static int
apply(struct vol *v, const struct entry *en)
{
	if (en->op == OP_WRITE)
		return backend_write(v->lower, en->data, en->offset, en->len,
		    false);
	if (en->op == OP_TRIM)
		return backend_trim(v->lower, en->offset, en->len);
	return backend_zero(v->lower, en->offset, en->len, en->may_trim);
}

/* Applies the journal to the backend, in order, then flushes it. */
static int
vol_flush(struct backend *b)
{
	struct vol *v = vol_of(b);
	size_t k;
	int e = 0;

	pthread_mutex_lock(&v->lock);
	for (k = 0; e == 0 && k < v->n; k++)
		e = apply(v, &v->journal[k]);
	if (e == 0)
		e = backend_flush(v->lower);
	/* On failure the journal stays, to be applied again from its start. */
	if (e == 0)
		e = forget(v);
	pthread_mutex_unlock(&v->lock);
	return e;
}

static uint64_t
xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/*
 * Block status: a cached page is data (the overlay knows better than the
 * backend); elsewhere the backend's answer, cut at the next cached page.
 */
static int
vol_extent(struct backend *b, uint64_t offset, uint64_t len,
    uint64_t *extent_len, uint32_t *flags)
{
	struct vol *v = vol_of(b);
	uint64_t end = offset + len, at, next;
	bool cached;
	int e = 0;

	pthread_mutex_lock(&v->lock);
	cached = page_cached(v, offset >> PAGE_SHIFT);
	for (at = offset; at < end; at = next) {
		next = ((at >> PAGE_SHIFT) + 1) << PAGE_SHIFT;
		if (next > end)
			next = end;
		if (page_cached(v, at >> PAGE_SHIFT) != cached)
			break;
	}
	if (cached) {
		*extent_len = at - offset;
		*flags = 0;
	} else {
		e = backend_extent(v->lower, offset, at - offset, extent_len,
		    flags);
	}
	pthread_mutex_unlock(&v->lock);
	return e;
}

static void
vol_close(struct backend *b)
{
	struct vol *v = vol_of(b);

	forget(v);
	backend_close(v->overlay);
	backend_close(v->lower);
	free(v->bits);
	free(v->journal);
	pthread_mutex_destroy(&v->lock);
	free(v);
}


static void
vol_pending(struct backend *b, uint64_t *ops, uint64_t *bytes)
{
	struct vol *v = vol_of(b);
	size_t k;

	pthread_mutex_lock(&v->lock);
	for (k = 0; k < v->n; k++) {
		if (v->journal[k].durable)
			continue;
		(*ops)++;
		*bytes += v->journal[k].len;
	}
	pthread_mutex_unlock(&v->lock);
}

/*
 * The durable writes are applied again in their place, so that a kept
 * older write of the same blocks does not undo them.
 */
static int
vol_power_cut(struct backend *b, enum lose lose, uint64_t seed,
    struct power_cut *pc)
{
	struct vol *v = vol_of(b);
	struct entry *en;
	uint64_t rng = seed | 1, pending = 0, prefix = 0, nth = 0;
	size_t k;
	bool keep;
	int e = 0;

	pthread_mutex_lock(&v->lock);
	for (k = 0; k < v->n; k++)
		pending += !v->journal[k].durable;
	if (pending > 0 && (pc->kept = calloc(pending, sizeof(bool))) == NULL) {
		pthread_mutex_unlock(&v->lock);
		return ENOMEM;
	}
	if (lose == LOSE_PREFIX)
		prefix = xorshift(&rng) % (pending + 1);
	for (k = 0; e == 0 && k < v->n; k++) {
		en = &v->journal[k];
		if (en->durable) {
			e = apply(v, en);
			continue;
		}
		keep = lose == LOSE_NONE ||
		    (lose == LOSE_RANDOM && (xorshift(&rng) >> 32 & 1)) ||
		    (lose == LOSE_PREFIX && nth < prefix);
		pc->kept[pc->n++] = keep;
		nth++;
		if (keep) {
			pc->kept_ops++;
			pc->kept_bytes += en->len;
			e = apply(v, en);
		} else {
			pc->lost_ops++;
			pc->lost_bytes += en->len;
		}
	}
	if (e == 0)
		e = backend_flush(v->lower);
	if (e == 0)
		e = forget(v);
	pthread_mutex_unlock(&v->lock);
	return e;
}

static const struct backend_ops volatile_ops = {
	.read = vol_read,
	.write = vol_write,
	.flush = vol_flush,
	.trim = vol_trim,
	.zero = vol_zero,
	.extent = vol_extent,
	.close = vol_close,
	.pending = vol_pending,
	.power_cut = vol_power_cut,
};

struct backend *
backend_volatile(struct backend *lower, uint64_t max, char *err,
    size_t errlen)
{
	struct vol *v;

	if (lower->size > VOLATILE_MAX_SIZE) {
		snprintf(err, errlen, "a volatile cache serves at most %llu "
		    "bytes, not %llu", (unsigned long long)VOLATILE_MAX_SIZE,
		    (unsigned long long)lower->size);
		backend_close(lower);
		return NULL;
	}
	if ((v = calloc(1, sizeof(*v))) == NULL)
		goto nomem;
	v->b.ops = &volatile_ops;
	v->b.size = lower->size;
	v->b.readonly = lower->readonly;
	v->lower = lower;
	v->max = max;
	v->nchunks = ((lower->size + PAGE - 1) >> PAGE_SHIFT >> CHUNK_SHIFT) + 1;
	if ((v->bits = calloc(v->nchunks, sizeof(*v->bits))) == NULL ||
	    (v->overlay = backend_open("memory", lower->size, false, err,
	    errlen)) == NULL) {
		free(v->bits);
		free(v);
		goto nomem;
	}
	pthread_mutex_init(&v->lock, NULL);
	return &v->b;
nomem:
	snprintf(err, errlen, "volatile cache: %s", strerror(ENOMEM));
	backend_close(lower);
	return NULL;
}
