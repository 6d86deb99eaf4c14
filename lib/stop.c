#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "stop.h"

#define MAX_FDS 8

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };

static bool catching;
static sigset_t stop_set;	/* the stop signals */
static sigset_t wait_mask;	/* the mask inside ppoll: ours without them */

/* Written by the handler, which runs only inside ppoll. */
static volatile sig_atomic_t first_signal;
static volatile sig_atomic_t signals_caught;
static int signals_acknowledged;

static int watch_fd = -1;
static bool watch_fired, watch_acknowledged;

static void
record(int sig)
{
	if (first_signal == 0)
		first_signal = sig;
	signals_caught++;
}

static void
on_stop_signal(int sig)
{
	record(sig);
}

void
stop_catch(void)
{
	struct sigaction sa;
	sigset_t old;
	size_t i;

	sigemptyset(&stop_set);
	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		sigaddset(&stop_set, stop_signals[i]);
	/* Blocked first, so that no signal runs a handler outside ppoll. */
	sigprocmask(SIG_BLOCK, &stop_set, &old);
	wait_mask = old;
	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		sigdelset(&wait_mask, stop_signals[i]);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sa.sa_mask = stop_set;
	/* No SA_RESTART: the signal must end the wait it interrupts. */
	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		sigaction(stop_signals[i], &sa, NULL);
	catching = true;
}

/*
 * Takes the stop signals that are pending while blocked: a program busy
 * between waits sees them without waiting for the next one.
 */
static void
collect(void)
{
	const struct timespec now = { 0, 0 };
	int sig;

	if (!catching)
		return;
	for (;;) {
		sig = sigtimedwait(&stop_set, NULL, &now);
		if (sig > 0)
			record(sig);
		else if (errno != EINTR)
			return;
	}
}

static bool
watch_ready(void)
{
	struct pollfd pfd = { .fd = watch_fd, .events = POLLIN };

	if (watch_fd >= 0 && !watch_fired && poll(&pfd, 1, 0) > 0)
		watch_fired = true;
	return watch_fired;
}

int
stop_signal(void)
{
	collect();
	return first_signal;
}

void
stop_watch(int fd)
{
	watch_fd = fd;
	watch_fired = watch_acknowledged = false;
}

bool
stop_watched(void)
{
	return watch_ready();
}

bool
stop_pending(void)
{
	collect();
	if (signals_caught > signals_acknowledged)
		return true;
	return !watch_acknowledged && watch_ready();
}

void
stop_acknowledge(void)
{
	collect();
	signals_acknowledged = signals_caught;
	/* A process that has exited stays exited: stop watching it. */
	if (watch_ready())
		watch_acknowledged = true;
}

int
stop_poll(struct pollfd *fds, nfds_t n, struct deadline d)
{
	struct pollfd all[MAX_FDS + 1];
	struct timespec ts, *tsp;
	bool watching;
	int64_t left;
	nfds_t i, m;
	int rc;

	if (n > MAX_FDS) {
		errno = EINVAL;
		return -1;
	}
	for (;;) {
		if (stop_pending()) {
			errno = EINTR;
			return -1;
		}
		for (i = 0; i < n; i++)
			all[i] = fds[i];
		m = n;
		watching = watch_fd >= 0 && !watch_acknowledged;
		if (watching)
			all[m++] = (struct pollfd){ .fd = watch_fd,
			    .events = POLLIN };
		tsp = NULL;
		if (!deadline_is_never(d)) {
			left = d.at_ns - monotonic_ns();
			if (left < 0)
				left = 0;
			ts.tv_sec = left / 1000000000;
			ts.tv_nsec = left % 1000000000;
			tsp = &ts;
		}
		rc = ppoll(all, m, tsp, catching ? &wait_mask : NULL);
		if (rc < 0 && errno == EINTR)
			continue;	/* a stop is looked at above */
		if (rc < 0)
			return -1;
		if (watching && all[n].revents != 0) {
			watch_fired = true;
			continue;
		}
		for (i = 0; i < n; i++)
			fds[i].revents = all[i].revents;
		return rc;
	}
}
