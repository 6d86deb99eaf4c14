/*
 * powercut.c: the draw of a power cut.  xorshift64 from the seed, so that
 * one seed gives one outcome on every host.
 */
#include "powercut.h"

static uint64_t
xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

void
keep_draw_init(struct keep_draw *d, enum lose lose, uint64_t seed,
    uint64_t pending, uint64_t first)
{
	d->lose = lose;
	d->rng = seed | 1;	/* xorshift never leaves 0 */
	d->nth = 0;
	d->point = lose == LOSE_PREFIX ? xorshift(&d->rng) % (pending + 1) :
	    first;
}

bool
keep_draw_next(struct keep_draw *d)
{
	uint64_t nth = d->nth++;

	switch (d->lose) {
	case LOSE_NONE:
		return true;
	case LOSE_RANDOM:
		return (xorshift(&d->rng) >> 32 & 1) != 0;
	case LOSE_PREFIX:
	case LOSE_AFTER:
		return nth < d->point;
	case LOSE_ALL:
		break;
	}
	return false;
}
