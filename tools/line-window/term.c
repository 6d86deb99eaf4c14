#include <sys/ioctl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "term.h"

#define TAB_STOP 8
/*
 * Going up stops at the screen's top row anyway, and a terminal may
 * ignore a number larger than it takes; no screen has this many rows.
 */
#define MAX_UP 9999

int
term_size(int fd, int *rows)
{
	struct winsize ws;
	const char *env;
	uint64_t v;

	*rows = 0;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0) {
		*rows = ws.ws_row;
		if (ws.ws_col > 0)
			return ws.ws_col;
	}
	if ((env = getenv("COLUMNS")) != NULL &&
	    parse_uint(env, 1, 100000, &v) == 0)
		return (int)v;
	return 80;
}

void
term_text_init(struct term_text *t, int width)
{
	memset(t, 0, sizeof(*t));
	san_decoder_reset(&t->dec);
	t->width = width > 0 ? width : 1;
}

/* A character of w columns at the cursor. */
static void
put_cells(struct term_text *t, int w)
{
	if (w == 0)
		return;		/* it joins the character before */
	if (t->col + w > t->width && t->col > 0) {
		t->row++;
		t->col = 0;
	}
	t->col += w;
	if (t->col > t->width)
		t->col = t->width;	/* a wide one on a one-column screen */
}

static void
put_tab(struct term_text *t)
{
	int last = t->width - 1;

	if (t->col >= last)
		return;
	t->col = (t->col / TAB_STOP + 1) * TAB_STOP;
	if (t->col > last)
		t->col = last;
}

void
term_text_feed(struct term_text *t, const void *data, size_t len)
{
	const unsigned char *p = data, *end = p + len;
	struct san_token tok;

	if (len > 0)
		t->any = true;
	while (p < end) {
		p += san_decode(&t->dec, *p, &tok);
		switch (tok.kind) {
		case SAN_CHAR:
			put_cells(t, tok.width);
			break;
		case SAN_INVALID:
			put_cells(t, 1);
			break;
		case SAN_TAB:
			put_tab(t);
			break;
		case SAN_CR:
			t->col = 0;
			break;
		case SAN_BACKSPACE:
			if (t->col > 0)
				t->col--;
			break;
		case SAN_NEWLINE:
			t->row++;
			t->col = 0;
			break;
		case SAN_NOTHING:
			break;
		}
	}
}

size_t
term_back(char *buf, long rows)
{
	if (rows > MAX_UP)
		rows = MAX_UP;
	if (rows > 0)
		return (size_t)snprintf(buf, TERM_BACK_MAX, "\r\033[%ldA\033[J",
		    rows);
	return (size_t)snprintf(buf, TERM_BACK_MAX, "\r\033[J");
}
