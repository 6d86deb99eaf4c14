/*
 * follow: a file read as it grows (a QEMU serial log), from its start,
 * waiting for it to appear, and the process whose end ends the reading.
 *
 * The file is polled every tick rather than watched with inotify: a read
 * that finds nothing costs little, and it works on any file system.  A
 * file that shrinks was truncated and is read again from its start.
 */
#ifndef LINE_WINDOW_FOLLOW_H
#define LINE_WINDOW_FOLLOW_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#define FOLLOW_TICK_MS 20	/* how often an idle file is looked at */

struct follow {
	const char *path;
	int fd;			/* -1 until the file exists */
	off_t pos;		/* how far it was read */
	off_t limit;		/* where a drain stops; -1 while following */
	pid_t pid;		/* --pid, or 0 */
	int pidfd;		/* readable once pid has ended; -1 if none */
	bool pid_gone;
};

/* Opens nothing yet; a pid that is already gone is noticed here. */
void follow_init(struct follow *f, const char *path, pid_t pid);
void follow_close(struct follow *f);

/*
 * Reads what the file gained: the bytes read, 0 if there is nothing new
 * (or no file yet, or the drain is done), -1 with errno on an error.
 */
ssize_t follow_read(struct follow *f, void *buf, size_t size);

/*
 * Waits up to timeout_ms for the pid to end, or for a signal
 * (sig_wait()).  Sets f->pid_gone.
 */
void follow_wait(struct follow *f, int timeout_ms);

/* From now on follow_read stops at the size the file has now. */
void follow_drain(struct follow *f);

#endif
