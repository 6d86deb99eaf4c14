/*
 * line-window: show the last lines of a stream in a small window that
 * rolls in place on the terminal, and erase it when the stream ends, as
 * vmtest shows each stage; optionally keep every byte in a file.
 *
 * The job: read stdin to its end, or follow a file until a signal or the
 * end of a process; copy every byte to --save as it is read; on a
 * terminal draw the window (at most one frame per FRAME_MS, and one at
 * the end) and erase it last, anywhere else pass the bytes through
 * untouched.  When nobody reads our output any more, keep reading and
 * saving so that the writer upstream is not killed, and say so in the
 * exit status.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "deadline.h"
#include "diag.h"
#include "fdio.h"
#include "follow.h"
#include "window.h"

#define FRAME_MS 40		/* the most frames a second: 25 */
#define CHUNK (256 * 1024)	/* a fast writer is read in big bites */
#define EXIT_IO EXIT_REFUSED	/* 1: our output or --save failed */

static const char usage_text[] =
"usage: line-window [-n LINES] [--save FILE] [--keep] [--follow FILE [--pid PID]]\n";

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
"      --pid PID            with --follow, also end when process PID has ended\n"
"  -h, --help               this help\n"
"  -V, --version            print the version\n"
"\n"
"Exit status: 0 success, 1 stdout or FILE could not be written, or the input\n"
"not read, 2 usage, 128+N stdin ended early by signal N.\n";

enum {
	OPT_SAVE = 256,
	OPT_KEEP,
	OPT_FOLLOW,
	OPT_PID,
};

static const struct option long_options[] = {
	{ "lines", required_argument, NULL, 'n' },
	{ "save", required_argument, NULL, OPT_SAVE },
	{ "keep", no_argument, NULL, OPT_KEEP },
	{ "follow", required_argument, NULL, OPT_FOLLOW },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

struct options {
	int lines;
	const char *save;
	bool keep;
	const char *follow;
	pid_t pid;
};

/* The state of a run, for the loops and what they call. */
struct run {
	const struct options *o;
	bool tty;		/* stdout is a terminal: draw the window */
	struct window w;
	int save_fd;		/* -1 without --save */
	bool out_failed, save_failed;
	int64_t next_frame_ns;	/* no frame before this */
	sigset_t blocked;	/* the mask we run with */
	sigset_t waiting;	/* ... and the one we wait with */
};

static volatile sig_atomic_t stop_signal, resized;

static long
number(const char *flag, const char *text, long min, long max)
{
	char *rest;
	long v;

	errno = 0;
	v = strtol(text, &rest, 10);
	if (*text == '\0' || *rest != '\0' || errno != 0 || v < min ||
	    v > max)
		die(EXIT_USAGE, "%s: '%s' is not a number from %ld to %ld",
		    flag, text, min, max);
	return v;
}

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
			o->lines = (int)number("-n", optarg, 1,
			    WINDOW_MAX_LINES);
			break;
		case OPT_SAVE: o->save = optarg; break;
		case OPT_KEEP: o->keep = true; break;
		case OPT_FOLLOW: o->follow = optarg; break;
		case OPT_PID:
			o->pid = (pid_t)number("--pid", optarg, 1, INT_MAX);
			break;
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
	if (o->pid > 0 && o->follow == NULL)
		die(EXIT_USAGE, "--pid needs --follow");
}

static void
on_signal(int sig)
{
	if (sig == SIGWINCH)
		resized = 1;
	else if (stop_signal == 0)
		stop_signal = sig;
}

/*
 * The signals stay blocked but while we wait in ppoll(), so that one
 * never slips in between the look at the flags and the wait.  A SIGINT
 * or SIGHUP ignored when we start (a shell's background job, nohup)
 * stays ignored.
 */
