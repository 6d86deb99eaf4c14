#include <sys/prctl.h>
#include <sys/signalfd.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

#include "deadline.h"
#include "stopsig.h"

/* How often stopsig_seen() looks at the signals, in each thread. */
#define CHECK_NS (10 * 1000000)

/* poll(2) fails only for want of memory; it is tried again after this. */
#define RETRY_MS 10

static int signal_fd = -1;
static atomic_bool stopped;
static _Thread_local int64_t next_check_ns;

int
stopsig_catch(bool exit_with_parent)
{
	sigset_t set;
	int e;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if ((e = pthread_sigmask(SIG_BLOCK, &set, NULL)) != 0) {
		errno = e;
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (signal_fd < 0)
		return -1;
	if (exit_with_parent) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		/* A parent that died before the prctl sent nothing. */
		if (getppid() == 1)
			kill(getpid(), SIGTERM);
	}
	return 0;
}

int
stopsig_poll(int fd, short events, int64_t timeout_ms)
{
	struct deadline d = deadline_in_ms(timeout_ms);
	struct pollfd p[2] = {
		{ .fd = signal_fd, .events = POLLIN },
		{ .fd = fd, .events = events },
	};
	int n;

	for (;;) {
		n = poll(p, 2, deadline_poll_ms(d));
		if (n < 0) {
			if (errno != EINTR)
				deadline_sleep_ms(DEADLINE_NEVER, RETRY_MS);
			continue;
		}
		if (p[0].revents != 0) {
			atomic_store(&stopped, true);
			return -1;
		}
		if (n > 0)
			return p[1].revents;
		/* A wait of more than INT_MAX ms takes several polls. */
		if (deadline_passed(d))
			return 0;
	}
}

bool
stopsig_pause(int64_t ms)
{
	return stopsig_poll(-1, 0, ms > 0 ? ms : 0) == 0;
}

bool
stopsig_seen(void)
{
	struct pollfd p = { .fd = signal_fd, .events = POLLIN };
	int64_t now;

	if (atomic_load_explicit(&stopped, memory_order_relaxed))
		return true;
	now = monotonic_ns();
	if (now < next_check_ns)
		return false;
	next_check_ns = now + CHECK_NS;
	if (poll(&p, 1, 0) > 0 && p.revents != 0) {
		atomic_store(&stopped, true);
		return true;
	}
	return false;
}
