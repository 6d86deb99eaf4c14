#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../tools/nbd-fault/backend.h"
#include "check.h"

#define HOLE	1u
#define ZERO	2u
#define KiB	((uint64_t)1024)
#define MiB	(1024 * KiB)
#define GiB	(1024 * MiB)
#define TiB	(1024 * GiB)

/*
 * Extents are checked on 64 KiB boundaries: a multiple of any page size
 * the memory backend could sensibly use, so these tests do not pin it.
 */
#define UNIT	(64 * KiB)

static struct backend *
open_ok(const char *spec, uint64_t size, bool readonly)
{
	char err[256] = "";
	struct backend *b = backend_open(spec, size, readonly, err,
	    sizeof(err));

	if (b == NULL)
		fprintf(stderr, "backend_open(%s): %s\n", spec, err);
	return b;
}

/* Whether opening fails with exactly the message want. */
static bool
open_fails(const char *spec, uint64_t size, bool readonly, const char *want)
{
	char err[256] = "";
	struct backend *b = backend_open(spec, size, readonly, err,
	    sizeof(err));

	if (b != NULL) {
		backend_close(b);
		return false;
	}
	if (strcmp(err, want) != 0) {
		fprintf(stderr, "backend_open(%s): got '%s', want '%s'\n",
		    spec, err, want);
		return false;
	}
	return true;
}

static bool
is_filled(const uint8_t *p, size_t len, uint8_t c)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != c)
			return false;
	return true;
}

/* Whether len bytes at offset read back as c. */
static bool
reads_as(struct backend *b, uint64_t offset, size_t len, uint8_t c)
{
	uint8_t *buf = malloc(len);
	bool ok;

	if (buf == NULL)
		return false;
	memset(buf, c ^ 0x5a, len);
	ok = backend_read(b, buf, offset, len) == 0 && is_filled(buf, len, c);
	free(buf);
	return ok;
}

static int
fill(struct backend *b, uint64_t offset, size_t len, uint8_t c)
{
	uint8_t *buf = malloc(len);
	int rc;

	if (buf == NULL)
		return ENOMEM;
	memset(buf, c, len);
	rc = backend_write(b, buf, offset, len, false);
	free(buf);
	return rc;
}

/* Whether the extent at offset (at most len) is want_len, want_flags. */
static bool
extent_is(struct backend *b, uint64_t offset, uint64_t len,
    uint64_t want_len, uint32_t want_flags)
{
	uint64_t got_len = 0;
	uint32_t got_flags = 99;
	int rc = backend_extent(b, offset, len, &got_len, &got_flags);

	if (rc != 0 || got_len != want_len || got_flags != want_flags) {
		fprintf(stderr, "extent(%llu, %llu): rc %d, %llu flags %u; "
		    "want %llu flags %u\n", (unsigned long long)offset,
		    (unsigned long long)len, rc, (unsigned long long)got_len,
		    got_flags, (unsigned long long)want_len, want_flags);
		return false;
	}
	return true;
}

static void
test_open_errors(void)
{
	char err[8];

	CHECK(open_fails("foo", GiB, false,
	    "unknown backend 'foo' (zero, memory, pattern, file:PATH)"));
	CHECK(open_fails("", GiB, false,
	    "unknown backend '' (zero, memory, pattern, file:PATH)"));
	CHECK(open_fails("Memory", GiB, false,
	    "unknown backend 'Memory' (zero, memory, pattern, file:PATH)"));
	CHECK(open_fails("memory", 0, false, "memory: size 0"));
	CHECK(open_fails("zero", 0, false, "zero: size 0"));
	CHECK(open_fails("pattern", 0, true, "pattern: size 0"));
	CHECK(open_fails("memory", (uint64_t)INT64_MAX + 1, false,
	    "memory: size 9223372036854775808 is too large "
	    "(at most 9223372036854775807)"));
	CHECK(open_fails("file:", 0, false, "file: no path (file:PATH)"));
	CHECK(open_fails("file:/nonexistent/x", 0, false,
	    "file:/nonexistent/x: No such file or directory"));
	CHECK(open_fails("file:/dev/null", 0, false,
	    "file:/dev/null: not a regular file or block device"));
	CHECK(open_fails("file:/", 0, true,
	    "file:/: not a regular file or block device"));

	/* A short buffer gets the start of the message, terminated. */
	CHECK(backend_open("memory", 0, false, err, sizeof(err)) == NULL);
	CHECK(strcmp(err, "memory:") == 0);
}

