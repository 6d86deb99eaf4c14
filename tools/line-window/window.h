/*
 * window: the last lines of a stream, drawn on a terminal in place.
 *
 * Each frame is one write(): back to the window's first row ("\r" and
 * "ESC [ k A", k being the rows the last frame drew), clear to the end of
 * the screen, then the lines, dimmed, each ended by "\r\n", so that the
 * cursor rests at the start of the row below the window.  Auto-wrap is off
 * while a frame is drawn: a character the terminal finds wider than
 * wcwidth() said clips instead of adding a row the arithmetic misses.
 */
#ifndef LINE_WINDOW_WINDOW_H
#define LINE_WINDOW_WINDOW_H

#include <stdbool.h>
#include <stddef.h>

#include "sanitize.h"

#define WINDOW_MAX_LINES 1000

struct window {
	int fd;			/* the terminal */
	int lines;		/* lines kept and, if the screen has room, shown */
	bool dim;
	struct san_line **ring;	/* the last complete lines */
	int head, count;	/* the oldest one, how many */
	struct san_line *cur;	/* the line being read: newest, if started */
	int drawn;		/* rows the frame on the screen takes */
	bool dirty;		/* input came after that frame */
	char *frame;
	size_t frame_cap;
};

/*
 * Takes all the memory the lines need, at once, so that a stream never
 * finds it short halfway: 0, or -1 with errno ENOMEM.
 */
int window_init(struct window *w, int fd, int lines, bool dim);
void window_free(struct window *w);

/* Takes bytes of the stream; only what can still show is parsed. */
void window_feed(struct window *w, const void *data, size_t len);

/*
 * Draws a frame; -1 with errno if the terminal cannot be written.  No
 * memory for a frame ends the tool (xalloc.h).
 */
int window_draw(struct window *w);

/*
 * Erases the frame: the cursor goes back to where the window started and
 * the screen below is cleared.  -1 with errno as above.
 */
int window_erase(struct window *w);

#endif
