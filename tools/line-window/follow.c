#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "child.h"
#include "follow.h"
#include "signals.h"

void
follow_init(struct follow *f, const char *path, pid_t pid)
{
	f->path = path;
	f->fd = -1;
	f->pos = 0;
	f->limit = -1;
	f->pid = pid;
	f->pidfd = -1;
	f->pid_gone = false;
	if (pid <= 0)
		return;
	/*
	 * A pidfd names this very process, not whichever one gets its
	 * number next, and turns readable when it ends, even as a zombie
	 * that nobody has reaped yet.  Without one, kill(pid, 0) each tick.
	 */
	if ((f->pidfd = pid_open(pid)) < 0 && errno == ESRCH)
		f->pid_gone = true;
}

void
follow_close(struct follow *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->pidfd >= 0)
		close(f->pidfd);
	f->fd = f->pidfd = -1;
}

static int
open_file(struct follow *f)
{
	struct stat st;

	if (f->fd >= 0)
		return 0;
	/* Non-blocking: a FIFO must not stall us until it has a writer. */
	f->fd = open(f->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (f->fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (fstat(f->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	return 0;
}

ssize_t
follow_read(struct follow *f, void *buf, size_t size)
{
	struct stat st;
	ssize_t n;

	if (open_file(f) < 0)
		return -1;
	if (f->fd < 0)
		return 0;
	if (f->limit >= 0) {
		if (f->pos >= f->limit)
			return 0;
		if ((off_t)size > f->limit - f->pos)
			size = (size_t)(f->limit - f->pos);
	}
	n = read(f->fd, buf, size);
	if (n > 0) {
		f->pos += n;
		return n;
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return -1;
	if (fstat(f->fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size < f->pos) {
		lseek(f->fd, 0, SEEK_SET);
		f->pos = 0;
	}
	return 0;
}

void
follow_wait(struct follow *f, int timeout_ms)
{
	struct pollfd pfd = { .fd = f->pidfd, .events = POLLIN };

	if (sig_wait(&pfd, f->pidfd >= 0 ? 1 : 0, timeout_ms) > 0)
		f->pid_gone = true;
	else if (f->pid > 0 && f->pidfd < 0 && kill(f->pid, 0) < 0 &&
	    errno == ESRCH)
		f->pid_gone = true;
}

void
follow_drain(struct follow *f)
{
	struct stat st;

	if (open_file(f) < 0 || f->fd < 0)
		return;
	/* A FIFO has no size: it is read until it is empty. */
	if (fstat(f->fd, &st) == 0 && S_ISREG(st.st_mode))
		f->limit = st.st_size;
}
