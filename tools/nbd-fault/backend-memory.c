/*
 * backend-memory.c: a sparse RAM disk.
 *
 * Pages of 4 KiB are allocated on the first write that puts a non-zero
 * byte in them; an unallocated page reads as zeros and is a hole.  4 KiB
 * is the block size clients prefer and guests' filesystems use, so a
 * guest's 4 KiB discard frees memory and block status is exact at the
 * granularity clients ask about; the page table costs 8 bytes per 4 KiB.
 *
 * The page table is a radix tree of 512-slot nodes (4 KiB each, 2 MiB of
 * data under a leaf), as deep as the size needs: 2 levels for 1 GiB, 4 for
 * 1 TiB, 6 for the largest export.  An empty export costs one node
 * whatever its size, and a lookup a few loads.  Inner nodes are added with
 * a compare-and-swap and never freed before close, so a lookup takes no
 * lock.
 *
 * Pages are guarded by 256 reader-writer locks, each on its own cache
 * line: page P's lock is (P / 16) mod 256, so a request of up to 64 KiB
 * takes one or two locks, and readers on different parts of the disk touch
 * different cache lines.  A write, trim or zero takes its locks for
 * writing, one at a time; a page is allocated, changed and freed only under
 * its lock.  Block status reads the page slots without locks (atomically):
 * it only asks whether a page exists, and its answer is a snapshot anyway.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend-impl.h"
#include "xalloc.h"

#define MEM_PAGE_SHIFT	12
#define MEM_PAGE	((size_t)1 << MEM_PAGE_SHIFT)
#define NODE_SHIFT	9
#define NODE_SLOTS	((uint64_t)1 << NODE_SHIFT)
#define GROUP_SHIFT	4	/* pages per lock: 16, i.e. 64 KiB */
#define GROUP_BYTES	(MEM_PAGE << GROUP_SHIFT)
#define NSTRIPES	256
#define CACHE_LINE	64

/*
 * A leaf's slots point at pages, an inner node's at nodes.  Nodes come
 * from calloc: all-bits-zero is a null atomic pointer on every platform
 * this builds on.
 */
struct node {
	_Atomic(void *) slot[NODE_SLOTS];
};

struct stripe {
	_Alignas(CACHE_LINE) pthread_rwlock_t lock;
};

struct mem {
	struct backend b;
	unsigned levels;	/* 1: the root is the leaf */
	struct stripe stripes[NSTRIPES];
	struct node root;
};

static struct stripe *
stripe_of(struct mem *m, uint64_t page)
{
	return &m->stripes[(page >> GROUP_SHIFT) & (NSTRIPES - 1)];
}

/* Bytes from offset to the end of its lock group, at most len. */
static size_t
group_chunk(uint64_t offset, uint64_t len)
{
	uint64_t left = GROUP_BYTES - (offset & (GROUP_BYTES - 1));

	return left < len ? left : len;
}

static _Atomic(void *) *
page_slot(struct node *leaf, uint64_t page)
{
	return &leaf->slot[page & (NODE_SLOTS - 1)];
}

/*
 * The leaf whose slots hold page, or NULL where there is none (or, with
 * create, no memory for one).  Two writers adding the same node race with
 * compare-and-swap; the loser frees its node and takes the winner's.
 * Where a node is missing, *gap (if not NULL) says how much is missing: the
 * 2^*gap pages around page that share its index down to that node.
 */
static struct node *
mem_leaf(struct mem *m, uint64_t page, bool create, unsigned *gap)
{
	struct node *n = &m->root;
	unsigned level;

	for (level = m->levels - 1; level > 0; level--) {
		unsigned i = (page >> (level * NODE_SHIFT)) & (NODE_SLOTS - 1);
		_Atomic(void *) *slot = &n->slot[i];
		void *next = atomic_load_explicit(slot, memory_order_acquire);

		if (next == NULL) {
			struct node *fresh = NULL;

			if (create)
				fresh = calloc(1, sizeof(*fresh));
			if (fresh == NULL) {
				if (gap != NULL)
					*gap = level * NODE_SHIFT;
				return NULL;
			}
			if (atomic_compare_exchange_strong_explicit(slot, &next,
			    fresh, memory_order_acq_rel, memory_order_acquire))
				next = fresh;
			else
				free(fresh);
		}
		n = next;
	}
	return n;
}

/* Bytes from offset to the end of its page, at most len. */
static size_t
page_chunk(uint64_t offset, size_t len)
{
	size_t left = MEM_PAGE - (offset & (MEM_PAGE - 1));

	return left < len ? left : len;
}

