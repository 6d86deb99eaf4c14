#include <sys/ioctl.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "../../tools/line-window/term.h"
#include "../../tools/line-window/window.h"
#include "check.h"

#define HEAD "\r\033[J\033[?7l"
#define TAIL "\033[?7h"
#define L(s) "\033[2m" s "\033[0m\r\n"

static int rd = -1, wr = -1;
static char got[1 << 20];

static void
open_pipe(void)
{
	int p[2];

	if (pipe(p) < 0)
		exit(1);
	rd = p[0];
	wr = p[1];
	fcntl(rd, F_SETFL, O_NONBLOCK);
}

/* Whatever was written since the last look. */
static const char *
written(int fd)
{
	ssize_t n, total = 0;

	while ((n = read(fd, got + total, sizeof(got) - 1 - total)) > 0)
		total += n;
	got[total] = '\0';
	return got;
}

static bool
wrote(const char *want)
{
	written(rd);
	if (strcmp(got, want) == 0)
		return true;
	fprintf(stderr, "  wrote \"%s\"\n  want  \"%s\"\n", got, want);
	return false;
}

static void
feed(struct window *w, const char *s)
{
	window_feed(w, s, strlen(s));
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

static void
frames(void)
{
	struct window w;

	CHECK(window_init(&w, wr, 3, true) == 0);
	/* Nothing came: nothing to draw or erase. */
	CHECK(window_draw(&w) == 0 && wrote(""));
	CHECK(window_erase(&w) == 0 && wrote(""));

	feed(&w, "a\nb\n");
	CHECK(w.dirty);
	CHECK(window_draw(&w) == 0 && !w.dirty);
	CHECK(wrote(HEAD L("a") L("b") TAIL));
	/* Up as many rows as were drawn; the partial line shows last. */
	feed(&w, "c\nd\ne");
	CHECK(window_draw(&w) == 0);
	CHECK(wrote("\r\033[2A\033[J\033[?7l" L("c") L("d") L("e") TAIL));
	feed(&w, "\033[1mf\r\n");
	CHECK(window_draw(&w) == 0);
	CHECK(wrote("\r\033[3A\033[J\033[?7l" L("c") L("d") L("ef") TAIL));
	/* Erasing goes back to the start and clears, once. */
	CHECK(window_erase(&w) == 0 && wrote("\r\033[3A\033[J"));
	CHECK(window_erase(&w) == 0 && wrote(""));
	window_free(&w);

	/* NO_COLOR: the same without the dimming. */
	CHECK(window_init(&w, wr, 10, false) == 0);
	feed(&w, "x\ty\n\033[31mred\n");
	CHECK(window_draw(&w) == 0);
	CHECK(wrote(HEAD "x       y\r\nred\r\n" TAIL));
	window_free(&w);

	/* Clipped to COLUMNS - 1 with dots when there is no terminal. */
	setenv("COLUMNS", "8", 1);
	CHECK(window_init(&w, wr, 2, false) == 0);
	feed(&w, "0123456789\n0123456\n");
	CHECK(window_draw(&w) == 0);
	CHECK(wrote(HEAD "0123...\r\n0123456\r\n" TAIL));
	window_free(&w);
	unsetenv("COLUMNS");
}

/* Many lines in one piece come out as if fed a byte at a time. */
static void
skipping(void)
{
	struct window a, b;
	char *big, *p;
	size_t i, n;
	int k;

	big = malloc(1 << 20);
	for (p = big, k = 1; k <= 5000; k++)
		p += sprintf(p, "line %d \033[1mbold\033[0m\r\n", k);
	p += sprintf(p, "tail\xe4\xb8");
	n = (size_t)(p - big);

	CHECK(window_init(&a, wr, 3, true) == 0);
	CHECK(window_init(&b, wr, 3, true) == 0);
	window_feed(&a, big, n);
	for (i = 0; i < n; i++)
		window_feed(&b, big + i, 1);
	CHECK(a.count == 3 && b.count == 3);
	CHECK(window_draw(&a) == 0);
	written(rd);
	p = strdup(got);
	CHECK(window_draw(&b) == 0);
	CHECK(wrote(p));
	CHECK(strstr(p, "line 4999 bold") != NULL);
	CHECK(strstr(p, "line 4998") == NULL);
	CHECK(strstr(p, "tail\033") != NULL);
	/* The character completes in the next piece. */
	feed(&a, "\xad");
	CHECK(window_draw(&a) == 0);
	CHECK(strstr(written(rd), "tail\xe4\xb8\xad") != NULL);
	free(p);
	free(big);
	window_free(&a);
	window_free(&b);
}

/* On a terminal: its width, and no more lines than its rows - 2. */
static void
terminal(void)
{
	struct winsize ws = { .ws_row = 5, .ws_col = 12 };
	struct termios t;
	struct window w;
	int master, slave;

	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
	    (slave = open(ptsname(master), O_RDWR | O_NOCTTY)) < 0) {
		fprintf(stderr, "  no pty, terminal checks skipped\n");
		return;
	}
	fcntl(master, F_SETFL, O_NONBLOCK);
	tcgetattr(slave, &t);
	cfmakeraw(&t);
	tcsetattr(slave, TCSANOW, &t);
	ioctl(slave, TIOCSWINSZ, &ws);

	CHECK(window_init(&w, slave, 10, false) == 0);
	feed(&w, "1\n2\n3\n4\n5\n6\n0123456789abcdef\n");
	CHECK(window_draw(&w) == 0);
	CHECK(w.drawn == 3);
	CHECK(strcmp(written(master), HEAD "5\r\n6\r\n01234567...\r\n"
	    TAIL) == 0);
	/* A taller terminal shows more at the next frame. */
	ws.ws_row = 30;
	ioctl(slave, TIOCSWINSZ, &ws);
	CHECK(window_draw(&w) == 0);
	CHECK(w.drawn == 7);
	CHECK(count(written(master), "\r\n") == 7);
	CHECK(strncmp(got, "\r\033[3A", 5) == 0);
	window_free(&w);
	close(slave);
	close(master);
}