static void
test_zero(void)
{
	struct backend *b;
	uint8_t buf[1000];

	if ((b = open_ok("zero", 8 * GiB, false)) == NULL) {
		CHECK(!"zero opens");
		return;
	}
	CHECK(backend_size(b) == 8 * GiB);
	CHECK(!backend_readonly(b));
	CHECK(backend_is_zero(b));
	memset(buf, 0xaa, sizeof(buf));
	CHECK(backend_write(b, buf, 12345, sizeof(buf), false) == 0);
	CHECK(backend_write(b, buf, 0, sizeof(buf), true) == 0);
	CHECK(reads_as(b, 12000, 1000, 0));
	CHECK(reads_as(b, 8 * GiB - 1, 1, 0));
	CHECK(reads_as(b, 0, 4 * MiB, 0));
	CHECK(backend_flush(b) == 0);
	CHECK(backend_trim(b, 0, 8 * GiB) == 0);
	CHECK(backend_zero(b, 5, 7, false) == 0);
	CHECK(extent_is(b, 0, 8 * GiB, 8 * GiB, HOLE | ZERO));
	CHECK(extent_is(b, 3, 5, 5, HOLE | ZERO));
	/* Out of range, and a zero-length extent, are refused. */
	CHECK(backend_read(b, buf, 8 * GiB - 10, 11) == EINVAL);
	CHECK(backend_write(b, buf, 8 * GiB, 1, false) == ENOSPC);
	CHECK(backend_read(b, buf, 8 * GiB, 0) == 0);
	{
		uint64_t l;
		uint32_t fl;

		CHECK(backend_extent(b, 0, 0, &l, &fl) == EINVAL);
		CHECK(backend_extent(b, 8 * GiB, 1, &l, &fl) == EINVAL);
	}
	backend_close(b);

	if ((b = open_ok("zero", 1, true)) == NULL) {
		CHECK(!"read-only zero opens");
		return;
	}
	CHECK(backend_readonly(b));
	CHECK(backend_write(b, buf, 0, 1, false) == EROFS);
	CHECK(backend_trim(b, 0, 1) == EROFS);
	CHECK(backend_zero(b, 0, 1, true) == EROFS);
	CHECK(reads_as(b, 0, 1, 0));
	CHECK(backend_flush(b) == 0);
	backend_close(b);
	backend_close(NULL);
}

/* The pattern, byte by byte: offset o's word, big-endian. */
static uint8_t
pattern_at(uint64_t o)
{
	return (uint8_t)((o & ~(uint64_t)7) >> (8 * (7 - (o & 7))));
}

static bool
pattern_ok(struct backend *b, uint64_t offset, size_t len)
{
	uint8_t buf[256];
	size_t i;

	memset(buf, 0x77, sizeof(buf));
	if (len > sizeof(buf) || backend_read(b, buf, offset, len) != 0)
		return false;
	for (i = 0; i < len; i++)
		if (buf[i] != pattern_at(offset + i))
			return false;
	/* Nothing written past the end. */
	return len == sizeof(buf) || buf[len] == 0x77;
}

