#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "term.h"
#include "window.h"
#include "xalloc.h"

#define DIM "\033[2m"
#define UNDIM "\033[0m"
#define WRAP_OFF "\033[?7l"
#define WRAP_ON "\033[?7h"

int
window_init(struct window *w, int fd, int lines, bool dim)
{
	int i;

	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->lines = lines;
	w->dim = dim;
	/* All at once: a stream never finds us out of memory halfway. */
	if ((w->ring = calloc(lines, sizeof(*w->ring))) == NULL ||
	    (w->cur = malloc(sizeof(*w->cur))) == NULL)
		goto fail;
	for (i = 0; i < lines; i++)
		if ((w->ring[i] = malloc(sizeof(*w->ring[i]))) == NULL)
			goto fail;
	san_reset(w->cur);
	return 0;
fail:
	window_free(w);
	errno = ENOMEM;
	return -1;
}

void
window_free(struct window *w)
{
	int i;

	for (i = 0; w->ring != NULL && i < w->lines; i++)
		free(w->ring[i]);
	free(w->ring);
	free(w->cur);
	free(w->frame);
	memset(w, 0, sizeof(*w));
}

/* The line just ended joins the ring, in place of the oldest. */
static void
push(struct window *w)
{
	struct san_line *spare;
	int slot;

	if (w->count < w->lines)
		slot = (w->head + w->count++) % w->lines;
	else {
		slot = w->head;
		w->head = (w->head + 1) % w->lines;
	}
	spare = w->ring[slot];
	w->ring[slot] = w->cur;
	w->cur = spare;
	san_reset(w->cur);
}

void
window_feed(struct window *w, const void *data, size_t len)
{
	const char *p = data, *end = p + len, *nl = end;
	bool ended;
	int i;

	if (len == 0)
		return;
	w->dirty = true;
	/*
	 * Only the lines after the last lines+1 newlines can show (lines of
	 * them, and the one being read).  Whatever comes before them is not
	 * even parsed, so a fast writer of short lines costs us little more
	 * than a search.  Lines are independent: '\n' ends any escape.
	 */
	for (i = 0; i <= w->lines && nl != NULL; i++)
		nl = memrchr(p, '\n', (size_t)(nl - p));
	if (nl != NULL) {
		p = nl + 1;
		w->count = 0;
		san_reset(w->cur);
	}
	while (p < end) {
		p += san_feed(w->cur, p, (size_t)(end - p), &ended);
		if (ended)
			push(w);
	}
}

static char *
put(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

int
window_draw(struct window *w)
{
	const struct san_line *l;
	int width, rows, show, total, i;
	size_t need;
	char *p;

	width = term_size(w->fd, &rows);
	/* The window and the cursor's row below it must fit on the screen. */
	show = w->lines;
	if (rows > 0 && show > rows - 2)
		show = rows > 3 ? rows - 2 : 1;
	total = w->count + (w->cur->started ? 1 : 0);
	if (show > total)
		show = total;
	w->dirty = false;
	if (show == 0 && w->drawn == 0)
		return 0;

	need = TERM_BACK_MAX + 16 + (size_t)show * (SAN_RENDER_MAX + 16);
	if (need > w->frame_cap) {
		w->frame = xrealloc(w->frame, need);
		w->frame_cap = need;
	}
	p = w->frame;
	p += term_back(p, w->drawn);
	p = put(p, WRAP_OFF);
	for (i = total - show; i < total; i++) {
		l = i < w->count ? w->ring[(w->head + i) % w->lines] : w->cur;
		if (w->dim)
			p = put(p, DIM);
		p += san_render(l, width, p, SAN_RENDER_MAX);
		if (w->dim)
			p = put(p, UNDIM);
		p = put(p, "\r\n");
	}
	p = put(p, WRAP_ON);
	w->drawn = show;
	return fd_write_all(w->fd, w->frame, (size_t)(p - w->frame));
}

int
window_erase(struct window *w)
{
	char buf[TERM_BACK_MAX];
	size_t n;

	if (w->drawn == 0)
		return 0;
	n = term_back(buf, w->drawn);
	w->drawn = 0;
	return fd_write_all(w->fd, buf, n);
}
