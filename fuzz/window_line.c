/*
 * Fuzzes line-window's sanitiser, the parser of a guest's raw console
 * bytes.  The first byte is the terminal's width, the second how the
 * rest is cut into pieces; the rest is the stream.  Beyond the
 * sanitizers, it checks what the window's cursor arithmetic relies on:
 * the text shown is UTF-8 with no control byte, fits in width - 1
 * columns and has no trailing blank; a line fed in pieces shows as it
 * does whole; a window fed the stream at once (which skips the lines
 * that cannot show) holds the same lines as one fed in pieces.  And what
 * --erase relies on: the rows the stream takes on the terminal come out
 * the same in pieces, never more than it has bytes, the cursor within
 * the row.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "../tools/line-window/sanitize.h"
#include "../tools/line-window/term.h"
#include "../tools/line-window/window.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char whole[SAN_RENDER_MAX], piece[SAN_RENDER_MAX];
static wchar_t wide[SAN_RENDER_MAX];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (san_locale() < 0)
		abort();
	return 0;
}

static void
check_text(const char *s, size_t len, int width)
{
	size_t i, n;
	int cols;

	if (strlen(s) != len || (len > 0 && s[len - 1] == ' '))
		abort();
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			abort();
	if ((n = mbstowcs(wide, s, SAN_RENDER_MAX)) == (size_t)-1)
		abort();
	cols = wcswidth(wide, n);
	if (cols < 0 || cols > (width > 0 ? width - 1 : 0))
		abort();
}

static void
feed_pieces(struct window *w, const uint8_t *data, size_t size, size_t step)
{
	size_t off, k;

	for (off = 0; off < size; off += k) {
		k = size - off < step ? size - off : step;
		window_feed(w, data + off, k);
	}
}

static void
same_line(const struct san_line *a, const struct san_line *b, int width)
{
	if (a->started != b->started)
		abort();
	san_render(a, width, whole, sizeof(whole));
	san_render(b, width, piece, sizeof(piece));
	if (strcmp(whole, piece) != 0)
		abort();
}

static void
check_rows(const uint8_t *data, size_t size, int width, size_t step)
{
	struct term_text whole, pieces;
	size_t off, k;

	term_text_init(&whole, width);
	term_text_feed(&whole, data, size);
	term_text_init(&pieces, width);
	for (off = 0; off < size; off += k) {
		k = size - off < step ? size - off : step;
		term_text_feed(&pieces, data + off, k);
	}
	if (whole.row != pieces.row || whole.col != pieces.col ||
	    whole.any != (size > 0) || whole.row < 0 ||
	    (size_t)whole.row > size || whole.col < 0 ||
	    whole.col > whole.width)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct san_line l;
	struct window a, b;
	size_t n, off, k, step;
	bool ended = false;
	int width, i;

	if (size < 2)
		return 0;
	width = data[0];
	step = data[1] % 7 + 1;
	data += 2;
	size -= 2;

	n = san_text(data, size, width, whole, sizeof(whole));
	check_text(whole, n, width);

	san_reset(&l);
	for (off = 0; off < size && !ended; off += k) {
		k = size - off < step ? size - off : step;
		k = san_feed(&l, data + off, k, &ended);
	}
	if (!ended && l.dec.u8_need > 0)
		san_feed(&l, "\n", 1, &ended);
	san_render(&l, width, piece, sizeof(piece));
	if (strcmp(whole, piece) != 0)
		abort();

	if (window_init(&a, -1, 3, false) < 0 ||
	    window_init(&b, -1, 3, false) < 0)
		abort();
	window_feed(&a, data, size);
	feed_pieces(&b, data, size, step);
	if (a.count != b.count)
		abort();
	for (i = 0; i < a.count; i++)
		same_line(a.ring[(a.head + i) % a.lines],
		    b.ring[(b.head + i) % b.lines], width);
	same_line(a.cur, b.cur, width);
	window_free(&a);
	window_free(&b);

	check_rows(data, size, width, step);
	return 0;
}
