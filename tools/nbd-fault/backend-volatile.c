/*
 * backend-volatile.c: a disk's volatile write cache, over any backend.
 *
 * Writes, trims and write-zeroes are acknowledged into memory and reach
 * the backend below only at a FLUSH, as on a disk whose cache loses what
 * it holds when the power goes.  A FUA write reaches the backend at once.
 *
 * Two structures hold what is not yet flushed:
 *  - the journal: every operation since the last flush, in submission
 *    order, its data in an arena.  A flush applies it in order, so the
 *    backend ends as the client saw it.  A FUA write is in the journal
 *    too, marked durable: an older write of the same blocks applied at
 *    the flush is then overwritten again, in order, instead of undoing
 *    it.  The order is what lets a power cut keep any subset of it.
 *  - the page map: for each 4 KiB page the journal touches, where its
 *    newest content is.  A page a write covers whole points into that
 *    write's data in the arena, which never changes until the flush; a
 *    page it covers in part gets a merged copy there; a zeroed page points
 *    at a shared page of zeros.  Reads take mapped pages from the map and
 *    the rest from the backend.
 *
 * So a cached write costs its data once, plus a page for each page it
 * covers only in part; trims and zeroes cost only that.  Past the cap an
 * operation fails with ENOSPC, as a full disk would, until the client
 * flushes.  One mutex guards the cache: requests are served in the order
 * they take it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend-impl.h"
#include "xalloc.h"

#define PAGE_SHIFT	12
#define PAGE		((uint64_t)1 << PAGE_SHIFT)
#define MAP_SHIFT	15	/* pages a map chunk covers: 128 MiB */
#define MAP_SLOTS	((uint64_t)1 << MAP_SHIFT)
/* The map's top level: 8 bytes per 128 MiB, 4 MiB at this size. */
#define VOLATILE_MAX_SIZE	((uint64_t)1 << 46)	/* 64 TiB */
#define ARENA_CHUNK	((size_t)1 << 20)

enum op { OP_WRITE, OP_TRIM, OP_ZERO };

struct entry {
	enum op op;
	bool durable;		/* a FUA write: the backend has it already */
	bool may_trim;		/* OP_ZERO */
	uint64_t offset, len;
	const unsigned char *data;	/* OP_WRITE, in the arena */
};

/*
 * Memory handed out in order and taken back all at once, at a flush.  Its
 * chunks stay for the next epoch: fresh memory costs a page fault per
 * page, which would be a third of a cached write's time.  A block larger
 * than a quarter chunk is allocated alone and freed at the flush.
 */
struct list {
	unsigned char **v;
	size_t n, cap;
};

struct arena {
	struct list chunks, big;
	size_t cur, used;	/* chunks.v[cur] is being filled, to used */
};

struct vol {
	struct backend b;
	struct backend *lower;
	const unsigned char ***map;	/* page -> newest content, by chunk */
	uint64_t nchunks;
	struct arena arena;
	struct entry *journal;
	size_t n, cap;
	uint64_t cost, max;		/* bytes held, and the cap */
	pthread_mutex_t lock;
};

static const unsigned char zero_page[PAGE];

static struct vol *
vol_of(struct backend *b)
{
	return (struct vol *)b;
}

static int
list_push(struct list *l, unsigned char *p)
{
	unsigned char **grown;
	size_t cap = l->cap ? 2 * l->cap : 16;

	if (l->n == l->cap) {
		if ((grown = realloc(l->v, cap * sizeof(*grown))) == NULL)
			return -1;
		l->v = grown;
		l->cap = cap;
	}
	l->v[l->n++] = p;
	return 0;
}

static void *
arena_alloc(struct arena *a, size_t len)
{
	unsigned char *p;

	if (len > ARENA_CHUNK / 4) {
		if ((p = malloc(len)) != NULL && list_push(&a->big, p) < 0) {
			free(p);
			p = NULL;
		}
		return p;
	}
	if (a->cur < a->chunks.n && ARENA_CHUNK - a->used >= len) {
		a->used += len;
		return a->chunks.v[a->cur] + a->used - len;
	}
	if (a->cur + 1 >= a->chunks.n) {
		if ((p = malloc(ARENA_CHUNK)) == NULL)
			return NULL;
		if (list_push(&a->chunks, p) < 0) {
			free(p);
			return NULL;
		}
	}
	/* A full chunk moves on; an empty arena starts at chunk 0. */
	if (a->used > 0)
		a->cur++;
	a->used = len;
	return a->chunks.v[a->cur];
}

