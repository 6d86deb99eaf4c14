/*
 * line-window: show the last lines of a stream in a small window that
 * rolls in place on the terminal, and erase it when the stream ends, as
 * vmtest shows each stage; optionally keep every byte in a file.  And
 * --erase: take back what a caller printed on the terminal, as vmtest
 * folds a target that passed.
 *
 * The job: read stdin to its end, or follow a file until a signal, the
 * end of a process or the end of our parent; hand every byte to the
 * output (output.h: --save, the window, or stdout unchanged), waiting
 * only in sig_wait() so that no signal is missed; then erase the window.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "diag.h"
#include "fdio.h"
#include "follow.h"
#include "output.h"
#include "signals.h"
#include "term.h"
#include "xalloc.h"

#define CHUNK (256 * 1024)	/* a fast writer is read in big bites */

static const char usage_text[] =
"usage: line-window [-n LINES] [--save FILE] [--keep] [--follow FILE [--pid PID]]\n"
"       line-window --erase FILE\n";

static const char help_text[] =
"\n"
"Shows the last lines of stdin, or of a growing --follow FILE, in a window\n"
"that rolls in place on the terminal and is erased at the end.  When stdout\n"
"is not a terminal, the input passes through unchanged.\n"
"\n"
"  -n, --lines LINES        lines in the window (default 10, 1 to 1000)\n"
"      --save FILE          write every input byte to FILE as it is read\n"
"      --keep               leave the last frame on the screen at the end\n"
"      --follow FILE        read FILE from its start as it grows, until SIGTERM\n"
"                           or the end of our parent\n"
"      --pid PID            with --follow, also end when process PID has ended\n"
"      --erase FILE         FILE holds what was printed on the terminal since\n"
"                           the start of a row: go back there, clear below\n"
"  -h, --help               this help\n"
"  -V, --version            print the version\n"
"\n"
"Exit status: 0 success, 2 usage, 71 stdout or FILE could not be written, the\n"
"input not read, or memory ran out, 128+N stdin ended early by signal N.\n";

enum {
	OPT_SAVE = 256,
	OPT_KEEP,
	OPT_FOLLOW,
	OPT_PID,
	OPT_ERASE,
};

static const struct option long_options[] = {
	{ "lines", required_argument, NULL, 'n' },
	{ "save", required_argument, NULL, OPT_SAVE },
	{ "keep", no_argument, NULL, OPT_KEEP },
	{ "follow", required_argument, NULL, OPT_FOLLOW },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "erase", required_argument, NULL, OPT_ERASE },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

struct options {
	int lines;
	bool lines_given;
	const char *save;
	bool keep;
	const char *follow;
	pid_t pid;
	const char *erase;
};

static void
parse_options(int argc, char **argv, struct options *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->lines = 10;
	while ((c = getopt_long(argc, argv, "+n:hV", long_options,
	    NULL)) != -1) {
		switch (c) {
		case 'n':
			o->lines = (int)cli_uint("-n", optarg, 1,
			    WINDOW_MAX_LINES);
			o->lines_given = true;
			break;
		case OPT_SAVE: o->save = optarg; break;
		case OPT_KEEP: o->keep = true; break;
		case OPT_FOLLOW: o->follow = optarg; break;
		case OPT_PID:
			o->pid = (pid_t)cli_uint("--pid", optarg, 1, INT_MAX);
			break;
		case OPT_ERASE: o->erase = optarg; break;
		case 'h':
			fputs(usage_text, stdout);
			fputs(help_text, stdout);
			exit(EXIT_OK);
		case 'V':
			printf("line-window (vmtest-tools) %s\n", VERSION);
			exit(EXIT_OK);
		default:
			cli_usage(usage_text);
		}
	}
	if (optind < argc)
		die(EXIT_USAGE, "unexpected argument '%s' (the input is "
		    "stdin, or --follow FILE)", argv[optind]);
	if (o->erase != NULL && (o->lines_given || o->save != NULL ||
	    o->keep || o->follow != NULL || o->pid > 0))
		die(EXIT_USAGE, "--erase takes no other option");
	if (o->pid > 0 && o->follow == NULL)
		die(EXIT_USAGE, "--pid needs --follow");
}