/*
 * The row text leaves the cursor on at width columns, the text's first
 * being 0: what --erase goes up.  Fed whole and a byte at a time, which
 * must agree.
 */
static long
row_n(const char *s, size_t n, int width)
{
	struct term_text whole, bytes;
	size_t i;

	term_text_init(&whole, width);
	term_text_feed(&whole, s, n);
	term_text_init(&bytes, width);
	for (i = 0; i < n; i++)
		term_text_feed(&bytes, s + i, 1);
	if (bytes.row != whole.row || bytes.col != whole.col ||
	    whole.any != (n > 0))
		return -1;
	return whole.row;
}

static long
row(const char *s, int width)
{
	return row_n(s, strlen(s), width);
}

/* n copies of s, in a buffer of its own. */
static char *
times(const char *s, int n, const char *end)
{
	static char buf[4][4096];
	static int which;
	char *b = buf[which++ % 4];

	*b = '\0';
	while (n-- > 0)
		strcat(b, s);
	strcat(b, end);
	return b;
}

static void
rows(void)
{
	char buf[TERM_BACK_MAX];
	struct term_text t;

	term_text_init(&t, 80);
	CHECK(!t.any && t.row == 0);
	CHECK(row("", 10) == 0);
	/* A line, an empty line, a last line without '\n'. */
	CHECK(row("abc\n", 10) == 1);
	CHECK(row("\n", 10) == 1 && row("\n\n\n", 10) == 3);
	CHECK(row("abc", 10) == 0);
	CHECK(row("abc\r\n", 10) == 1);
	/* A line exactly as wide as the terminal takes one row. */
	CHECK(row(times("x", 10, "\n"), 10) == 1);
	CHECK(row(times("x", 10, ""), 10) == 0);
	CHECK(row(times("x", 11, "\n"), 10) == 2);
	CHECK(row(times("x", 20, "\n"), 10) == 2);
	CHECK(row(times("x", 21, "\n"), 10) == 3);
	CHECK(row(times("x", 21, ""), 10) == 2);
	CHECK(row(times("x", 10, "\rab\n"), 10) == 1);
	/* Tabs stop at the multiples of 8 of their row, or its last column. */
	CHECK(row("\t\t\tx\n", 10) == 1);
	CHECK(row("ab\tcd\tef\n", 10) == 2);
	CHECK(row(times("\t", 10, "x"), 37) == 0);
	CHECK(row(times("\t", 10, "xy"), 37) == 1);
	CHECK(row(times("word\t", 12, ""), 37) == 2);
	CHECK(row("1234567\tx\n", 8) == 1);
	/* Wide characters: two columns, and never across the margin. */
	CHECK(row(times("\xe4\xb8\xad", 5, "\n"), 10) == 1);
	CHECK(row(times("\xe4\xb8\xad", 18, ""), 37) == 0);
	CHECK(row(times("\xe4\xb8\xad", 19, ""), 37) == 1);
	CHECK(row(times("\xe4\xb8\xad", 37, "\n"), 37) == 3);
	CHECK(row(times("x", 36, "\xe4\xb8\xad"), 37) == 1);
	CHECK(row("\xe4\xb8\xad\n\xe4\xb8\xad", 1) == 1);
	/* Combining characters take no column. */
	CHECK(row(times("e\xcc\x81", 40, ""), 37) == 1);
	CHECK(row(times("e\xcc\x81", 37, "\n"), 37) == 1);
	/* Escape sequences take none either. */
	CHECK(row("\033[1m=> heading\033[0m\n", 12) == 1);
	CHECK(row("\033[2m" "0123456789" "\033[0m\n", 10) == 1);
	CHECK(row("\033]0;a title much longer than the row\007x\n", 10) == 1);
	/* A progress bar's CR goes back to the start of its row only. */
	CHECK(row("0123456789012\r50%\n", 10) == 2);
	/* Backspace goes back a column, even from a full row. */
	CHECK(row("abc\b\bX\n", 10) == 1);
	CHECK(row(times("x", 10, "\bY\n"), 10) == 1);
	/* Bytes that are not UTF-8 take a column each '?'. */
	CHECK(row("\xff\xff\xff\xff\xff\n", 4) == 2);
	/* A one-column terminal. */
	CHECK(row("ab\n", 1) == 2);
	CHECK(row("ab\n", 0) == 2);	/* no terminal is narrower */

	CHECK(term_back(buf, 0) == 4 && strcmp(buf, "\r\033[J") == 0);
	CHECK(term_back(buf, 3) == 8 && strcmp(buf, "\r\033[3A\033[J") == 0);
	CHECK(term_back(buf, 1L << 40) == 11 &&
	    strcmp(buf, "\r\033[9999A\033[J") == 0);
}

int
main(void)
{
	if (san_locale() < 0)
		return 1;
	unsetenv("COLUMNS");
	open_pipe();
	frames();
	skipping();
	terminal();
	rows();
	return check_result();
}
