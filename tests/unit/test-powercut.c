#include <stdbool.h>
#include <stdint.h>

#include "../../lib/powercut.h"
#include "check.h"

/* How many of n operations a draw keeps, and whether they are a prefix. */
static uint64_t
kept(enum lose lose, uint64_t seed, uint64_t n, uint64_t first, bool *prefix)
{
	struct keep_draw d;
	uint64_t i, count = 0;
	bool gap = false;

	keep_draw_init(&d, lose, seed, n, first);
	*prefix = true;
	for (i = 0; i < n; i++) {
		if (keep_draw_next(&d)) {
			count++;
			if (gap)
				*prefix = false;
		} else
			gap = true;
	}
	return count;
}

int
main(void)
{
	uint64_t seed, k, lo = UINT64_MAX, hi = 0;
	bool prefix, same = true;
	struct keep_draw a, b;
	int i;

	CHECK(kept(LOSE_ALL, 1, 100, 0, &prefix) == 0);
	CHECK(kept(LOSE_NONE, 1, 100, 0, &prefix) == 100 && prefix);
	CHECK(kept(LOSE_AFTER, 1, 100, 7, &prefix) == 7 && prefix);
	CHECK(kept(LOSE_AFTER, 1, 5, 7, &prefix) == 5);
	CHECK(kept(LOSE_PREFIX, 1, 0, 0, &prefix) == 0);

	/* prefix: always a prefix, of every length over enough seeds. */
	for (seed = 0; seed < 400; seed++) {
		k = kept(LOSE_PREFIX, seed, 10, 0, &prefix);
		CHECK(prefix);
		lo = k < lo ? k : lo;
		hi = k > hi ? k : hi;
	}
	CHECK(lo == 0 && hi == 10);

	/* random: the same seed, the same draws; about half kept. */
	keep_draw_init(&a, LOSE_RANDOM, 42, 1000, 0);
	keep_draw_init(&b, LOSE_RANDOM, 42, 1000, 0);
	for (i = 0; i < 1000; i++)
		same &= keep_draw_next(&a) == keep_draw_next(&b);
	CHECK(same);
	k = kept(LOSE_RANDOM, 42, 10000, 0, &prefix);
	CHECK(k > 4700 && k < 5300 && !prefix);
	CHECK(kept(LOSE_RANDOM, 43, 64, 0, &prefix) !=
	    kept(LOSE_RANDOM, 44, 64, 0, &prefix) ||
	    kept(LOSE_RANDOM, 45, 64, 0, &prefix) !=
	    kept(LOSE_RANDOM, 46, 64, 0, &prefix));
	return check_result();
}