static void
test_pattern(void)
{
	static const uint8_t at_0x0123456789abcde8[8] = {
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xe8,
	};
	struct backend *b;
	uint8_t buf[16];
	uint64_t base, off, len, size = (uint64_t)INT64_MAX;
	bool all_ok = true;

	/* Read-only whatever was asked. */
	if ((b = open_ok("pattern", size, false)) == NULL) {
		CHECK(!"pattern opens");
		return;
	}
	CHECK(backend_size(b) == size);
	CHECK(backend_readonly(b));
	CHECK(!backend_is_zero(b));

	CHECK(backend_read(b, buf, 0, 16) == 0);
	CHECK(memcmp(buf, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x08", 16) == 0);
	CHECK(backend_read(b, buf, 0x0123456789abcde8, 8) == 0);
	CHECK(memcmp(buf, at_0x0123456789abcde8, 8) == 0);
	CHECK(backend_read(b, buf, 0x0123456789abcdeb, 3) == 0);
	CHECK(memcmp(buf, at_0x0123456789abcde8 + 3, 3) == 0);

	/* Every start and length across a few word boundaries, low and high. */
	for (base = 0; base <= 4 * GiB; base += 4 * GiB - 8)
		for (off = 0; off < 24; off++)
			for (len = 0; len <= 40; len++)
				if (!pattern_ok(b, base + off, len))
					all_ok = false;
	CHECK(all_ok);
	CHECK(pattern_ok(b, 1000003, 256));
	CHECK(pattern_ok(b, size - 256, 256));
	CHECK(pattern_ok(b, size - 13, 13));
	CHECK(pattern_ok(b, size - 1, 1));

	CHECK(backend_write(b, buf, 0, 8, false) == EROFS);
	CHECK(backend_trim(b, 0, 8) == EROFS);
	CHECK(backend_zero(b, 0, 8, true) == EROFS);
	CHECK(backend_flush(b) == 0);
	CHECK(pattern_ok(b, 0, 16));
	CHECK(extent_is(b, 0, size, size, 0));
	CHECK(extent_is(b, 12345, 1, 1, 0));
	backend_close(b);
}

static void
test_memory(void)
{
	struct backend *b;
	uint8_t buf[300], big[3 * 4096];
	size_t i;

	if ((b = open_ok("memory", GiB, false)) == NULL) {
		CHECK(!"memory opens");
		return;
	}
	CHECK(backend_size(b) == GiB);
	CHECK(!backend_readonly(b));
	CHECK(!backend_is_zero(b));

	/* Empty: zeros, one hole. */
	CHECK(reads_as(b, 0, 3 * MiB + 5, 0));
	CHECK(reads_as(b, GiB - 7, 7, 0));
	CHECK(extent_is(b, 0, GiB, GiB, HOLE | ZERO));
	CHECK(extent_is(b, 1000, 10, 10, HOLE | ZERO));

	/* An unaligned write across page boundaries reads back exactly. */
	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 1);
	CHECK(backend_write(b, big, 5 * UNIT - 100, sizeof(big), false) == 0);
	memset(buf, 0, sizeof(buf));
	CHECK(backend_read(b, buf, 5 * UNIT - 150, 300) == 0);
	CHECK(is_filled(buf, 50, 0));
	CHECK(memcmp(buf + 50, big, 250) == 0);
	{
		uint8_t back[sizeof(big) + 2];

		CHECK(backend_read(b, back, 5 * UNIT - 101, sizeof(back)) == 0);
		CHECK(back[0] == 0 && back[sizeof(back) - 1] == 0);
		CHECK(memcmp(back + 1, big, sizeof(big)) == 0);
	}
	backend_zero(b, 0, GiB, false);
	CHECK(reads_as(b, 0, 8 * UNIT, 0));
	CHECK(extent_is(b, 0, GiB, GiB, HOLE | ZERO));

	/* Extents: adjacent writes merge into one data run. */
	CHECK(fill(b, 1 * UNIT, UNIT, 0x11) == 0);
	CHECK(fill(b, 2 * UNIT, UNIT, 0x22) == 0);
	CHECK(fill(b, 4 * UNIT, UNIT, 0x44) == 0);
	CHECK(extent_is(b, 0, GiB, UNIT, HOLE | ZERO));
	CHECK(extent_is(b, 0, UNIT / 2, UNIT / 2, HOLE | ZERO));
	CHECK(extent_is(b, UNIT, GiB - UNIT, 2 * UNIT, 0));
	CHECK(extent_is(b, UNIT + UNIT / 2, GiB - 2 * UNIT, UNIT + UNIT / 2,
	    0));
	CHECK(extent_is(b, UNIT, 100, 100, 0));
	CHECK(extent_is(b, 3 * UNIT, GiB - 3 * UNIT, UNIT, HOLE | ZERO));
	CHECK(extent_is(b, 4 * UNIT, GiB - 4 * UNIT, UNIT, 0));
	CHECK(extent_is(b, 5 * UNIT, GiB - 5 * UNIT, GiB - 5 * UNIT,
	    HOLE | ZERO));
	CHECK(reads_as(b, UNIT, UNIT, 0x11));
	CHECK(reads_as(b, 2 * UNIT, UNIT, 0x22));
	CHECK(reads_as(b, 3 * UNIT, UNIT, 0));

	/* Trim a whole unit: a hole again, merged with the one before. */
	CHECK(backend_trim(b, UNIT, UNIT) == 0);
	CHECK(extent_is(b, 0, GiB, 2 * UNIT, HOLE | ZERO));
	CHECK(extent_is(b, 2 * UNIT, GiB - 2 * UNIT, UNIT, 0));
	CHECK(reads_as(b, UNIT, UNIT, 0));
	CHECK(reads_as(b, 2 * UNIT, UNIT, 0x22));

	/* Partial trim and zero: zeros where they reach, the rest unchanged. */
	CHECK(backend_trim(b, 2 * UNIT + 100, 200) == 0);
	CHECK(reads_as(b, 2 * UNIT, 100, 0x22));
	CHECK(reads_as(b, 2 * UNIT + 100, 200, 0));
	CHECK(reads_as(b, 2 * UNIT + 300, UNIT - 300, 0x22));
	CHECK(extent_is(b, 2 * UNIT, UNIT, UNIT, 0));
	CHECK(backend_zero(b, 4 * UNIT + 1, UNIT - 2, true) == 0);
	CHECK(reads_as(b, 4 * UNIT, 1, 0x44));
	CHECK(reads_as(b, 4 * UNIT + 1, UNIT - 2, 0));
	CHECK(reads_as(b, 5 * UNIT - 1, 1, 0x44));
	CHECK(backend_zero(b, 4 * UNIT, UNIT, false) == 0);
	CHECK(extent_is(b, 3 * UNIT, GiB - 3 * UNIT, GiB - 3 * UNIT,
	    HOLE | ZERO));

	/* A run of data that ends where the next table node is missing. */
	CHECK(fill(b, 2 * MiB - UNIT, UNIT, 0x33) == 0);
	CHECK(extent_is(b, 2 * MiB - UNIT, GiB - 2 * MiB + UNIT, UNIT, 0));
	CHECK(extent_is(b, 2 * MiB, GiB - 2 * MiB, GiB - 2 * MiB, HOLE | ZERO));
	CHECK(fill(b, 2 * MiB, UNIT, 0x34) == 0);
	CHECK(extent_is(b, 2 * MiB - UNIT, GiB - 2 * MiB + UNIT, 2 * UNIT, 0));
	CHECK(backend_trim(b, 2 * MiB - UNIT, 2 * UNIT) == 0);

	/* Zeros written into a hole keep it a hole; into data, stay data. */
	CHECK(fill(b, 8 * UNIT, UNIT, 0) == 0);
	CHECK(extent_is(b, 8 * UNIT, UNIT, UNIT, HOLE | ZERO));
	CHECK(fill(b, 2 * UNIT, UNIT, 0) == 0);
	CHECK(extent_is(b, 2 * UNIT, UNIT, UNIT, 0));
	CHECK(reads_as(b, 2 * UNIT, UNIT, 0));

	/* The last byte, and range checks. */
	CHECK(fill(b, GiB - 1, 1, 0xee) == 0);
	CHECK(reads_as(b, GiB - 1, 1, 0xee));
	CHECK(extent_is(b, GiB - 2 * UNIT, UNIT, UNIT, HOLE | ZERO));
	CHECK(extent_is(b, GiB - 1, 1, 1, 0));
	CHECK(fill(b, GiB - 1, 2, 0xee) == ENOSPC);
	CHECK(backend_trim(b, GiB, 1) == EINVAL);
	CHECK(backend_zero(b, GiB - 1, 2, false) == ENOSPC);
	CHECK(backend_flush(b) == 0);
	CHECK(backend_write(b, buf, 0, 10, true) == 0);
	backend_close(b);

	/* Read-only memory: nothing changes it. */
	if ((b = open_ok("memory", MiB, true)) == NULL) {
		CHECK(!"read-only memory opens");
		return;
	}
	CHECK(backend_readonly(b));
	CHECK(fill(b, 0, 10, 1) == EROFS);
	CHECK(backend_trim(b, 0, 10) == EROFS);
	CHECK(backend_zero(b, 0, 10, false) == EROFS);
	CHECK(reads_as(b, 0, MiB, 0));
	backend_close(b);

	/* An export of one byte. */
	if ((b = open_ok("memory", 1, false)) == NULL) {
		CHECK(!"one-byte memory opens");
		return;
	}
	CHECK(fill(b, 0, 1, 9) == 0);
	CHECK(reads_as(b, 0, 1, 9));
	CHECK(extent_is(b, 0, 1, 1, 0));
	backend_close(b);
}

/*
 * Huge sparse sizes: opening allocates nothing in proportion to the size,
 * and far-apart writes cost a few table nodes.
 */
static void
test_memory_huge(void)
{
	static const uint64_t sizes[] = { TiB, 64 * TiB, (uint64_t)INT64_MAX };
	struct backend *b;
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t size = sizes[i];

		if ((b = open_ok("memory", size, false)) == NULL) {
			CHECK(!"huge memory opens");
			continue;
		}
		CHECK(fill(b, 0, 10, 0xa1) == 0);
		CHECK(fill(b, size / 2 - 3, 6, 0xa2) == 0);
		CHECK(fill(b, size - 5000, 5000, 0xa3) == 0);
		CHECK(reads_as(b, 0, 10, 0xa1));
		CHECK(reads_as(b, 10, 5000, 0));
		CHECK(reads_as(b, size / 2 - 3, 6, 0xa2));
		CHECK(reads_as(b, size / 2 - 1000, 997, 0));
		CHECK(reads_as(b, size - 5000, 5000, 0xa3));
		CHECK(reads_as(b, size - 3 * MiB, 3 * MiB - 5000, 0));

		/* A hole of terabytes is one extent, found quickly. */
		CHECK(extent_is(b, UNIT, 4 * GiB, 4 * GiB, HOLE | ZERO));
		CHECK(extent_is(b, UNIT, size / 2 - 2 * UNIT,
		    size / 2 - 2 * UNIT, HOLE | ZERO));
		CHECK(extent_is(b, size - 3 * MiB, 3 * MiB - 2 * UNIT,
		    3 * MiB - 2 * UNIT, HOLE | ZERO));
		CHECK(extent_is(b, size - 5000, 5000, 5000, 0));
		CHECK(extent_is(b, size / 2 - 1, 1, 1, 0));
		/* Terabytes of trim skip the missing parts of the table. */
		CHECK(backend_trim(b, 0, size) == 0);
		CHECK(reads_as(b, size - 5000, 5000, 0));
		CHECK(extent_is(b, 0, 4 * GiB, 4 * GiB, HOLE | ZERO));
		backend_close(b);
	}
}

