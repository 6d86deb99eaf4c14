/*
 * replay: a disk rebuilt from nbd-fault's write log, as it stood at a
 * flush or power cut, or at a state a power cut right after one could
 * have left.
 */
#ifndef NBD_REPLAY_REPLAY_H
#define NBD_REPLAY_REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "powercut.h"

struct replay_target {
	bool to_end;		/* everything logged, nothing lost */
	uint64_t flush;		/* else: after this many flushes and power cuts */
	bool crash;		/* then a crash of the operations after it */
	enum lose lose;		/* what it loses of them (FUA writes stay) */
	uint64_t first;		/* LOSE_AFTER: how many it keeps */
	uint64_t seed;		/* LOSE_RANDOM, LOSE_PREFIX */
};

struct replay_result {
	uint64_t flushes;	/* boundaries passed */
	uint64_t applied, kept, lost;
};

/*
 * Replays the log at log_path onto the open image fd (already the
 * export's size, as wl_size gives it), or with image_fd -1 lists the log's
 * epochs on out.  Returns 0, or an exit status with one message said.
 */
int replay(const char *log_path, int image_fd, const struct replay_target *t,
    FILE *out, struct replay_result *r);

/* The export size a log names, or -1 with a message said. */
int replay_size(const char *log_path, uint64_t *size);

#endif
