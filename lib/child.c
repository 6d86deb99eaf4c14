#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "deadline.h"

/*
 * Without a pidfd, how long the fallback may sleep between looks: the
 * most an exit can go unnoticed.  Its first naps are shorter, since most
 * children given a polite signal end within a few milliseconds.
 */
#define NAP_MAX_MS 20

int
pid_open(pid_t pid)
{
	/* Through syscall(2): glibc before 2.36 has no pidfd_open(). */
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

/* waitpid(2) for pid alone, through EINTR: pid, 0 (WNOHANG), or -1. */
static pid_t
reap(pid_t pid, int *wstatus, int flags)
{
	pid_t r;

	while ((r = waitpid(pid, wstatus, flags)) < 0 && errno == EINTR)
		;
	return r;
}

/*
 * Waits until d for pid, an unreaped child of ours (so its pid cannot be
 * given to another process meanwhile), to end, and reaps it.
 */
static int
wait_until(pid_t pid, struct deadline d, int *wstatus)
{
	struct pollfd pfd;
	int64_t nap = 1;
	pid_t r;
	int n;

	if ((pfd.fd = pid_open(pid)) >= 0) {
		pfd.events = POLLIN;
		while ((n = poll(&pfd, 1, deadline_poll_ms(d))) < 0 &&
		    errno == EINTR)
			;
		close(pfd.fd);
		if (n == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		/* Readable: it has ended, and waitpid will not block. */
		if (n > 0)
			return reap(pid, wstatus, 0) == pid ? 0 : -1;
	}
	/*
	 * No pidfd (a kernel before 5.3, a seccomp filter, no descriptor
	 * left) or a poll that failed: ask waitpid itself, napping between.
	 */
	for (;;) {
		if ((r = reap(pid, wstatus, WNOHANG)) != 0)
			return r == pid ? 0 : -1;
		if (deadline_passed(d)) {
			errno = ETIMEDOUT;
			return -1;
		}
		deadline_sleep_ms(d, nap);
		nap = nap * 2 < NAP_MAX_MS ? nap * 2 : NAP_MAX_MS;
	}
}

/*
 * Whether pid is still a running child of ours: 1, or 0 once reaped here
 * (it had ended), or -1 with ECHILD.  A pid of 0 or less would have
 * waitpid take any child, or one of a group, which must never happen.
 */
static int
running(pid_t pid, int *wstatus)
{
	pid_t r;

	if (pid <= 0) {
		errno = ECHILD;
		return -1;
	}
	if ((r = reap(pid, wstatus, WNOHANG)) == 0)
		return 1;
	return r == pid ? 0 : -1;
}

int
child_wait(pid_t pid, int64_t timeout_ms, int *wstatus)
{
	struct deadline d = deadline_in_ms(timeout_ms);
	int r = running(pid, wstatus);

	return r == 1 ? wait_until(pid, d, wstatus) : r;
}

int
child_stop(pid_t pid, int sig, int64_t grace_ms, int *wstatus)
{
	int r = running(pid, wstatus);

	/* Only an unreaped child's pid is sure to name that child. */
	if (r != 1)
		return r;
	if (sig != 0)
		kill(pid, sig);
	if (wait_until(pid, deadline_in_ms(grace_ms), wstatus) == 0)
		return 0;
	if (errno != ETIMEDOUT)
		return -1;
	kill(pid, SIGKILL);
	return reap(pid, wstatus, 0) == pid ? 0 : -1;
}
