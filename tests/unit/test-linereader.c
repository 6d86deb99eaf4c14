#include <sys/socket.h>
#include <sys/wait.h>

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/linereader.h"
#include "../../lib/stop.h"
#include "check.h"

static struct line_reader lr;
static int peer;

/* A fresh reader over a socketpair; the test writes into peer. */
static void
start(size_t max_line)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		perror("socketpair");
		_exit(1);
	}
	lr_init(&lr, sv[0], max_line);
	peer = sv[1];
}

static void
finish(void)
{
	close(lr.fd);
	if (peer >= 0)
		close(peer);
	lr_free(&lr);
}

static void
put(const char *s)
{
	if (write(peer, s, strlen(s)) != (ssize_t)strlen(s))
		_exit(1);
}

static int
line_is(const char *want)
{
	char *line;
	size_t len;

	return lr_read_line(&lr, deadline_in_ms(1000), &line, &len) == LR_LINE &&
	    len == strlen(want) && memcmp(line, want, len) == 0 &&
	    line[len] == '\0';
}

int
main(void)
{
	char *line, big[300000];
	size_t len;

	/* LF and CRLF ends; a lone CR inside a line is kept. */
	start(1024);
	put("one\ntwo\r\nth\rree\n\n");
	CHECK(line_is("one"));
	CHECK(line_is("two"));
	CHECK(line_is("th\rree"));
	CHECK(line_is(""));
	CHECK(!lr_has_line(&lr));
	finish();

	/* A line that arrives in pieces; a timeout in between loses nothing. */
	start(1024);
	put("{\"ret");
	CHECK(lr_read_line(&lr, deadline_in_ms(20), &line, &len) == LR_TIMEOUT);
	put("urn\": {}}\r\n");
	CHECK(line_is("{\"return\": {}}"));
	finish();

	/* NUL bytes are data; the length counts them. */
	start(1024);
	if (write(peer, "a\0b\n", 4) != 4)
		return 1;
	CHECK(lr_read_line(&lr, deadline_in_ms(1000), &line, &len) == LR_LINE &&
	    len == 3 && line[1] == '\0' && line[2] == 'b');
	finish();

	/* EOF after a partial line: LR_EOF with the bytes pending, then taken. */
	start(1024);
	put("done\nhalf");
	close(peer);
	peer = -1;
	CHECK(line_is("done"));
	CHECK(lr_read_line(&lr, deadline_in_ms(1000), &line, &len) == LR_EOF);
	CHECK(lr_pending(&lr) == 4);
	CHECK(lr_take_rest(&lr, &line, &len) == LR_LINE && len == 4 &&
	    strcmp(line, "half") == 0);
	CHECK(lr_take_rest(&lr, &line, &len) == LR_EOF);
	finish();

	/* The maximum: a line of exactly max_line passes, one more fails. */
	start(8);
	put("12345678\n123456789\n");
	CHECK(line_is("12345678"));
	CHECK(lr_read_line(&lr, deadline_in_ms(1000), &line, &len) == LR_TOO_LONG);
	finish();
	start(8);
	put("123456789");
	CHECK(lr_read_line(&lr, deadline_in_ms(1000), &line, &len) == LR_TOO_LONG);
	finish();

	/* Lines longer than the first buffer grow it; order is kept. */
	start(sizeof(big));
	memset(big, 'x', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	if (fork() == 0) {
		put(big);
		put("after\n");
		_exit(0);
	}
	CHECK(lr_read_line(&lr, deadline_in_ms(5000), &line, &len) == LR_LINE &&
	    len == sizeof(big) - 2 && line[0] == 'x' && line[len - 1] == 'x');
	CHECK(line_is("after"));
	finish();

	/* Skipping to a sentinel drops garbage and partial lines before it. */
	start(16);
	put("stale reply\n{\"partial");
	put("\xff{\"return\": 42}\n");
	CHECK(lr_skip_past(&lr, 0xff, deadline_in_ms(1000)) == LR_LINE);
	CHECK(line_is("{\"return\": 42}"));
	CHECK(lr_skip_past(&lr, 0xff, deadline_in_ms(20)) == LR_TIMEOUT);
	finish();

	/* Skipping holds no more than it reads: megabytes before the marker. */
	start(16);
	if (fork() == 0) {
		int i;

		memset(big, 'g', sizeof(big));
		for (i = 0; i < 10; i++)
			if (write(peer, big, sizeof(big)) != (ssize_t)sizeof(big))
				_exit(1);
		put("\xffok\n");
		_exit(0);
	}
	CHECK(lr_skip_past(&lr, 0xff, deadline_in_ms(5000)) == LR_LINE);
	CHECK(lr.cap <= 65536);
	CHECK(line_is("ok"));
	finish();

	/*
	 * A stop signal ends a read at once with LR_STOPPED, keeping what
	 * came; the line is whole once acknowledged.  In a child, since
	 * stop_catch() cannot be undone.
	 */
	start(1024);
	if (fork() == 0) {
		int64_t t;

		stop_catch();
		put("hal");
		raise(SIGINT);
		t = monotonic_ns();
		CHECK(lr_read_line(&lr, deadline_in_ms(5000), &line, &len) ==
		    LR_STOPPED);
		CHECK(monotonic_ns() - t < 1000000000);
		CHECK(lr_skip_past(&lr, '!', deadline_in_ms(5000)) == LR_STOPPED);
		stop_acknowledge();
		put("f\n");
		CHECK(line_is("half"));
		_exit(check_result());
	} else {
		int status;

		CHECK(wait(&status) > 0 && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0);
	}
	finish();

	return check_result();
}
