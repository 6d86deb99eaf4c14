#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "deadline.h"
#include "xalloc.h"

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

int
deadline_read_all(int fd, struct deadline d, size_t max, char **out,
    size_t *len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t cap = 4096;
	ssize_t n;
	int rc;

	*out = xmalloc(cap);
	*len = 0;
	for (;;) {
		if (*len + 1 == cap) {
			if (cap > max) {
				errno = EFBIG;
				goto fail;
			}
			cap *= 2;
			*out = xrealloc(*out, cap);
		}
		rc = poll(&pfd, 1, deadline_poll_ms(d));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0) {
			if (rc == 0)
				errno = ETIMEDOUT;
			goto fail;
		}
		n = read(fd, *out + *len, cap - 1 - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		*len += (size_t)n;
		if (*len > max) {
			errno = EFBIG;
			goto fail;
		}
	}
	(*out)[*len] = '\0';
	return 0;
fail:
	free(*out);
	*out = NULL;
	return -1;
}
