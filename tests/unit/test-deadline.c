#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/deadline.h"
#include "check.h"

/* A pipe holding text, its write end closed unless writer asks for it. */
static int
pipe_of(const char *text, int *writer)
{
	int p[2];

	if (pipe(p) < 0)
		return -1;
	if (write(p[1], text, strlen(text)) != (ssize_t)strlen(text))
		return -1;
	if (writer != NULL)
		*writer = p[1];
	else
		close(p[1]);
	return p[0];
}

/* deadline_read_all: to EOF; past max; a writer that never ends. */
static void
read_all_checks(void)
{
	char *out, big[10000];
	size_t len;
	int fd, w;

	fd = pipe_of("a path\n", NULL);
	CHECK(deadline_read_all(fd, deadline_in_ms(1000), 100, &out,
	    &len) == 0);
	CHECK(len == 7 && strcmp(out, "a path\n") == 0);
	free(out);
	close(fd);

	/* max is exact: 7 bytes fit in 7, not in 6; growth past 4096. */
	fd = pipe_of("a path\n", NULL);
	CHECK(deadline_read_all(fd, deadline_in_ms(1000), 7, &out,
	    &len) == 0);
	free(out);
	close(fd);
	fd = pipe_of("a path\n", NULL);
	errno = 0;
	CHECK(deadline_read_all(fd, deadline_in_ms(1000), 6, &out,
	    &len) < 0 && errno == EFBIG && out == NULL);
	close(fd);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	fd = pipe_of(big, NULL);
	CHECK(deadline_read_all(fd, deadline_in_ms(1000), 20000, &out,
	    &len) == 0 && len == sizeof(big) - 1);
	free(out);
	close(fd);

	/* The writer is still there: the deadline ends the read. */
	fd = pipe_of("partial", &w);
	errno = 0;
	CHECK(deadline_read_all(fd, deadline_in_ms(50), 100, &out,
	    &len) < 0 && errno == ETIMEDOUT && out == NULL);
	close(fd);
	close(w);
}

int
main(void)
{
	struct deadline never = DEADLINE_NEVER, soon, now;
	int64_t t0;

	CHECK(deadline_is_never(never));
	CHECK(!deadline_passed(never));
	CHECK(deadline_poll_ms(never) == -1);
	CHECK(deadline_is_never(deadline_in_ms(-1)));

	now = deadline_in_ms(0);
	CHECK(deadline_passed(now));
	CHECK(deadline_poll_ms(now) == 0);

	soon = deadline_in_ms(50);
	CHECK(!deadline_passed(soon));
	CHECK(deadline_poll_ms(soon) > 0 && deadline_poll_ms(soon) <= 50);
	CHECK(deadline_min(soon, never).at_ns == soon.at_ns);
	CHECK(deadline_min(never, soon).at_ns == soon.at_ns);

	/* A sleep is cut short by the deadline, never lengthened past it. */
	t0 = monotonic_ns();
	deadline_sleep_ms(soon, 10000);
	CHECK(deadline_passed(soon));
	CHECK(monotonic_ns() - t0 < 1000 * 1000000LL);

	read_all_checks();
	return check_result();
}
