/*
 * stop: the one way a tool catches the signals that ask it to stop
 * (SIGINT, SIGTERM, SIGHUP) and waits without ever losing one.
 *
 * stop_catch() installs handlers for them and blocks them.  They are
 * unblocked only inside stop_poll(), atomically with the wait (ppoll), so
 * a signal that comes at any other moment stays pending and ends the next
 * wait at once.  A flag tested before a poll(-1) misses the signal that
 * lands between the two; this cannot.
 *
 * A stop may also be the end of a watched process (stop_watch: a pidfd,
 * readable once the process has exited): it ends the same waits.
 *
 * A caller that has seen a stop and still has waits of its own to make
 * (stopping a guest command, closing a connection gently) says so with
 * stop_acknowledge(); the waits then run again, and only a further stop
 * signal (a second Ctrl-C) ends them.
 */
#ifndef VT_STOP_H
#define VT_STOP_H

#include <poll.h>
#include <stdbool.h>

#include "deadline.h"

/*
 * Installs the handlers (without SA_RESTART) and blocks the stop
 * signals.  A signal that came before is not lost: it was either fatal
 * or is now pending.
 */
void stop_catch(void);

/* The first stop signal caught (or pending), or 0. */
int stop_signal(void);

/*
 * Makes fd's readability a stop: every stop_poll watches it too.  For a
 * pidfd (pidfd_open(2)): the process it names has exited.
 */
void stop_watch(int fd);

/* True once the watched fd has become readable. */
bool stop_watched(void);

/* True if a stop is waiting to be acknowledged. */
bool stop_pending(void);

/*
 * The caller has seen every stop so far and cleans up: stop_poll waits
 * again until a stop signal comes that was not acknowledged.
 */
void stop_acknowledge(void);

/*
 * poll(2) on fds until the deadline: the number of ready fds, 0 at the
 * deadline, or -1 with errno.  A pending stop (one caught before the call
 * or during it, not acknowledged) makes it return -1 with errno EINTR at
 * once; any other signal handler that runs does not end it.  Without
 * stop_catch() and stop_watch() it is plain poll(2), restarted after
 * EINTR.  n may be 0: an interruptible sleep.  At most 8 fds.
 */
int stop_poll(struct pollfd *fds, nfds_t n, struct deadline d);

#endif
