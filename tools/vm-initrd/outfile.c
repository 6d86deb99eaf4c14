#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"

/* The temporary file a signal handler must remove, if armed. */
static char doomed[PATH_MAX];
static volatile sig_atomic_t armed;

static void
on_signal(int sig)
{
	if (armed)
		unlink(doomed);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
catch_signals(void)
{
	static bool done;
	struct sigaction sa;

	if (done)
		return;
	done = true;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* The directory part of path, "." if none. */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

int
outfile_open(struct outfile *o, const char *path, char *why, size_t whylen)
{
	sigset_t all, old;
	char *dir;
	int fd, err;

	memset(o, 0, sizeof(*o));
	catch_signals();
	dir = dir_of(path);
	if (dir != NULL && asprintf(&o->tmp, "%s/" OUTFILE_TMP_PREFIX "XXXXXX",
	    dir) < 0)
		o->tmp = NULL;
	if (dir == NULL || o->tmp == NULL ||
	    strlen(o->tmp) >= sizeof(doomed) ||
	    (o->path = strdup(path)) == NULL) {
		snprintf(why, whylen, "%s: out of memory or name too long",
		    path);
		free(dir);
		free(o->tmp);
		o->tmp = NULL;
		return -1;
	}
	/* Signals wait while the handler's name and the file disagree. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	fd = mkostemp(o->tmp, O_CLOEXEC);
	err = errno;
	if (fd >= 0) {
		strcpy(doomed, o->tmp);
		armed = 1;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (fd < 0) {
		snprintf(why, whylen, "%s: %s", dir, strerror(err));
		free(dir);
		free(o->tmp);
		o->tmp = NULL;
		free(o->path);
		o->path = NULL;
		return -1;
	}
	free(dir);
	if ((o->fp = fdopen(fd, "w")) == NULL) {
		snprintf(why, whylen, "%s: %s", o->tmp, strerror(errno));
		close(fd);
		outfile_abort(o);
		return -1;
	}
	return 0;
}

int
outfile_commit(struct outfile *o, char *why, size_t whylen)
{
	mode_t mask = umask(0);
	int err = 0;

	umask(mask);
	if (fflush(o->fp) != 0 || ferror(o->fp))
		err = errno != 0 ? errno : EIO;
	/*
	 * Synced before the rename: a crash must never leave a named,
	 * half-written file.
	 */
	else if (fchmod(fileno(o->fp), 0644 & ~mask) < 0 ||
	    fsync(fileno(o->fp)) < 0)
		err = errno;
	if (fclose(o->fp) != 0 && err == 0)
		err = errno;
	o->fp = NULL;
	if (err != 0) {
		snprintf(why, whylen, "%s: %s", o->tmp, strerror(err));
		outfile_abort(o);
		return -1;
	}
	if (rename(o->tmp, o->path) < 0) {
		snprintf(why, whylen, "%s: %s", o->path, strerror(errno));
		outfile_abort(o);
		return -1;
	}
	armed = 0;
	free(o->tmp);
	free(o->path);
	memset(o, 0, sizeof(*o));
	return 0;
}

void
outfile_abort(struct outfile *o)
{
	if (o->fp != NULL)
		fclose(o->fp);
	if (o->tmp != NULL) {
		unlink(o->tmp);
		armed = 0;
	}
	free(o->tmp);
	free(o->path);
	memset(o, 0, sizeof(*o));
}