/* Takes everything back; keep says whether the chunks stay for reuse. */
static void
arena_reset(struct arena *a, bool keep)
{
	size_t k;

	for (k = 0; k < a->big.n; k++)
		free(a->big.v[k]);
	a->big.n = 0;
	if (!keep) {
		for (k = 0; k < a->chunks.n; k++)
			free(a->chunks.v[k]);
		a->chunks.n = 0;
		free(a->chunks.v);
		free(a->big.v);
	}
	a->cur = a->used = 0;
}

static const unsigned char *
page_at(const struct vol *v, uint64_t page)
{
	const unsigned char **chunk = v->map[page >> MAP_SHIFT];

	return chunk != NULL ? chunk[page & (MAP_SLOTS - 1)] : NULL;
}

static int
map_page(struct vol *v, uint64_t page, const unsigned char *content)
{
	const unsigned char ***chunk = &v->map[page >> MAP_SHIFT];

	if (*chunk == NULL && (*chunk = calloc(MAP_SLOTS, sizeof(**chunk))) ==
	    NULL)
		return ENOMEM;
	(*chunk)[page & (MAP_SLOTS - 1)] = content;
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
 * Maps the pages of an operation on [offset, offset + len): data is its
 * data (NULL for a trim or zero).  A page it covers whole points into
 * data, or at zeros; a page it covers in part is merged into a new page.
 */
static int
map_range(struct vol *v, uint64_t offset, uint64_t len,
    const unsigned char *data)
{
	uint64_t p, start, from, to, last = (offset + len - 1) >> PAGE_SHIFT;
	const unsigned char *old;
	unsigned char *merged;
	int e;

	for (p = offset >> PAGE_SHIFT; p <= last; p++) {
		start = p << PAGE_SHIFT;
		from = start < offset ? offset : start;
		to = start + page_len(v, p) > offset + len ? offset + len :
		    start + page_len(v, p);
		if (from == start && to == start + page_len(v, p)) {
			e = map_page(v, p, data != NULL ? data + (start -
			    offset) : zero_page);
			if (e != 0)
				return e;
			continue;
		}
		if ((merged = arena_alloc(&v->arena, PAGE)) == NULL)
			return ENOMEM;
		if ((old = page_at(v, p)) != NULL)
			memcpy(merged, old, page_len(v, p));
		else if ((e = backend_read(v->lower, merged, start,
		    page_len(v, p))) != 0)
			return e;
		if (data != NULL)
			memcpy(merged + (from - start), data + (from - offset),
			    to - from);
		else
			memset(merged + (from - start), 0, to - from);
		if ((e = map_page(v, p, merged)) != 0)
			return e;
		v->cost += PAGE;
	}
	return 0;
}

/* Pages an operation covers only in part: at most its first and last. */
static uint64_t
partial_pages(const struct entry *en)
{
	uint64_t end = en->offset + en->len;

	return ((en->offset & (PAGE - 1)) != 0) + ((end & (PAGE - 1)) != 0);
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

/* One operation into the cache: journal, map, and through if FUA. */
static int
cache_op(struct vol *v, struct entry *en, const void *buf)
{
	uint64_t cost = (en->op == OP_WRITE ? en->len : 0) +
	    partial_pages(en) * PAGE;
	unsigned char *data = NULL;
	int e;

	if (cost > v->max || v->cost > v->max - cost)
		return ENOSPC;
	if ((e = journal_add(v, en)) != 0)
		return e;
	if (en->op == OP_WRITE) {
		if ((data = arena_alloc(&v->arena, en->len)) == NULL) {
			v->n--;
			return ENOMEM;
		}
		memcpy(data, buf, en->len);
		v->journal[v->n - 1].data = data;
		v->cost += en->len;
	}
	/*
	 * From here on the journal holds the operation: should mapping fail
	 * (memory), reads may show the old data of some pages, but a flush
	 * or a power cut still applies the operation whole.
	 */
	if ((e = map_range(v, en->offset, en->len, data)) != 0)
		return e;
	if (en->durable)
		e = backend_write(v->lower, buf, en->offset, en->len, true);
	return e;
}

static int
locked_op(struct backend *b, struct entry en, const void *buf)
{
	struct vol *v = vol_of(b);
	int e;

	pthread_mutex_lock(&v->lock);
	e = cache_op(v, &en, buf);
	pthread_mutex_unlock(&v->lock);
	return e;
}

static int
vol_write(struct backend *b, const void *buf, uint64_t offset, size_t len,
    bool fua)
{
	return locked_op(b, (struct entry){ .op = OP_WRITE, .durable = fua,
	    .offset = offset, .len = len }, buf);
}

static int
vol_trim(struct backend *b, uint64_t offset, uint64_t len)
{
	return locked_op(b, (struct entry){ .op = OP_TRIM, .offset = offset,
	    .len = len }, NULL);
}

static int
vol_zero(struct backend *b, uint64_t offset, uint64_t len, bool may_trim)
{
	return locked_op(b, (struct entry){ .op = OP_ZERO,
	    .may_trim = may_trim, .offset = offset, .len = len }, NULL);
}

/* Mapped pages from the map; each run of the others in one backend read. */
static int
vol_read(struct backend *b, void *buf, uint64_t offset, size_t len)
{
	struct vol *v = vol_of(b);
	unsigned char *p = buf;
	const unsigned char *page;
	uint64_t n, at, end = offset + len;
	int e = 0;

	pthread_mutex_lock(&v->lock);
	while (e == 0 && offset < end) {
		page = page_at(v, offset >> PAGE_SHIFT);
		n = PAGE - (offset & (PAGE - 1));
		if (n > end - offset)
			n = end - offset;
		if (page != NULL) {
			memcpy(p, page + (offset & (PAGE - 1)), n);
		} else {
			for (at = offset + n; at < end &&
			    page_at(v, at >> PAGE_SHIFT) == NULL; at += PAGE)
				;
			n = (at < end ? at : end) - offset;
			e = backend_read(v->lower, p, offset, n);
		}
		p += n;
		offset += n;
	}
	pthread_mutex_unlock(&v->lock);
	return e;
}

/* Forgets the cache: the journal, the map, the arena. */
static int
forget(struct vol *v)
{
	uint64_t i;

	v->n = 0;
	/* The map's chunks stay too, emptied. */
	for (i = 0; i < v->nchunks; i++)
		if (v->map[i] != NULL)
			memset(v->map[i], 0, MAP_SLOTS * sizeof(*v->map[i]));
	arena_reset(&v->arena, true);
	v->cost = 0;
	return 0;
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

/*
 * Makes the cache durable and empties it: applies, in order, the durable
 * entries and those lose keeps (a flush keeps all: LOSE_NONE), flushes
 * the backend, and forgets.  On failure the journal stays, to be applied
 * again from its start.  pc, if not NULL, learns what was kept and lost.
 */
static int
settle(struct vol *v, enum lose lose, uint64_t seed, struct power_cut *pc)
{
	struct keep_draw draw;
	struct entry *en;
	uint64_t pending = 0;
	size_t k;
	bool keep;
	int e = 0;

	for (k = 0; k < v->n; k++)
		pending += !v->journal[k].durable;
	if (pc != NULL && pending > 0 &&
	    (pc->ops = calloc(pending, sizeof(*pc->ops))) == NULL)
		return ENOMEM;
	keep_draw_init(&draw, lose, seed, pending, 0);
	for (k = 0; e == 0 && k < v->n; k++) {
		en = &v->journal[k];
		keep = en->durable || keep_draw_next(&draw);
		if (keep)
			e = apply(v, en);
		if (pc == NULL || en->durable)
			continue;
		pc->ops[pc->n++] = (struct cut_op){ en->offset, en->len, keep };
		if (keep) {
			pc->kept_ops++;
			pc->kept_bytes += en->len;
		} else {
			pc->lost_ops++;
			pc->lost_bytes += en->len;
		}
	}
	if (e == 0)
		e = backend_flush(v->lower);
	if (e == 0)
		e = forget(v);
	return e;
}

static int
vol_flush(struct backend *b)
{
	struct vol *v = vol_of(b);
	int e;

	pthread_mutex_lock(&v->lock);
	e = settle(v, LOSE_NONE, 0, NULL);
	pthread_mutex_unlock(&v->lock);
	return e;
}

/*
 * Block status: a cached page is data (the map knows better than the
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
	cached = page_at(v, offset >> PAGE_SHIFT) != NULL;
	for (at = offset; at < end; at = next) {
		next = ((at >> PAGE_SHIFT) + 1) << PAGE_SHIFT;
		if (next > end)
			next = end;
		if ((page_at(v, at >> PAGE_SHIFT) != NULL) != cached)
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
	uint64_t i;

	for (i = 0; i < v->nchunks; i++)
		free(v->map[i]);
	arena_reset(&v->arena, false);
	backend_close(v->lower);
	free(v->map);
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
	int e;

	pthread_mutex_lock(&v->lock);
	e = settle(v, lose, seed, pc);
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
	/* At the start, not per request: short of memory, nothing serves. */
	v = xcalloc(1, sizeof(*v));
	v->b.ops = &volatile_ops;
	v->b.size = lower->size;
	v->b.readonly = lower->readonly;
	v->lower = lower;
	v->max = max;
	v->nchunks = ((lower->size + PAGE - 1) >> PAGE_SHIFT >> MAP_SHIFT) + 1;
	v->map = xcalloc(v->nchunks, sizeof(*v->map));
	pthread_mutex_init(&v->lock, NULL);
	return &v->b;
}
