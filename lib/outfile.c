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
#include "xalloc.h"

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

/*
 * exit(3) from anywhere, such as out of memory in the middle of a module
 * (xalloc.h), must not leave the temporary file behind either.
 */
static void
on_exit_remove(void)
{
	if (armed)
		unlink(doomed);
	armed = 0;
}

static const int caught[] = { SIGINT, SIGTERM, SIGHUP };
static struct sigaction saved[3];
static bool installed;

static void
catch_signals(void)
{
	static bool registered;
	struct sigaction sa;
	size_t i;

	if (installed)
		return;
	installed = true;
	if (!registered) {
		registered = true;
		atexit(on_exit_remove);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
		sigaction(caught[i], &sa, &saved[i]);
}

/* What the tool had before outfile_open: nothing of ours is left to do. */
static void
release_signals(void)
{
	size_t i;

	if (!installed)
		return;
	installed = false;
	for (i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
		sigaction(caught[i], &saved[i], NULL);
}

/* The directory part of path, "." if none. */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

int
outfile_open(struct outfile *o, const char *path, char *why, size_t whylen)
{
	sigset_t all, old;
	char *dir;
	int fd, err;

	memset(o, 0, sizeof(*o));
	dir = dir_of(path);
	o->tmp = xasprintf("%s/" OUTFILE_TMP_PREFIX "XXXXXX", dir);
	/* The signal handler has no malloc: its copy has a fixed size. */
	if (strlen(o->tmp) >= sizeof(doomed)) {
		snprintf(why, whylen, "%s: %s", path, strerror(ENAMETOOLONG));
		free(dir);
		free(o->tmp);
		o->tmp = NULL;
		return -1;
	}
	o->path = xstrdup(path);
	catch_signals();
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
		release_signals();
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
	release_signals();
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
		release_signals();
	}
	free(o->tmp);
	free(o->path);
	memset(o, 0, sizeof(*o));
}
