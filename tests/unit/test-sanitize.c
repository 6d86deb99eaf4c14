#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "../../tools/line-window/sanitize.h"
#include "check.h"

static char out[SAN_RENDER_MAX];

/* Whether the n bytes at in, as one line, show as want at width. */
static bool
shows_n(const char *in, size_t n, int width, const char *want)
{
	size_t len = san_text(in, n, width, out, sizeof(out));

	if (len == strlen(want) && strcmp(out, want) == 0)
		return true;
	fprintf(stderr, "  got \"%s\", want \"%s\"\n", out, want);
	return false;
}

#define shows(in, width, want) shows_n((in), sizeof(in) - 1, (width), (want))

/* The same bytes fed one at a time must show the same. */
static bool
bytewise_same(const char *in, size_t n, int width)
{
	static struct san_line l;
	char whole[SAN_RENDER_MAX];
	bool ended = false;
	size_t i;

	san_text(in, n, width, whole, sizeof(whole));
	san_reset(&l);
	for (i = 0; i < n && !ended; i++)
		CHECK(san_feed(&l, in + i, 1, &ended) == 1);
	if (!ended && l.dec.u8_need > 0)
		san_feed(&l, "\n", 1, &ended);	/* as san_text finishes */
	san_render(&l, width, out, sizeof(out));
	if (strcmp(out, whole) == 0)
		return true;
	fprintf(stderr, "  bytewise \"%s\", whole \"%s\"\n", out, whole);
	return false;
}

#define bytewise(in, width) bytewise_same((in), sizeof(in) - 1, (width))

/* A string of n copies of c. */
static char *
repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		exit(1);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* The display width of UTF-8 text, or -1 if it has any control. */
static int
width_of(const char *s)
{
	wchar_t wcs[SAN_RENDER_MAX];
	size_t n = mbstowcs(wcs, s, SAN_RENDER_MAX);

	if (n == (size_t)-1)
		return -2;
	return wcswidth(wcs, n);
}

static uint32_t rng = 12345;

static uint32_t
next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void
plain_text_and_escapes(void)
{
	CHECK(shows("hello, world", 80, "hello, world"));
	CHECK(shows("", 80, ""));
	/* CSI: colours, cursor moves, private modes, intermediates. */
	CHECK(shows("\033[31mred\033[0m and \033[1;32mgreen\033[m", 80,
	    "red and green"));
	CHECK(shows("a\033[2J\033[1;1Hb\033[?25lc\033[?2004hd", 80, "abcd"));
	CHECK(shows("a\033[1 qb\033[>0;1cc", 80, "abc"));
	/* OSC ended by BEL or by ST, hyperlinks, DCS, APC. */
	CHECK(shows("\033]0;title\007text", 80, "text"));
	CHECK(shows("\033]8;;http://x/\033\\link\033]8;;\033\\!", 80, "link!"));
	CHECK(shows("a\033Pq#0;2;0;0;0#0~~@@\033\\b", 80, "ab"));
	CHECK(shows("a\033_secret\033\\b\033^pm\007c\033Xsos\033\\d", 80,
	    "abcd"));
	/* An unterminated string hides the rest of the line only. */
	CHECK(shows("a\033]0;never ended", 80, "a"));
	/* Two- and three-byte ESC sequences. */
	CHECK(shows("\0337a\0338b\033cc\033Md\033=e\033>", 80, "abcde"));
	CHECK(shows("\033(Bx\033)0y\033#8z\033%Gw", 80, "xyzw"));
	/* CAN and SUB abort a sequence; ESC starts another. */
	CHECK(shows("\033[12\030x\033]0;t\032y\033[3\033[4mz", 80, "xyz"));
	/* An ESC inside a string that is not ESC \ starts a sequence. */
	CHECK(shows("\033]0;t\033[31mred", 80, "red"));
	/* ESC at the very end, and ESC ESC. */
	CHECK(shows("ab\033", 80, "ab"));
	CHECK(shows("a\033\033[1mb", 80, "ab"));
	/* A byte above 0x7f ends an escape and is text. */
	CHECK(shows("\033\xc3\xa9", 80, "\xc3\xa9"));
	CHECK(shows("\033[1\xc3\xa9", 80, "\xc3\xa9"));
}

