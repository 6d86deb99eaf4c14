/*
 * save.c: write, fsync, rename.  SIGINT, SIGTERM, SIGHUP and SIGQUIT wait
 * while the temporary file exists, so that one of them arriving then ends
 * the process only after the rename or the cleanup, and leaves nothing
 * behind; the data is whole in memory before, so the wait is short.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "save.h"
#include "xalloc.h"

static int
write_in_place(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY), saved;

	if (fd < 0)
		return -1;
	if (fd_write_all(fd, data, len) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
}

/* Writes and renames the open temporary file tmp; errno on failure. */
static bool
commit(int fd, const char *tmp, const char *target, const char *data,
    size_t len)
{
	mode_t mask = umask(0);
	bool ok;
	int saved;

	/* mkstemp makes it 0600; a report is as readable as any new file. */
	umask(mask);
	ok = fchmod(fd, 0666 & ~mask) == 0 &&
	    fd_write_all(fd, data, len) == 0 && fsync(fd) == 0;
	saved = errno;
	if (close(fd) < 0 && ok) {
		ok = false;
		saved = errno;
	}
	if (ok && rename(tmp, target) < 0) {
		ok = false;
		saved = errno;
	}
	errno = saved;
	return ok;
}

int
save_atomically(const char *path, const char *data, size_t len)
{
	char *real = realpath(path, NULL), *tmp = NULL;
	const char *target = real != NULL ? real : path;
	sigset_t block, old;
	int fd, ret = -1, saved;
	struct stat st;

	if (stat(target, &st) == 0 && !S_ISREG(st.st_mode)) {
		ret = write_in_place(target, data, len);
		saved = errno;
		free(real);
		errno = saved;
		return ret;
	}
	tmp = xasprintf("%s.tmp.XXXXXX", target);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigprocmask(SIG_BLOCK, &block, &old);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) >= 0) {
		if (commit(fd, tmp, target, data, len))
			ret = 0;
		else {
			saved = errno;
			unlink(tmp);
			errno = saved;
		}
	}
	saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(tmp);
	free(real);
	errno = saved;
	return ret;
}