/*
 * --erase FILE: FILE holds what the caller printed on the terminal since
 * a point at the start of a row.  The cursor goes back up to that point
 * and the screen below it is cleared; off a terminal there is nothing to
 * take back.
 */
static int
run_erase(const char *path, char *buf)
{
	struct term_text t;
	char back[TERM_BACK_MAX];
	int fd, rows;
	ssize_t n;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		die_errno(EXIT_USAGE, "%s", path);
	if (!isatty(STDOUT_FILENO)) {
		close(fd);
		return EXIT_OK;
	}
	san_locale();
	term_text_init(&t, term_size(STDOUT_FILENO, &rows));
	while ((n = read(fd, buf, CHUNK)) > 0)
		term_text_feed(&t, buf, (size_t)n);
	if (n < 0)
		die_errno(EXIT_LOCAL, "%s", path);
	close(fd);
	/* Nothing printed, nothing to take back: not even the row's start. */
	if (t.any && fd_write_all(STDOUT_FILENO, back,
	    term_back(back, t.row)) < 0)
		die_errno(EXIT_LOCAL, "stdout");
	return EXIT_OK;
}

/* stdin to its end: 0, or 128+N for signal N, or 71 if it fails. */
static int
run_stdin(struct output *out, char *buf)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	ssize_t n;

	for (;;) {
		if (sig_stop)
			return EXIT_SIGNAL_BASE + sig_stop;
		output_frame(out, false);
		if (sig_wait(&pfd, 1, output_frame_wait_ms(out)) <= 0)
			continue;	/* a signal, or a frame is due */
		n = read(STDIN_FILENO, buf, CHUNK);
		if (n > 0)
			output_put(out, buf, (size_t)n);
		else if (n == 0)
			return EXIT_OK;
		else if (errno != EINTR && errno != EAGAIN) {
			error_errno("stdin");
			return EXIT_LOCAL;
		}
	}
}

/*
 * --follow FILE until a signal (our parent's end among them) or --pid's
 * end, then what FILE holds at that moment.
 */
static int
run_follow(struct output *out, const struct options *o, char *buf)
{
	struct follow f;
	ssize_t n = 0;
	int ms, rc = EXIT_OK;

	follow_init(&f, o->follow, o->pid);
	while (!sig_stop && !f.pid_gone) {
		output_frame(out, false);
		if ((n = follow_read(&f, buf, CHUNK)) < 0)
			break;
		if (n > 0)
			output_put(out, buf, (size_t)n);
		/* Signals are taken even while bytes keep coming. */
		ms = output_frame_wait_ms(out);
		if (ms < 0 || ms > FOLLOW_TICK_MS)
			ms = FOLLOW_TICK_MS;
		follow_wait(&f, n > 0 ? 0 : ms);
	}
	if (n >= 0) {
		follow_drain(&f);
		while ((n = follow_read(&f, buf, CHUNK)) > 0)
			output_put(out, buf, (size_t)n);
	}
	if (n < 0) {
		error_errno("%s", o->follow);
		rc = EXIT_LOCAL;
	}
	follow_close(&f);
	return rc;
}

int
main(int argc, char **argv)
{
	/* At once: a parent that ends before this goes unnoticed. */
	pid_t parent = getppid();
	struct options o;
	struct output out;
	char *buf;
	int rc;

	diag_init(argv[0]);
	parse_options(argc, argv, &o);
	buf = xmalloc(CHUNK);
	if (o.erase != NULL) {
		rc = run_erase(o.erase, buf);
		free(buf);
		return rc;
	}

	output_open(&out, o.save, o.lines, o.follow == NULL);
	sig_catch();
	/* A follower lives until told to stop: its parent's end tells it. */
	if (o.follow != NULL)
		sig_parent_death(parent);

	rc = o.follow != NULL ? run_follow(&out, &o, buf) : run_stdin(&out, buf);

	if (!output_close(&out, o.keep) && rc == EXIT_OK)
		rc = EXIT_LOCAL;
	free(buf);
	return rc;
}
