/*
 * sanitize: one line of untrusted bytes (a guest's console, a command's
 * output) made into text that is safe to draw on a terminal and whose
 * width is known, so that the window's cursor arithmetic holds.
 *
 * Escape sequences (CSI, OSC and the other strings, two- and three-byte
 * ESC sequences) and control bytes are dropped; a tab moves to the next
 * multiple of 8 columns; a carriage return lets the text after it replace
 * the line (a progress bar), but the line keeps showing until that text
 * comes, so "\r\n" is just a line end; a byte that is not UTF-8 shows as
 * '?'; characters wcwidth() calls unprintable, C1 controls and bidi
 * controls are dropped.  The kept text is bounded (SAN_COLS columns,
 * SAN_BYTES bytes) however long the line grows.
 *
 * A line is fed in pieces of any size; nothing depends on the previous
 * line, since a '\n' ends every escape.  Under the line is a decoder of
 * bytes into characters, tabs, carriage returns and line ends, which
 * --erase's measure of rows (term.h) shares, so that both follow one set
 * of rules.  Widths come from wcwidth(), so
 * LC_CTYPE must be a UTF-8 locale (san_locale()); in another locale all
 * non-ASCII characters are dropped.
 */
#ifndef LINE_WINDOW_SANITIZE_H
#define LINE_WINDOW_SANITIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SAN_COLS 1024			/* columns of a line that are kept */
#define SAN_BYTES (4 * SAN_COLS + 64)	/* their bytes, zero-width ones too */
#define SAN_RENDER_MAX (SAN_BYTES + 4)	/* san_render()'s largest result */

/*
 * The decoder under both the window's lines and the rows of --erase:
 * it turns bytes into what a terminal makes of them, one token at a
 * time, so that what the window shows and what --erase measures follow
 * the same rules.
 */
enum san_kind {
	SAN_NOTHING,	/* an escape, or a byte or character that is dropped */
	SAN_CHAR,	/* a character: its UTF-8 and its columns */
	SAN_INVALID,	/* bytes that are not UTF-8: one '?' */
	SAN_TAB,
	SAN_CR,
	SAN_BACKSPACE,
	SAN_NEWLINE,
};

struct san_token {
	enum san_kind kind;
	int width;		/* SAN_CHAR: 0, 1 or 2 columns */
	size_t len;		/* SAN_CHAR: bytes[]'s length */
	char bytes[4];
};

struct san_decoder {
	uint8_t state;		/* in text, or where in an escape */
	uint8_t u8_need;	/* continuation bytes a character still needs */
	uint8_t u8_lo, u8_hi;	/* the range the next one must be in */
	uint32_t u8_cp;		/* the character so far */
};

struct san_line {
	size_t len;		/* bytes of text[] */
	size_t shown_len;	/* bytes up to the last non-blank character */
	int cols, shown_cols;	/* the columns of the same */
	bool full;		/* text[] took all it can: later text is lost */
	bool clipped;		/* ... and non-blank text was lost */
	bool cr;		/* a '\r' came: the next text replaces the line */
	bool started;		/* any byte came, visible or not */
	struct san_decoder dec;
	char text[SAN_BYTES];	/* UTF-8, no controls, no escapes */
};

/* Sets LC_CTYPE to a UTF-8 locale; -1 if there is none. */
int san_locale(void);

/* Makes d ready for a new stream. */
void san_decoder_reset(struct san_decoder *d);

/*
 * Decodes byte c into *t.  Returns 1 when c is used up, 0 when it is to
 * be decoded again: it broke a character, and *t is that character's
 * '?'.  A '\n' ends any escape or character.
 */
int san_decode(struct san_decoder *d, unsigned char c, struct san_token *t);

/* Makes l an empty line. */
void san_reset(struct san_line *l);

/*
 * Feeds up to len bytes of data to l, stopping after the first '\n':
 * returns the bytes taken, and sets *ended when they end the line (the
 * '\n' itself is not text).  A character cut off by the end of data is
 * completed by the next call.
 */
size_t san_feed(struct san_line *l, const void *data, size_t len,
    bool *ended);

/*
 * The line as one terminal row of width columns: NUL-terminated in out,
 * which holds size >= SAN_RENDER_MAX bytes; returns its length (0 if
 * size is too small).  It takes at most width - 1 columns, never the
 * last one, where a terminal would wrap; a line that does not fit ends
 * in "...".  Trailing blanks are left out, and so is a character that
 * is still incomplete.
 */
size_t san_render(const struct san_line *l, int width, char *out,
    size_t size);

/*
 * The bytes in up to the first '\n' as one whole line, rendered as
 * above; a character cut off at its end shows as '?'.
 */
size_t san_text(const void *in, size_t len, int width, char *out,
    size_t size);

#endif