static void
catch_signals(struct run *r)
{
	static const int caught[] = { SIGTERM, SIGINT, SIGHUP, SIGWINCH };
	struct sigaction sa = { .sa_handler = on_signal }, old;
	sigset_t ours;
	size_t i;

	sigemptyset(&sa.sa_mask);
	sigemptyset(&ours);
	for (i = 0; i < sizeof(caught) / sizeof(caught[0]); i++) {
		if (sigaction(caught[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN && caught[i] != SIGTERM)
			continue;
		sigaction(caught[i], &sa, NULL);
		sigaddset(&ours, caught[i]);
	}
	signal(SIGPIPE, SIG_IGN);
	sigprocmask(SIG_BLOCK, &ours, &r->waiting);
	for (i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
		sigdelset(&r->waiting, caught[i]);
	sigprocmask(SIG_SETMASK, NULL, &r->blocked);
}

static void
out_failed(struct run *r, int err)
{
	/* A reader that went away is no news; anything else is. */
	if (err != EPIPE)
		error_msg("stdout: %s", strerror(err));
	r->out_failed = true;
}

/*
 * Passes bytes through.  Reading stdin, a signal must end us even while
 * a stalled reader holds up the write; following, the drain goes on.
 */
static void
pass_through(struct run *r, const char *p, size_t len)
{
	bool interruptible = r->o->follow == NULL;
	ssize_t n;
	int err;

	while (len > 0) {
		if (interruptible)
			sigprocmask(SIG_SETMASK, &r->waiting, NULL);
		n = write(STDOUT_FILENO, p, len);
		err = errno;
		if (interruptible)
			sigprocmask(SIG_SETMASK, &r->blocked, NULL);
		if (n < 0 && err == EINTR && interruptible && stop_signal)
			return;
		if (n < 0 && err == EINTR)
			continue;
		if (n < 0) {
			out_failed(r, err);
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

static void
save(struct run *r, const char *p, size_t len)
{
	if (r->save_failed || fd_write_all(r->save_fd, p, len) == 0)
		return;
	error_msg("%s: %s", r->o->save, strerror(errno));
	r->save_failed = true;
}

static void
consume(struct run *r, const char *p, size_t len)
{
	if (r->save_fd >= 0)
		save(r, p, len);
	if (r->out_failed)
		return;
	if (r->tty)
		window_feed(&r->w, p, len);
	else
		pass_through(r, p, len);
}

/* Draws a frame if one is wanted and due, or wanted and now is true. */
static void
draw(struct run *r, bool now)
{
	int64_t t;

	if (!r->tty || r->out_failed || !(r->w.dirty || resized))
		return;
	t = monotonic_ns();
	if (!now && t < r->next_frame_ns)
		return;
	resized = 0;
	if (window_draw(&r->w) < 0)
		out_failed(r, errno);
	r->next_frame_ns = t + FRAME_MS * 1000000LL;
}

/* How long a wait may be, for the next frame to be on time: -1 forever. */
static int
frame_wait_ms(const struct run *r)
{
	int64_t left;

	if (!r->tty || r->out_failed || !(r->w.dirty || resized))
		return -1;
	left = r->next_frame_ns - monotonic_ns();
	return left <= 0 ? 0 : (int)((left + 999999) / 1000000);
}

/* stdin to its end: 0, or 128+N for signal N, or 1 if it fails. */
static int
run_stdin(struct run *r, char *buf)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	struct timespec ts;
	int ms;
	ssize_t n;

	for (;;) {
		if (stop_signal)
			return EXIT_SIGNAL_BASE + stop_signal;
		draw(r, false);
		ms = frame_wait_ms(r);
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = ms % 1000 * 1000000L;
		if (ppoll(&pfd, 1, ms < 0 ? NULL : &ts, &r->waiting) <= 0)
			continue;	/* a signal, or a frame is due */
		n = read(STDIN_FILENO, buf, CHUNK);
		if (n > 0)
			consume(r, buf, (size_t)n);
		else if (n == 0)
			return EXIT_OK;
		else if (errno != EINTR && errno != EAGAIN) {
			error_msg("stdin: %s", strerror(errno));
			return EXIT_IO;
		}
	}
}

/* --follow FILE until a signal or --pid's end, then what it holds now. */
static int
run_follow(struct run *r, char *buf)
{
	struct follow f;
	ssize_t n = 0;
	int ms, rc = EXIT_OK;

	follow_init(&f, r->o->follow, r->o->pid);
	while (!stop_signal && !f.pid_gone) {
		draw(r, false);
		if ((n = follow_read(&f, buf, CHUNK)) < 0)
			break;
		if (n > 0)
			consume(r, buf, (size_t)n);
		/* Signals are taken even while bytes keep coming. */
		ms = frame_wait_ms(r);
		if (ms < 0 || ms > FOLLOW_TICK_MS)
			ms = FOLLOW_TICK_MS;
		follow_wait(&f, n > 0 ? 0 : ms, &r->waiting);
	}
	if (n >= 0) {
		follow_drain(&f);
		while ((n = follow_read(&f, buf, CHUNK)) > 0)
			consume(r, buf, (size_t)n);
	}
	if (n < 0) {
		error_msg("%s: %s", r->o->follow, strerror(errno));
		rc = EXIT_IO;
	}
	follow_close(&f);
	return rc;
}

static int
open_save(const char *path)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0)
		die(EXIT_USAGE, "%s: %s", path, strerror(errno));
	return fd;
}

int
main(int argc, char **argv)
{
	struct options o;
	struct run r;
	const char *no_color;
	char *buf;
	int rc;

	diag_init(argv[0]);
	parse_options(argc, argv, &o);
	memset(&r, 0, sizeof(r));
	r.o = &o;
	r.save_fd = o.save != NULL ? open_save(o.save) : -1;
	if ((buf = malloc(CHUNK)) == NULL)
		die(EXIT_IO, "out of memory");
	r.tty = isatty(STDOUT_FILENO);
	if (r.tty) {
		san_locale();
		no_color = getenv("NO_COLOR");
		if (window_init(&r.w, STDOUT_FILENO, o.lines,
		    no_color == NULL || *no_color == '\0') < 0)
			die(EXIT_IO, "out of memory");
	}
	catch_signals(&r);

	rc = o.follow != NULL ? run_follow(&r, buf) : run_stdin(&r, buf);

	if (r.tty && !r.out_failed) {
		if (o.keep)
			draw(&r, true);
		else if (window_erase(&r.w) < 0)
			out_failed(&r, errno);
	}
	if (r.save_fd >= 0 && close(r.save_fd) < 0 && !r.save_failed) {
		error_msg("%s: %s", o.save, strerror(errno));
		r.save_failed = true;
	}
	if (rc == EXIT_OK && (r.out_failed || r.save_failed))
		rc = EXIT_IO;
	if (r.tty)
		window_free(&r.w);
	free(buf);
	return rc;
}