/* Every byte equals the one before it, and the first is 0. */
static bool
all_zero(const uint8_t *p, size_t len)
{
	return len == 0 || (p[0] == 0 && memcmp(p, p + 1, len - 1) == 0);
}

static int
mem_read(struct backend *b, void *buf, uint64_t offset, size_t len)
{
	struct mem *m = (struct mem *)b;
	uint8_t *out = buf;

	while (len > 0) {
		size_t chunk = group_chunk(offset, len);
		struct node *leaf = mem_leaf(m, offset >> MEM_PAGE_SHIFT, false,
		    NULL);
		struct stripe *s;

		if (leaf == NULL) {
			memset(out, 0, chunk);
			out += chunk;
			offset += chunk;
			len -= chunk;
			continue;
		}
		s = stripe_of(m, offset >> MEM_PAGE_SHIFT);
		pthread_rwlock_rdlock(&s->lock);
		len -= chunk;
		while (chunk > 0) {
			size_t at = offset & (MEM_PAGE - 1);
			size_t n = page_chunk(offset, chunk);
			uint8_t *page = atomic_load_explicit(page_slot(leaf,
			    offset >> MEM_PAGE_SHIFT), memory_order_relaxed);

			if (page != NULL)
				memcpy(out, page + at, n);
			else
				memset(out, 0, n);
			out += n;
			offset += n;
			chunk -= n;
		}
		pthread_rwlock_unlock(&s->lock);
	}
	return 0;
}

static int
mem_write(struct backend *b, const void *buf, uint64_t offset, size_t len,
    bool fua)
{
	struct mem *m = (struct mem *)b;
	const uint8_t *in = buf;
	int error = 0;

	(void)fua;		/* RAM is as durable as it gets */
	while (len > 0 && error == 0) {
		size_t chunk = group_chunk(offset, len);
		struct node *leaf = mem_leaf(m, offset >> MEM_PAGE_SHIFT, true,
		    NULL);
		struct stripe *s;

		if (leaf == NULL)
			return ENOMEM;
		s = stripe_of(m, offset >> MEM_PAGE_SHIFT);
		pthread_rwlock_wrlock(&s->lock);
		len -= chunk;
		while (chunk > 0) {
			size_t at = offset & (MEM_PAGE - 1);
			size_t n = page_chunk(offset, chunk);
			_Atomic(void *) *slot = page_slot(leaf,
			    offset >> MEM_PAGE_SHIFT);
			uint8_t *page = atomic_load_explicit(slot,
			    memory_order_relaxed);

			/* Zeros into a hole stay a hole: no RAM for them. */
			if (page == NULL && !all_zero(in, n)) {
				if ((page = malloc(MEM_PAGE)) == NULL) {
					error = ENOMEM;
					break;
				}
				if (n < MEM_PAGE)
					memset(page, 0, MEM_PAGE);
				atomic_store_explicit(slot, page,
				    memory_order_relaxed);
			}
			if (page != NULL)
				memcpy(page + at, in, n);
			in += n;
			offset += n;
			chunk -= n;
		}
		pthread_rwlock_unlock(&s->lock);
	}
	return error;
}

/*
 * Trim and zero alike: whole pages are freed, the covered parts of the
 * others zeroed.  Freeing never costs memory, so zero frees even when the
 * client asked it not to punch holes (may_trim false), as nbdkit's memory
 * plugin does: NO_HOLE is a SHOULD, and RAM spent on zeros helps no one.
 */
static int
mem_discard(struct backend *b, uint64_t offset, uint64_t len)
{
	struct mem *m = (struct mem *)b;

	while (len > 0) {
		size_t chunk = group_chunk(offset, len);
		uint64_t page = offset >> MEM_PAGE_SHIFT, skip;
		unsigned gap = 0;
		struct node *leaf = mem_leaf(m, page, false, &gap);
		struct stripe *s;

		/* Nothing to free in a missing subtree: skip all of it. */
		if (leaf == NULL) {
			skip = (((page >> gap) + 1) << (gap + MEM_PAGE_SHIFT)) -
			    offset;
			if (skip > len)
				skip = len;
			offset += skip;
			len -= skip;
			continue;
		}
		s = stripe_of(m, page);
		pthread_rwlock_wrlock(&s->lock);
		len -= chunk;
		while (chunk > 0) {
			size_t at = offset & (MEM_PAGE - 1);
			size_t n = page_chunk(offset, chunk);
			_Atomic(void *) *slot = page_slot(leaf,
			    offset >> MEM_PAGE_SHIFT);
			uint8_t *data = atomic_load_explicit(slot,
			    memory_order_relaxed);

			if (data != NULL && n == MEM_PAGE) {
				atomic_store_explicit(slot, NULL,
				    memory_order_relaxed);
				free(data);
			} else if (data != NULL) {
				memset(data + at, 0, n);
			}
			offset += n;
			chunk -= n;
		}
		pthread_rwlock_unlock(&s->lock);
	}
	return 0;
}