static void
carriage_returns(void)
{
	CHECK(shows("abc\rdef", 80, "def"));
	CHECK(shows("abcdef\rxy", 80, "xy"));
	CHECK(shows("abc\r", 80, "abc"));	/* until new text comes */
	CHECK(shows("abc\r\n", 80, "abc"));
	CHECK(shows("a\r\r\n", 80, "a"));
	CHECK(shows(" 10%\r 50%\r100%", 80, "100%"));
	/* Escapes after the CR do not replace the line; text does. */
	CHECK(shows("50%\r\033[K60%", 80, "60%"));
	CHECK(shows("abc\r\033[0m", 80, "abc"));
	CHECK(shows("abc\r   ", 80, ""));
	CHECK(shows("abc\r\t", 80, ""));
	CHECK(shows("abc\r\xff", 80, "?"));
	CHECK(shows("abc\r\x01", 80, "abc"));
	/* A CR inside a CSI still counts. */
	CHECK(shows("abc\033[\r1mx", 80, "x"));
}

static void
tabs_controls_blanks(void)
{
	CHECK(shows("\tx", 80, "        x"));
	CHECK(shows("ab\tc", 80, "ab      c"));
	CHECK(shows("abcdefgh\tx", 80, "abcdefgh        x"));
	CHECK(shows("abcdefg\tx", 80, "abcdefg x"));
	CHECK(shows("\xe4\xb8\xad\tx", 80, "\xe4\xb8\xad      x"));
	CHECK(shows("a\t", 80, "a"));
	/* Controls are dropped, NUL and DEL included. */
	CHECK(shows("a\001b\177c\bd\fe\vf\ag", 80, "abcdefg"));
	CHECK(shows_n("a\0b", 3, 80, "ab"));
	/* Trailing blanks go; leading and inner ones stay. */
	CHECK(shows("  a  b   ", 80, "  a  b"));
	CHECK(shows("     ", 80, ""));
}

