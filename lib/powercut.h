/*
 * powercut: which of a disk cache's unflushed operations a power cut
 * keeps, drawn the same way by nbd-fault's power-cut action and by
 * nbd-replay's crash states.  FUA writes are durable and not drawn.
 */
#ifndef VT_POWERCUT_H
#define VT_POWERCUT_H

#include <stdbool.h>
#include <stdint.h>

enum lose {
	LOSE_ALL,		/* every one */
	LOSE_NONE,		/* none: all become durable */
	LOSE_RANDOM,		/* each with probability 1/2 */
	LOSE_PREFIX,		/* those after a random point in their order */
	LOSE_AFTER,		/* those after the first `first` */
};

struct keep_draw {
	enum lose lose;
	uint64_t rng, point, nth;
};

/* For pending unflushed operations; seed draws random and prefix. */
void keep_draw_init(struct keep_draw *d, enum lose lose, uint64_t seed,
    uint64_t pending, uint64_t first);

/* Whether the next unflushed operation, in order, is kept. */
bool keep_draw_next(struct keep_draw *d);

#endif