/* Threads: writers on their own pages and on shared ones, readers, trims. */
#define NTHREADS	6
#define PRIVATE_UNITS	8
#define SHARED_UNITS	4
#define ROUNDS		300
#define BLOCK		4096

struct worker {
	struct backend *b;
	int id;
	bool whole_blocks;	/* a 4 KiB aligned request is never torn */
	int failures;
};

/* A block written in one request is never seen half old, half new. */
static bool
uniform(const uint8_t *p, size_t len)
{
	return is_filled(p, len, p[0]);
}

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	uint8_t buf[BLOCK], in[BLOCK];
	uint64_t shared = (uint64_t)NTHREADS * PRIVATE_UNITS * UNIT;
	uint64_t mine = (uint64_t)w->id * PRIVATE_UNITS * UNIT;
	unsigned seed = (unsigned)w->id * 7919 + 1;
	int r;

	for (r = 0; r < ROUNDS; r++) {
		uint64_t off, elen;
		uint32_t flags;
		uint8_t v = (uint8_t)(w->id * 16 + r % 16 + 1);

		/* Our own pages, rewritten each round. */
		off = mine + (uint64_t)(rand_r(&seed) % (PRIVATE_UNITS * UNIT /
		    BLOCK)) * BLOCK;
		memset(buf, v, BLOCK);
		if (backend_write(w->b, buf, off, BLOCK, r % 7 == 0) != 0)
			w->failures++;
		if (backend_read(w->b, in, off, BLOCK) != 0 ||
		    memcmp(in, buf, BLOCK) != 0)
			w->failures++;

		/* Shared pages: everyone writes, reads, trims, asks status. */
		off = shared + (uint64_t)(rand_r(&seed) % (SHARED_UNITS * UNIT /
		    BLOCK)) * BLOCK;
		switch (rand_r(&seed) % 4) {
		case 0:
			if (backend_write(w->b, buf, off, BLOCK, false) != 0)
				w->failures++;
			break;
		case 1:
			if (backend_trim(w->b, off, BLOCK) != 0)
				w->failures++;
			break;
		case 2:
			if (backend_zero(w->b, off, BLOCK, true) != 0)
				w->failures++;
			break;
		default:
			if (backend_extent(w->b, shared, SHARED_UNITS * UNIT,
			    &elen, &flags) != 0 || elen == 0 ||
			    elen > SHARED_UNITS * UNIT)
				w->failures++;
			break;
		}
		if (backend_read(w->b, in, off, BLOCK) != 0 ||
		    (w->whole_blocks && !uniform(in, BLOCK)))
			w->failures++;
		/* A read across many pages and lock groups. */
		if (backend_read(w->b, in, shared + UNIT - BLOCK / 2, BLOCK) !=
		    0)
			w->failures++;
	}
	return NULL;
}

