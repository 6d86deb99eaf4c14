/*
 * term: the terminal's geometry as line-window sees it: its size, and
 * where text printed on it left the cursor, so that the cursor can go
 * back up to where the text began and clear the screen below.
 *
 * Text is laid out as a terminal with automatic margins (xterm, tmux,
 * VTE, the Linux console) lays it out, from the first column of a row.
 * A character goes on the row while it fits; one that would cross the
 * right margin starts the next row, a wide one leaving the last column
 * empty; a row filled up to the margin moves on only when more text
 * comes, so a line exactly as wide as the terminal takes one row, not
 * two.  '\n' goes to the start of the next row, '\r' to the start of
 * this one, a backspace one column back; a tab goes to the next multiple
 * of 8 columns of its row, or to the last column, never to another row.
 * What a character is and how wide comes from sanitize's decoder, the
 * window's own: two columns for CJK, none for a combining character, one
 * for each '?' of bytes that are not UTF-8; escape sequences take no
 * columns (one that moves the cursor is not followed), other controls
 * and what wcwidth() calls unprintable none.
 */
#ifndef LINE_WINDOW_TERM_H
#define LINE_WINDOW_TERM_H

#include <stdbool.h>
#include <stddef.h>

#include "sanitize.h"

/* "\r", "ESC [ n A", "ESC [ J" and a NUL fit in this. */
#define TERM_BACK_MAX 32

/*
 * The terminal's columns (COLUMNS, or 80, if it does not tell), and in
 * *rows its rows (0 if unknown).
 */
int term_size(int fd, int *rows);

/* Where text left the cursor. */
struct term_text {
	struct san_decoder dec;
	int width;		/* the terminal's columns */
	int col;		/* of the cursor; width: a wrap is pending */
	long row;		/* the cursor's row, the text's first being 0 */
	bool any;		/* any byte came */
};

void term_text_init(struct term_text *t, int width);

/* Takes the text in pieces of any size. */
void term_text_feed(struct term_text *t, const void *data, size_t len);

/*
 * Writes to buf (TERM_BACK_MAX bytes) what takes the cursor up rows rows
 * to the start of that row and clears the screen from there: "\r",
 * "ESC [ rows A" unless rows is 0, "ESC [ J".  Returns its length.
 */
size_t term_back(char *buf, long rows);

#endif
