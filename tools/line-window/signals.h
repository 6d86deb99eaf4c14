/*
 * signals: the signals that end line-window (SIGTERM, SIGINT, SIGHUP)
 * and SIGWINCH.  They stay blocked but while line-window waits in
 * sig_wait(), so that none slips in between a look at the flags and the
 * wait that would miss it: for input, for room in a pipe, for a process
 * or for time, that ppoll() is line-window's one way to wait.  A
 * terminal's writes are not waited for: a terminal holds them up only
 * while it is stopped (^S), and then it holds up everyone alike.
 */
#ifndef LINE_WINDOW_SIGNALS_H
#define LINE_WINDOW_SIGNALS_H

#include <sys/types.h>

#include <poll.h>
#include <signal.h>

extern volatile sig_atomic_t sig_stop;		/* the first stop signal, or 0 */
extern volatile sig_atomic_t sig_resized;	/* SIGWINCH since the last frame */

/*
 * Catches them and blocks them.  A SIGINT or SIGHUP ignored when we
 * start (a shell's background job, nohup) stays ignored.  SIGPIPE is
 * ignored: a failed write says the same.
 */
void sig_catch(void);

/*
 * ppoll() on n fds for up to timeout_ms (-1: no limit), the signals
 * taken meanwhile, even when an fd is ready at once.  Returns what
 * ppoll() returns.
 */
int sig_wait(struct pollfd *fds, nfds_t n, int timeout_ms);

/*
 * Asks for SIGTERM when our parent ends, ppid being the parent we had
 * when we started; one that has already ended counts as a SIGTERM now.
 */
void sig_parent_death(pid_t ppid);

#endif
