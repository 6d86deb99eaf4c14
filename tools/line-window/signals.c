#include <sys/prctl.h>

#include <time.h>
#include <unistd.h>

#include "signals.h"

volatile sig_atomic_t sig_stop, sig_resized;

static const int caught[] = { SIGTERM, SIGINT, SIGHUP, SIGWINCH };
#define NCAUGHT (sizeof(caught) / sizeof(caught[0]))

static sigset_t ours;		/* those of caught[] we handle */
static sigset_t waiting;	/* the mask we wait with: ours unblocked */

static void
on_signal(int sig)
{
	if (sig == SIGWINCH)
		sig_resized = 1;
	else if (sig_stop == 0)
		sig_stop = sig;
}

void
sig_catch(void)
{
	struct sigaction sa = { .sa_handler = on_signal }, old;
	size_t i;

	sigemptyset(&sa.sa_mask);
	sigemptyset(&ours);
	for (i = 0; i < NCAUGHT; i++) {
		if (sigaction(caught[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN && caught[i] != SIGTERM)
			continue;
		sigaction(caught[i], &sa, NULL);
		sigaddset(&ours, caught[i]);
	}
	signal(SIGPIPE, SIG_IGN);
	sigprocmask(SIG_BLOCK, &ours, &waiting);
	for (i = 0; i < NCAUGHT; i++)
		sigdelset(&waiting, caught[i]);
}

int
sig_wait(struct pollfd *fds, nfds_t n, int timeout_ms)
{
	static const struct timespec now;
	struct timespec ts;
	int r, sig;

	ts.tv_sec = timeout_ms / 1000;
	ts.tv_nsec = timeout_ms % 1000 * 1000000L;
	r = ppoll(fds, n, timeout_ms < 0 ? NULL : &ts, &waiting);
	/*
	 * ppoll() runs the handlers only when it did not find an fd ready:
	 * input that never makes us wait (a file, a fast writer) would keep
	 * a signal pending for good.  Those are taken here.
	 */
	if (r > 0)
		while ((sig = sigtimedwait(&ours, NULL, &now)) > 0)
			on_signal(sig);
	return r;
}

void
sig_parent_death(pid_t ppid)
{
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
		return;
	/*
	 * A parent that ended before the prctl() sends nothing: we are
	 * already another process's child (init's, or a subreaper's).
	 */
	if (getppid() != ppid && sig_stop == 0)
		sig_stop = SIGTERM;
}
