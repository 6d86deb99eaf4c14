#include <errno.h>
#include <limits.h>
#include <time.h>

#include "deadline.h"

int64_t
monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct deadline
deadline_in_ms(int64_t ms)
{
	int64_t now = monotonic_ns();

	if (ms < 0 || ms > (INT64_MAX - now) / 1000000)
		return DEADLINE_NEVER;
	return (struct deadline){ now + ms * 1000000 };
}

bool
deadline_is_never(struct deadline d)
{
	return d.at_ns == INT64_MAX;
}

bool
deadline_passed(struct deadline d)
{
	return !deadline_is_never(d) && monotonic_ns() >= d.at_ns;
}

struct deadline
deadline_min(struct deadline a, struct deadline b)
{
	return a.at_ns < b.at_ns ? a : b;
}

int
deadline_poll_ms(struct deadline d)
{
	int64_t left;

	if (deadline_is_never(d))
		return -1;
	left = d.at_ns - monotonic_ns();
	if (left <= 0)
		return 0;
	left = (left + 999999) / 1000000;
	return left > INT_MAX ? INT_MAX : (int)left;
}

void
deadline_sleep_ms(struct deadline d, int64_t ms)
{
	struct deadline wake = deadline_min(d, deadline_in_ms(ms));
	struct timespec ts;

	if (deadline_is_never(wake))
		return;
	ts.tv_sec = wake.at_ns / 1000000000;
	ts.tv_nsec = wake.at_ns % 1000000000;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}
