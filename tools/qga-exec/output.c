#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "output.h"
#include "stop.h"

void
sink_init(struct sink *s, int fd, const char *name, bool collect)
{
	memset(s, 0, sizeof(*s));
	s->fd = collect ? -1 : fd;
	s->name = name;
	s->tee = -1;
}

int
tee_open(const char *path)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0666)) < 0)
		die_errno(EXIT_USAGE, "--tee %s", path);
	return fd;
}

/* A copy of what went to the sink: a file, written in full. */
static void
tee_copy(struct sink *s, const unsigned char *p, size_t len)
{
	ssize_t n;

	while (s->tee >= 0 && len > 0) {
		if ((n = write(s->tee, p, len)) > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n < 0 && errno != EINTR) {
			note_errno("--tee: write");
			s->tee = -1;
		}
	}
}

void
sink_free(struct sink *s)
{
	free(s->buf);
	s->buf = NULL;
	s->len = s->cap = 0;
}

static int
collect(struct sink *s, const void *data, size_t len)
{
	unsigned char *grown;
	size_t want;

	if (s->len + len > s->cap) {
		want = s->cap == 0 ? 65536 : s->cap;
		while (want < s->len + len)
			want *= 2;
		grown = realloc(s->buf, want);
		if (grown == NULL)
			return -1;
		s->buf = grown;
		s->cap = want;
	}
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	return 0;
}

int
sink_put(struct sink *s, const void *data, size_t len, size_t *done)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLOUT };
	const unsigned char *p = data;
	ssize_t n;

	*done = 0;
	if (s->error != 0)
		return 0;
	if (s->fd < 0) {
		if (collect(s, data, len) == 0) {
			*done = len;
			tee_copy(s, p, len);
			return 0;
		}
		s->error = errno = ENOMEM;
		return -1;
	}
	/*
	 * A reader that does not read (a pager, a stopped job) must not
	 * keep a stop signal from us: wait for room through stop_poll,
	 * then write no more than a pipe takes without blocking.
	 */
	while (*done < len) {
		if (stop_poll(&pfd, 1, DEADLINE_NEVER) < 0)
			break;
		n = write(s->fd, p + *done, len - *done > PIPE_BUF ? PIPE_BUF :
		    len - *done);
		if (n > 0)
			*done += n;
		else if (n == 0)
			errno = EIO;
		if (n <= 0 && errno != EINTR && errno != EAGAIN)
			break;
	}
	tee_copy(s, p, *done);
	if (*done == len)
		return 0;
	if (errno != EINTR)
		s->error = errno;
	return -1;
}
