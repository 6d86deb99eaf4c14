/*
 * stopsig: SIGINT, SIGTERM and SIGHUP end every wait of the server, in
 * every mode and every thread, without a lost wakeup.
 *
 * The signals stay blocked in every thread and are never taken: a
 * signalfd reports them as pending for as long as the process lives, so
 * every wait that polls it along with its socket ends, however late it
 * starts, and the first thread to see the signal does not hide it from
 * the others.
 */
#ifndef NBD_FAULT_STOPSIG_H
#define NBD_FAULT_STOPSIG_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Blocks the stop signals in this thread and the threads it starts after,
 * ignores SIGPIPE, and opens the descriptor that reports them.  With
 * exit_with_parent, the parent's death sends SIGTERM (and a parent
 * already gone counts as one).  Returns 0, or -1 with errno.
 */
int stopsig_catch(bool exit_with_parent);

/*
 * Waits until fd (none if negative) reports one of events, for at most
 * timeout_ms (negative: no limit).  Returns the fd's revents, 0 when the
 * time is up, or -1 when a stop signal came.
 */
int stopsig_poll(int fd, short events, int64_t timeout_ms);

/* Pauses for ms; false if a stop signal ended the pause. */
bool stopsig_pause(int64_t ms);

/*
 * Whether a stop signal came, for loops that may never wait: cheap to ask
 * at every step, as it looks at the signals at most every 10 ms in each
 * thread.
 */
bool stopsig_seen(void);

#endif
