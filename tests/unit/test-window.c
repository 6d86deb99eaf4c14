#include <sys/ioctl.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

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
	return check_result();
}
