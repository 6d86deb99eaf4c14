#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linereader.h"
#include "stop.h"
#include "xalloc.h"

#define LR_INITIAL_CAP 65536

void
lr_init(struct line_reader *lr, int fd, size_t max_line)
{
	memset(lr, 0, sizeof(*lr));
	lr->fd = fd;
	lr->max_line = max_line;
}

void
lr_free(struct line_reader *lr)
{
	free(lr->buf);
	lr->buf = NULL;
	lr->cap = lr->start = lr->end = lr->scanned = 0;
}

size_t
lr_pending(const struct line_reader *lr)
{
	return lr->end - lr->start;
}

/* Makes room for at least one more read, keeping what is unreturned. */
static int
make_room(struct line_reader *lr)
{
	size_t want;
	char *grown;

	if (lr->start == lr->end)
		lr->start = lr->end = 0;
	if (lr->end < lr->cap)
		return 0;
	if (lr->start > 0) {
		memmove(lr->buf, lr->buf + lr->start, lr->end - lr->start);
		lr->end -= lr->start;
		lr->start = 0;
		return 0;
	}
	want = lr->cap == 0 ? LR_INITIAL_CAP : lr->cap * 2;
	grown = xrealloc(lr->buf, want);
	lr->buf = grown;
	lr->cap = want;
	return 0;
}

/* Reads once, after waiting for input until the deadline. */
static enum lr_status
fill(struct line_reader *lr, struct deadline d)
{
	struct pollfd pfd = { .fd = lr->fd, .events = POLLIN };
	ssize_t n;
	int rc;

	if (make_room(lr) < 0)
		return LR_ERROR;
	for (;;) {
		rc = stop_poll(&pfd, 1, d);
		if (rc == 0)
			return LR_TIMEOUT;
		if (rc < 0)
			return errno == EINTR ? LR_STOPPED : LR_ERROR;
		n = read(lr->fd, lr->buf + lr->end, lr->cap - lr->end);
		if (n > 0) {
			lr->end += n;
			return LR_LINE;
		}
		if (n == 0) {
			lr->eof = true;
			return LR_EOF;
		}
		if (errno != EINTR && errno != EAGAIN)
			return LR_ERROR;
	}
}

static char *
find_newline(struct line_reader *lr)
{
	char *nl;

	nl = memchr(lr->buf + lr->start + lr->scanned, '\n',
	    lr->end - lr->start - lr->scanned);
	if (nl == NULL)
		lr->scanned = lr->end - lr->start;
	return nl;
}

bool
lr_has_line(struct line_reader *lr)
{
	return lr->buf != NULL && find_newline(lr) != NULL;
}

enum lr_status
lr_read_line(struct line_reader *lr, struct deadline d, char **line,
    size_t *len)
{
	enum lr_status st;
	char *nl, *p;
	size_t n;

	for (;;) {
		nl = lr->buf != NULL ? find_newline(lr) : NULL;
		if (nl != NULL)
			break;
		if (lr->end - lr->start > lr->max_line)
			return LR_TOO_LONG;
		if (lr->eof)
			return LR_EOF;
		st = fill(lr, d);
		if (st != LR_LINE && st != LR_EOF)
			return st;
	}
	p = lr->buf + lr->start;
	n = nl - p;
	lr->start += n + 1;
	lr->scanned = 0;
	if (n > lr->max_line)
		return LR_TOO_LONG;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	p[n] = '\0';
	*line = p;
	*len = n;
	return LR_LINE;
}

enum lr_status
lr_skip_past(struct line_reader *lr, unsigned char sentinel,
    struct deadline d)
{
	enum lr_status st;
	char *hit;

	for (;;) {
		if (lr->buf != NULL) {
			hit = memchr(lr->buf + lr->start, sentinel,
			    lr->end - lr->start);
			if (hit != NULL) {
				lr->start = hit + 1 - lr->buf;
				lr->scanned = 0;
				return LR_LINE;
			}
			lr->start = lr->end;
			lr->scanned = 0;
		}
		if (lr->eof)
			return LR_EOF;
		st = fill(lr, d);
		if (st != LR_LINE && st != LR_EOF)
			return st;
	}
}

enum lr_status
lr_take_rest(struct line_reader *lr, char **line, size_t *len)
{
	size_t n = lr->end - lr->start;

	if (n == 0)
		return LR_EOF;
	if (n > lr->max_line)
		return LR_TOO_LONG;
	/* Room for the terminating NUL. */
	if (lr->end == lr->cap && make_room(lr) < 0)
		return LR_ERROR;
	*line = lr->buf + lr->start;
	*len = n;
	lr->buf[lr->end] = '\0';
	lr->start = lr->end;
	lr->scanned = 0;
	return LR_LINE;
}