static int
mem_trim(struct backend *b, uint64_t offset, uint64_t len)
{
	return mem_discard(b, offset, len);
}

static int
mem_zero(struct backend *b, uint64_t offset, uint64_t len, bool may_trim)
{
	(void)may_trim;
	return mem_discard(b, offset, len);
}

static int
mem_flush(struct backend *b)
{
	(void)b;
	return 0;
}

/*
 * The longest run of pages starting at offset's page that are all
 * allocated (data) or all not (hole, reads as zeros), cut at offset + len.
 * A missing node is a hole as large as its subtree, skipped at once, so a
 * hole of terabytes costs a few lookups.
 */
static int
mem_extent(struct backend *b, uint64_t offset, uint64_t len,
    uint64_t *extent_len, uint32_t *flags)
{
	struct mem *m = (struct mem *)b;
	uint64_t end = offset + len;
	uint64_t pos = offset & ~(uint64_t)(MEM_PAGE - 1);
	bool data = false, first = true;

	while (pos < end) {
		uint64_t page = pos >> MEM_PAGE_SHIFT, leaf_end;
		unsigned gap = 0;
		struct node *leaf = mem_leaf(m, page, false, &gap);

		if (leaf == NULL) {
			if (!first && data)
				break;
			first = false;
			pos = ((page >> gap) + 1) << (gap + MEM_PAGE_SHIFT);
			continue;
		}
		leaf_end = ((page >> NODE_SHIFT) + 1) <<
		    (NODE_SHIFT + MEM_PAGE_SHIFT);
		for (; pos < end && pos < leaf_end; pos += MEM_PAGE) {
			_Atomic(void *) *slot = page_slot(leaf,
			    pos >> MEM_PAGE_SHIFT);
			bool here = atomic_load_explicit(slot,
			    memory_order_relaxed) != NULL;

			if (first) {
				data = here;
				first = false;
			} else if (here != data) {
				goto done;
			}
		}
	}
done:
	*extent_len = (pos < end ? pos : end) - offset;
	*flags = data ? 0 : BACKEND_HOLE | BACKEND_ZERO;
	return 0;
}

static void
free_node(struct node *n, unsigned level)
{
	uint64_t i;

	for (i = 0; i < NODE_SLOTS; i++) {
		void *child = atomic_load_explicit(&n->slot[i],
		    memory_order_relaxed);

		if (child == NULL)
			continue;
		if (level > 0) {
			free_node(child, level - 1);
			free(child);
		} else {
			free(child);
		}
	}
}

static void
mem_close(struct backend *b)
{
	struct mem *m = (struct mem *)b;
	int i;

	free_node(&m->root, m->levels - 1);
	for (i = 0; i < NSTRIPES; i++)
		pthread_rwlock_destroy(&m->stripes[i].lock);
	free(m);
}

static const struct backend_ops memory_ops = {
	.read = mem_read,
	.write = mem_write,
	.flush = mem_flush,
	.trim = mem_trim,
	.zero = mem_zero,
	.extent = mem_extent,
	.close = mem_close,
};

struct backend *
memory_open(uint64_t size, bool readonly, char *err, size_t errlen)
{
	uint64_t pages = (size - 1) / MEM_PAGE + 1;
	uint64_t span = NODE_SLOTS;
	size_t alloc = (sizeof(struct mem) + CACHE_LINE - 1) &
	    ~(size_t)(CACHE_LINE - 1);
	struct mem *m;
	int i, rc;

	/* At the start, not per request: short of memory, nothing serves. */
	if ((m = aligned_alloc(CACHE_LINE, alloc)) == NULL)
		xalloc_die();
	memset(m, 0, alloc);
	m->b.ops = &memory_ops;
	m->b.size = size;
	m->b.readonly = readonly;
	m->levels = 1;
	while (span < pages) {
		span <<= NODE_SHIFT;
		m->levels++;
	}
	for (i = 0; i < NSTRIPES; i++) {
		rc = pthread_rwlock_init(&m->stripes[i].lock, NULL);
		if (rc != 0) {
			snprintf(err, errlen, "memory: %s", strerror(rc));
			while (i-- > 0)
				pthread_rwlock_destroy(&m->stripes[i].lock);
			free(m);
			return NULL;
		}
	}
	return &m->b;
}
