#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deadline.h"
#include "diag.h"
#include "fdio.h"
#include "output.h"
#include "sanitize.h"
#include "signals.h"
#include "xalloc.h"

void
output_open(struct output *out, const char *save, int lines,
    bool interruptible)
{
	const char *no_color;
	struct stat st;
	int fd;

	memset(out, 0, sizeof(*out));
	out->save_path = save;
	out->save_fd = -1;
	if (save != NULL && (out->save_fd = open(save,
	    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) < 0)
		die_errno(EXIT_USAGE, "%s", save);
	out->tty = isatty(STDOUT_FILENO);
	if (out->tty) {
		san_locale();
		no_color = getenv("NO_COLOR");
		/* It takes all it needs at once, or says ENOMEM. */
		if (window_init(&out->w, STDOUT_FILENO, lines,
		    no_color == NULL || *no_color == '\0') < 0)
			xalloc_die();
	}
	out->interruptible = interruptible;
	out->fd = STDOUT_FILENO;
	out->piece = SIZE_MAX;
	if (!interruptible || fstat(STDOUT_FILENO, &st) < 0 ||
	    !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
		return;		/* a file or device never keeps a write long */
	/*
	 * A full pipe keeps a write waiting with the signals blocked.  So
	 * the pipe is opened again, non-blocking: O_NONBLOCK on stdout's own
	 * file description would reach whoever shares it.  A socket, or a
	 * pipe without /proc, gets what POLLOUT promises room for.
	 */
	if (S_ISFIFO(st.st_mode) && (fd = open("/proc/self/fd/1",
	    O_WRONLY | O_NONBLOCK | O_CLOEXEC)) >= 0)
		out->fd = fd;
	else
		out->piece = PIPE_BUF;
}

static void
out_failed(struct output *out, int err)
{
	/* A reader that went away is no news; anything else is. */
	if (err != EPIPE) {
		errno = err;
		error_errno("stdout");
	}
	out->out_failed = true;
}

/*
 * Passes bytes through.  Reading stdin, a stop signal must end us even
 * while a stalled reader holds up stdout, so a full pipe is waited for
 * in sig_wait(); following, the drain goes on.
 */
static void
pass_through(struct output *out, const char *p, size_t len)
{
	struct pollfd pfd = { .fd = out->fd, .events = POLLOUT };
	ssize_t n;

	while (len > 0) {
		if (out->interruptible && sig_stop)
			return;
		if (out->piece < SIZE_MAX && sig_wait(&pfd, 1, -1) <= 0)
			continue;
		n = write(out->fd, p, len < out->piece ? len : out->piece);
		if (n < 0 && errno == EAGAIN) {
			sig_wait(&pfd, 1, -1);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			out_failed(out, errno);
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

static void
save(struct output *out, const char *p, size_t len)
{
	if (out->save_failed || fd_write_all(out->save_fd, p, len) == 0)
		return;
	error_errno("%s", out->save_path);
	out->save_failed = true;
}

void
output_put(struct output *out, const char *p, size_t len)
{
	if (out->save_fd >= 0)
		save(out, p, len);
	if (out->out_failed)
		return;
	if (out->tty)
		window_feed(&out->w, p, len);
	else
		pass_through(out, p, len);
}

static bool
frame_wanted(const struct output *out)
{
	return out->tty && !out->out_failed && (out->w.dirty || sig_resized);
}

void
output_frame(struct output *out, bool now)
{
	int64_t t;

	if (!frame_wanted(out))
		return;
	t = monotonic_ns();
	if (!now && t < out->next_frame_ns)
		return;
	sig_resized = 0;
	if (window_draw(&out->w) < 0)
		out_failed(out, errno);
	out->next_frame_ns = t + OUTPUT_FRAME_MS * 1000000LL;
}

int
output_frame_wait_ms(const struct output *out)
{
	int64_t left;

	if (!frame_wanted(out))
		return -1;
	left = out->next_frame_ns - monotonic_ns();
	return left <= 0 ? 0 : (int)((left + 999999) / 1000000);
}

bool
output_close(struct output *out, bool keep)
{
	if (out->tty && !out->out_failed) {
		if (keep)
			output_frame(out, true);
		else if (window_erase(&out->w) < 0)
			out_failed(out, errno);
	}
	if (out->save_fd >= 0 && close(out->save_fd) < 0 && !out->save_failed) {
		error_errno("%s", out->save_path);
		out->save_failed = true;
	}
	if (out->tty)
		window_free(&out->w);
	if (out->fd != STDOUT_FILENO)
		close(out->fd);
	return !out->out_failed && !out->save_failed;
}
