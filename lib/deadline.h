/*
 * deadline: points on the monotonic clock that every wait is bounded by.
 *
 * A deadline is absolute, so a wait made of many reads, polls and
 * reconnects keeps one budget.  DEADLINE_NEVER waits forever.
 */
#ifndef VT_DEADLINE_H
#define VT_DEADLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct deadline {
	int64_t at_ns;		/* CLOCK_MONOTONIC; INT64_MAX = never */
};

#define DEADLINE_NEVER ((struct deadline){ INT64_MAX })

int64_t monotonic_ns(void);

/* A deadline ms milliseconds from now; ms < 0 means never. */
struct deadline deadline_in_ms(int64_t ms);
bool deadline_is_never(struct deadline d);
bool deadline_passed(struct deadline d);

/* The earlier of two deadlines. */
struct deadline deadline_min(struct deadline a, struct deadline b);

/*
 * The timeout to pass to poll(2): -1 for never, 0 once passed, otherwise
 * the milliseconds left rounded up, so a poll never wakes just before the
 * deadline and spins.
 */
int deadline_poll_ms(struct deadline d);

/* Sleeps for ms milliseconds, or until the deadline if that is sooner. */
void deadline_sleep_ms(struct deadline d, int64_t ms);

/*
 * Reads fd to its end (a child's output) by the deadline, at most max
 * bytes, into a malloc'd buffer with a NUL after them: 0 with *out and
 * *len; or -1 with errno ETIMEDOUT at the deadline, EFBIG past max, or
 * read(2)'s, and *out NULL.
 */
int deadline_read_all(int fd, struct deadline d, size_t max, char **out,
    size_t *len);

#endif