/* Writes a unit per thread that the others do not touch, to verify after. */
static void *
final_write(void *arg)
{
	struct worker *w = arg;
	uint64_t mine = (uint64_t)w->id * PRIVATE_UNITS * UNIT;
	uint64_t i;

	for (i = 0; i < PRIVATE_UNITS; i++)
		if (fill(w->b, mine + i * UNIT, UNIT, (uint8_t)(w->id + i + 1))
		    != 0)
			w->failures++;
	return NULL;
}

/*
 * The memory backend copies a 4 KiB aligned block under one lock, so a
 * read sees it whole; a file gives no such promise between threads.
 */
static void
hammer(struct backend *b, const char *what, bool whole_blocks)
{
	pthread_t t[NTHREADS];
	struct worker w[NTHREADS];
	int i, failures = 0, started;
	uint64_t u;

	for (i = 0; i < NTHREADS; i++)
		w[i] = (struct worker){ .b = b, .id = i,
		    .whole_blocks = whole_blocks };
	for (started = 0; started < NTHREADS; started++)
		if (pthread_create(&t[started], NULL, worker_run,
		    &w[started]) != 0)
			break;
	CHECK(started == NTHREADS);
	for (i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	for (started = 0; started < NTHREADS; started++)
		if (pthread_create(&t[started], NULL, final_write,
		    &w[started]) != 0)
			break;
	CHECK(started == NTHREADS);
	for (i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < NTHREADS; i++) {
		failures += w[i].failures;
		for (u = 0; u < PRIVATE_UNITS; u++)
			if (!reads_as(b, (i * PRIVATE_UNITS + u) * UNIT, UNIT,
			    (uint8_t)(i + u + 1)))
				failures++;
	}
	if (failures != 0)
		fprintf(stderr, "%s: %d failures under threads\n", what,
		    failures);
	CHECK(failures == 0);
}

static void
test_threads(void)
{
	struct backend *b;

	if ((b = open_ok("memory", 64 * MiB, false)) != NULL) {
		hammer(b, "memory", true);
		backend_close(b);
	}
	if ((b = open_ok("zero", 64 * MiB, false)) != NULL) {
		/* Nothing sticks on zero: only check nothing fails or races. */
		pthread_t t[NTHREADS];
		struct worker w[NTHREADS];
		int i;

		for (i = 0; i < NTHREADS; i++) {
			w[i] = (struct worker){ .b = b, .id = i };
			CHECK(pthread_create(&t[i], NULL, final_write,
			    &w[i]) == 0);
		}
		for (i = 0; i < NTHREADS; i++) {
			pthread_join(t[i], NULL);
			CHECK(w[i].failures == 0);
		}
		CHECK(reads_as(b, 0, MiB, 0));
		backend_close(b);
	}
}

/* A temporary file of size bytes, its path in path; -1 on failure. */
static int
temp_file(char *path, size_t pathlen, uint64_t size)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(path, pathlen, "%s/vt-backend.XXXXXX",
	    dir != NULL && *dir != '\0' ? dir : "/tmp");
	if ((fd = mkstemp(path)) == -1) {
		perror(path);
		return -1;
	}
	if (ftruncate(fd, (off_t)size) == -1) {
		perror(path);
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

/*
 * Extents from SEEK_DATA/SEEK_HOLE depend on the filesystem (tmpfs, ext4
 * and xfs report holes; others may call everything data), so the walk only
 * checks what holds everywhere: extents are non-empty, within the request,
 * flagged data or hole+zero, cover the range in order, and a hole+zero
 * extent really reads as zeros.
 */
static bool
file_extents_walk(struct backend *b, uint64_t size, uint64_t step,
    uint64_t data_at, uint64_t data_len)
{
	uint64_t off = 0, len, ask;
	uint32_t flags;

	while (off < size) {
		ask = size - off < step ? size - off : step;
		if (backend_extent(b, off, ask, &len, &flags) != 0 ||
		    len == 0 || len > ask ||
		    (flags != 0 && flags != (HOLE | ZERO)))
			return false;
		if (flags != 0 && !reads_as(b, off, len, 0))
			return false;
		/* Written bytes are never called a hole. */
		if (flags != 0 && off < data_at + data_len &&
		    data_at < off + len)
			return false;
		off += len;
	}
	return off == size;
}

/* Walks asking for the rest of the file, and asking for little at a time. */
static bool
file_extents_sane(struct backend *b, uint64_t size, uint64_t data_at,
    uint64_t data_len)
{
	return file_extents_walk(b, size, size, data_at, data_len) &&
	    file_extents_walk(b, size, 3000, data_at, data_len);
}

static void
test_file(void)
{
	char path[4096], spec[4200], want[4400];
	uint8_t buf[3 * 4096 + 7], back[sizeof(buf)];
	struct backend *b;
	struct stat st;
	uint64_t fsize = 4 * MiB;
	size_t i;
	int fd;

	if ((fd = temp_file(path, sizeof(path), fsize)) == -1) {
		CHECK(!"temporary file");
		return;
	}
	close(fd);
	snprintf(spec, sizeof(spec), "file:%s", path);

	snprintf(want, sizeof(want), "file:%s: size %llu is larger than the "
	    "file (%llu bytes)", path, (unsigned long long)fsize + 1,
	    (unsigned long long)fsize);
	CHECK(open_fails(spec, fsize + 1, false, want));

	/* A smaller size exports the start of the file. */
	if ((b = open_ok(spec, 4096, false)) != NULL) {
		CHECK(backend_size(b) == 4096);
		CHECK(fill(b, 4095, 2, 1) == ENOSPC);
		backend_close(b);
	}

	if ((b = open_ok(spec, 0, false)) == NULL) {
		CHECK(!"file opens");
		unlink(path);
		return;
	}
	CHECK(backend_size(b) == fsize);
	CHECK(!backend_readonly(b));
	CHECK(!backend_is_zero(b));
	CHECK(reads_as(b, 0, fsize, 0));
	CHECK(file_extents_sane(b, fsize, 0, 0));

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 13 + 5);
	CHECK(backend_write(b, buf, UNIT - 1000, sizeof(buf), false) == 0);
	CHECK(backend_read(b, back, UNIT - 1000, sizeof(back)) == 0);
	CHECK(memcmp(back, buf, sizeof(buf)) == 0);
	CHECK(backend_write(b, buf, 3 * MiB + 1, sizeof(buf), true) == 0);
	CHECK(backend_read(b, back, 3 * MiB + 1, sizeof(back)) == 0);
	CHECK(memcmp(back, buf, sizeof(buf)) == 0);
	CHECK(backend_flush(b) == 0);
	CHECK(file_extents_sane(b, fsize, UNIT - 1000, sizeof(buf)));
	CHECK(extent_is(b, UNIT, 100, 100, 0));

	/* Zero: zeros, whichever way the filesystem manages it. */
	CHECK(backend_zero(b, UNIT - 500, 1000, false) == 0);
	CHECK(reads_as(b, UNIT - 500, 1000, 0));
	CHECK(backend_read(b, back, UNIT - 1000, 500) == 0);
	CHECK(memcmp(back, buf, 500) == 0);
	CHECK(backend_read(b, back, UNIT + 500, 100) == 0);
	CHECK(memcmp(back, buf + 1500, 100) == 0);
	CHECK(backend_zero(b, 3 * MiB, UNIT, true) == 0);
	CHECK(reads_as(b, 3 * MiB, UNIT, 0));
	CHECK(backend_zero(b, 0, fsize, false) == 0);
	CHECK(reads_as(b, 0, fsize, 0));

	/* Trim is advisory: it succeeds, and what it leaves is unspecified. */
	CHECK(fill(b, 2 * MiB, 2 * UNIT, 0x5c) == 0);
	CHECK(backend_trim(b, 2 * MiB, UNIT) == 0);
	CHECK(backend_trim(b, 2 * MiB + UNIT + 1, 10) == 0);
	CHECK(reads_as(b, 2 * MiB + UNIT, 1, 0x5c));
	CHECK(reads_as(b, 2 * MiB + UNIT + 11, UNIT - 11, 0x5c));
	CHECK(file_extents_sane(b, fsize, 2 * MiB + UNIT, UNIT));

	/* The last byte; and the export never grows the file. */
	CHECK(fill(b, fsize - 1, 1, 0x7e) == 0);
	CHECK(reads_as(b, fsize - 1, 1, 0x7e));
	CHECK(fill(b, fsize, 1, 0x7e) == ENOSPC);
	CHECK(backend_zero(b, fsize - 10, 10, true) == 0);
	CHECK(stat(path, &st) == 0 && (uint64_t)st.st_size == fsize);
	hammer(b, "file", false);
	backend_close(b);

	/* Read-only: writes refused, what was written is still there. */
	if ((b = open_ok(spec, 0, true)) != NULL) {
		CHECK(backend_readonly(b));
		CHECK(fill(b, 0, 1, 1) == EROFS);
		CHECK(backend_trim(b, 0, 1) == EROFS);
		CHECK(backend_zero(b, 0, 1, false) == EROFS);
		CHECK(reads_as(b, 0, UNIT, 1));
		CHECK(backend_flush(b) == 0);
		backend_close(b);
	}

	/* An empty file has no size to take. */
	CHECK(truncate(path, 0) == 0);
	snprintf(want, sizeof(want), "file:%s: size 0 (the file is empty)",
	    path);
	CHECK(open_fails(spec, 0, false, want));
	unlink(path);
}

int
main(void)
{
	test_open_errors();
	test_zero();
	test_pattern();
	test_memory();
	test_memory_huge();
	test_threads();
	test_file();
	return check_result();
}