static void
utf8(void)
{
	CHECK(shows("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 80,
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
	/* Each maximal invalid subsequence is one '?'. */
	CHECK(shows("\xff", 80, "?"));
	CHECK(shows("a\x80" "b", 80, "a?b"));
	CHECK(shows("\xc0\xaf", 80, "??"));		/* overlong */
	CHECK(shows("\xe0\x80\xaf", 80, "???"));	/* overlong */
	CHECK(shows("\xed\xa0\x80", 80, "???"));	/* surrogate */
	CHECK(shows("\xf4\x90\x80\x80", 80, "????"));	/* > U+10FFFF */
	CHECK(shows("\xf5\xfe", 80, "??"));
	CHECK(shows("\xe4\xb8x", 80, "?x"));		/* cut short */
	CHECK(shows("\xf0\x9f\x98" "a", 80, "?a"));
	CHECK(shows("x\xe4\xb8", 80, "x?"));		/* at the end */
	CHECK(shows("\xe4\xb8\033[1m", 80, "?"));
	CHECK(shows("\xe4\xb8\r" "a", 80, "a"));
	/* C1 controls and bidi controls are dropped. */
	CHECK(shows("a\xc2\x9b" "31mb", 80, "a31mb"));
	CHECK(shows("a\xc2\x85" "b\xc2\x9d" "c", 80, "abc"));
	CHECK(shows("a\xe2\x80\xae" "b\xe2\x81\xa6" "c\xe2\x80\x8f" "d", 80,
	    "abcd"));
	/* Zero-width characters stay with theirs. */
	CHECK(shows("e\xcc\x81", 80, "e\xcc\x81"));
	CHECK(shows("\xc2\xa0", 80, "\xc2\xa0"));	/* NBSP is no blank */
}

static void
clipping(void)
{
	char *s;

	CHECK(shows("012345678", 10, "012345678"));	/* width - 1 fits */
	CHECK(shows("0123456789", 10, "012345..."));
	CHECK(shows("0123456789abcdef", 10, "012345..."));
	/* Trailing blanks do not make a line too long. */
	CHECK(shows("abc                    ", 10, "abc"));
	CHECK(shows("abc\t\t\t\t", 10, "abc"));
	/* Wide characters: never half of one. */
	CHECK(shows("\xe4\xb8\xad\xe6\x96\x87", 10, "\xe4\xb8\xad\xe6\x96\x87"));
	CHECK(shows("\xe4\xb8\xad\xe6\x96\x87\xe4\xb8\xad\xe6\x96\x87", 6,
	    "\xe4\xb8\xad..."));
	CHECK(shows("a\xe4\xb8\xad\xe6\x96\x87\xe4\xb8\xad", 7, "a\xe4\xb8\xad..."));
	CHECK(shows("ab\xe4\xb8\xad\xe6\x96\x87\xe4\xb8\xad", 7, "ab..."));
	/* Narrow terminals: dots only where they fit. */
	CHECK(shows("0123456789", 5, "0..."));
	CHECK(shows("0123456789", 4, "012"));
	CHECK(shows("0123456789", 2, "0"));
	CHECK(shows("0123456789", 1, ""));
	CHECK(shows("0123456789", 0, ""));
	CHECK(shows("0123456789", -5, ""));
	CHECK(shows("0123", 5, "0123"));

	/* A line longer than is kept: bounded, and clipped with dots. */
	s = repeat('x', 100000);
	CHECK(san_text(s, 100000, 80, out, sizeof(out)) == 79);
	CHECK(memcmp(out, s, 76) == 0 && strcmp(out + 76, "...") == 0);
	CHECK(san_text(s, 100000, 5000, out, sizeof(out)) == SAN_COLS + 3);
	CHECK(width_of(out) == SAN_COLS + 3);
	CHECK(san_text(s, SAN_COLS, 5000, out, sizeof(out)) == SAN_COLS);
	CHECK(san_text(s, SAN_COLS + 1, 5000, out, sizeof(out)) == SAN_COLS + 3);
	/* ... and a CR after it starts afresh. */
	memcpy(s + 99990, "\rshort\n", 7);
	CHECK(san_text(s, 100000, 80, out, sizeof(out)) == 5);
	CHECK(strcmp(out, "short") == 0);
	free(s);
	/* Blanks past what is kept do not clip; text past it does. */
	s = repeat(' ', 5000);
	s[0] = 'a';
	CHECK(shows_n(s, 5000, 3000, "a"));
	s[4999] = 'b';
	CHECK(shows_n(s, 5000, 3000, "a..."));
	free(s);
	/* Zero-width characters cannot grow a line without bound. */
	s = malloc(2 * 100000 + 1);
	for (size_t i = 0; i < 100000; i++)
		memcpy(s + 2 * i, "\xcc\x81", 2);
	s[0] = 'e';
	CHECK(san_text(s, 200000, 80, out, sizeof(out)) <= SAN_BYTES + 3);
	free(s);
	/* Wide characters filling what is kept. */
	s = malloc(3 * 1000);
	for (size_t i = 0; i < 1000; i++)
		memcpy(s + 3 * i, "\xe4\xb8\xad", 3);
	CHECK(san_text(s, 3000, 5000, out, sizeof(out)) > 0);
	CHECK(width_of(out) == SAN_COLS + 3);
	free(s);
	/* Too small a buffer gets nothing. */
	CHECK(san_text("abc", 3, 80, out, SAN_RENDER_MAX - 1) == 0);
}

static void
feeding(void)
{
	static struct san_line l;
	bool ended;

	/* One line a call: the bytes after '\n' are left. */
	san_reset(&l);
	CHECK(!l.started);
	CHECK(san_feed(&l, "ab\ncd", 5, &ended) == 3 && ended);
	san_render(&l, 80, out, sizeof(out));
	CHECK(strcmp(out, "ab") == 0);
	san_reset(&l);
	CHECK(san_feed(&l, "\n", 1, &ended) == 1 && ended && l.started);
	san_reset(&l);
	CHECK(san_feed(&l, "", 0, &ended) == 0 && !ended && !l.started);
	CHECK(san_feed(&l, "\033[0m", 4, &ended) == 4 && !ended && l.started);

	/* A character split between pieces; not shown until whole. */
	san_reset(&l);
	san_feed(&l, "ab\xe4", 3, &ended);
	san_render(&l, 80, out, sizeof(out));
	CHECK(strcmp(out, "ab") == 0);
	san_feed(&l, "\xb8", 1, &ended);
	san_feed(&l, "\xad!", 2, &ended);
	san_render(&l, 80, out, sizeof(out));
	CHECK(strcmp(out, "ab\xe4\xb8\xad!") == 0);
	/* An escape split between pieces. */
	san_reset(&l);
	san_feed(&l, "x\033", 2, &ended);
	san_feed(&l, "[3", 2, &ended);
	san_feed(&l, "1my", 3, &ended);
	san_render(&l, 80, out, sizeof(out));
	CHECK(strcmp(out, "xy") == 0);
	/* '\n' ends an escape and a character: the next line is clean. */
	san_reset(&l);
	CHECK(san_feed(&l, "a\033]0;x\n", 7, &ended) == 7 && ended);
	san_reset(&l);
	san_feed(&l, "b", 1, &ended);
	san_render(&l, 80, out, sizeof(out));
	CHECK(strcmp(out, "b") == 0);
	san_reset(&l);
	san_feed(&l, "a\xe4\n", 3, &ended);
	san_render(&l, 80, out, sizeof(out));
	CHECK(strcmp(out, "a?") == 0);

	CHECK(bytewise("\033[31mred\033[0m \033]0;t\007x\ty\rz", 80));
	CHECK(bytewise("caf\xc3\xa9\xe4\xb8\xad\xff\xe0\x80", 80));
	CHECK(bytewise("0123456789abcdef\r\n", 10));
	CHECK(bytewise("a\033P1$r\033\\b\033(0c\r\xe4\xb8\xad\t\xcc\x81", 80));
}

/* Whatever comes in, what goes out is safe text that fits. */
static void
random_lines(void)
{
	static const char alphabet[] = "\033[]\\;0123mPX_^\a\r\t\n\x18\x1a "
	    "\x7f\x01\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\x80\xff\xc2\x9b\xcc"
	    "\x81\xe2\x80\xae" "aZ?";
	unsigned char in[600];
	size_t i, len, k;
	int round, width, ok = 1;

	for (round = 0; round < 20000 && ok; round++) {
		len = next_random() % sizeof(in);
		for (i = 0; i < len; i++)
			in[i] = next_random() % 8 == 0 ?
			    (unsigned char)next_random() :
			    (unsigned char)alphabet[next_random() %
			    (sizeof(alphabet) - 1)];
		width = (int)(next_random() % 120);
		len = san_text(in, len, width, out, sizeof(out));
		for (k = 0; k < len; k++)
			if ((unsigned char)out[k] < 0x20 ||
			    (unsigned char)out[k] == 0x7f)
				ok = 0;
		if (strlen(out) != len)
			ok = 0;
		if (width_of(out) < 0 || width_of(out) > (width > 0 ?
		    width - 1 : 0))
			ok = 0;
		if (len > 0 && out[len - 1] == ' ')
			ok = 0;
		if (!ok)
			fprintf(stderr, "  round %d, width %d: \"%s\"\n",
			    round, width, out);
	}
	CHECK(ok);
}

int
main(void)
{
	if (san_locale() < 0) {
		fprintf(stderr, "no UTF-8 locale\n");
		return 1;
	}
	plain_text_and_escapes();
	carriage_returns();
	tabs_controls_blanks();
	utf8();
	clipping();
	feeding();
	random_lines();
	return check_result();
}
