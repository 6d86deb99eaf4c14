/*
 * test-child: lib/child.c with real children: one that ends on SIGTERM,
 * one that ignores it (killed when the grace runs out), one already
 * gone, one that ends by itself; a sibling that must stay unreaped; a
 * pid that is no child; waits broken by signals; and the same again
 * with no descriptor left for a pidfd, where child.c falls back to
 * polling waitpid.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../lib/child.h"
#include "../../lib/deadline.h"
#include "check.h"

enum behaviour {
	ENDS_ON_TERM,		/* SIGTERM's default action */
	IGNORES_TERM,		/* only SIGKILL ends it */
	EXITS_AT_ONCE,		/* exit status 7 before anyone asks */
	EXITS_SOON,		/* exit status 3 after 100 ms */
};

/*
 * The pipe a child says it is ready through, one for all of them, made
 * before the descriptor limit is lowered.
 */
static int ready[2];

/*
 * A child that behaves as b, once it has said it is ready: a SIGTERM
 * sent before it ignores the signal would end it and prove nothing.
 */
static pid_t
spawn(enum behaviour b)
{
	pid_t pid;
	ssize_t n;
	char c;

	if ((pid = fork()) < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		signal(SIGTERM, b == IGNORES_TERM ? SIG_IGN : SIG_DFL);
		if (b == EXITS_AT_ONCE)
			_exit(7);
		if (write(ready[1], "r", 1) != 1)
			_exit(2);
		if (b == EXITS_SOON) {
			usleep(100 * 1000);
			_exit(3);
		}
		for (;;)
			pause();
	}
	if (b == EXITS_AT_ONCE)
		return pid;
	while ((n = read(ready[0], &c, 1)) < 0 && errno == EINTR)
		;
	if (n != 1) {
		perror("spawn: ready");
		exit(2);
	}
	return pid;
}

/* Milliseconds since start. */
static int64_t
since(int64_t start)
{
	return (monotonic_ns() - start) / 1000000;
}

/* Waits, without reaping, until pid has ended. */
static void
await_zombie(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0 &&
	    errno == EINTR)
		;
}

static bool
killed_by(int status, int sig)
{
	return WIFSIGNALED(status) && WTERMSIG(status) == sig;
}

static bool
exited_with(int status, int code)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == code;
}

static void
on_alarm(int sig)
{
	(void)sig;
}

/*
 * Interrupts this process every 3 ms, with a handler installed without
 * SA_RESTART, so that every poll, sleep and waitpid in child.c sees EINTR.
 */
static void
storm(bool on)
{
	struct itimerval it;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on ? on_alarm : SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	memset(&it, 0, sizeof(it));
	if (on) {
		it.it_interval.tv_usec = 3000;
		it.it_value.tv_usec = 3000;
	}
	setitimer(ITIMER_REAL, &it, NULL);
}

/* Every case of child_stop and child_wait, in one mode. */
static void
cases(void)
{
	pid_t pid, sibling;
	int64_t start;
	int status;

	/* Ends on SIGTERM, well within the grace. */
	pid = spawn(ENDS_ON_TERM);
	start = monotonic_ns();
	status = 0;
	CHECK(child_stop(pid, SIGTERM, 5000, &status) == 0);
	CHECK(killed_by(status, SIGTERM));
	CHECK(since(start) < 2500);
	CHECK(waitpid(pid, NULL, WNOHANG) == -1 && errno == ECHILD);

	/* Ignores SIGTERM: SIGKILL once the grace has passed, not before. */
	pid = spawn(IGNORES_TERM);
	start = monotonic_ns();
	status = 0;
	CHECK(child_stop(pid, SIGTERM, 200, &status) == 0);
	CHECK(killed_by(status, SIGKILL));
	CHECK(since(start) >= 200);
	CHECK(since(start) < 2500);
	CHECK(waitpid(pid, NULL, WNOHANG) == -1 && errno == ECHILD);

	/* No grace: SIGKILL at once. */
	pid = spawn(IGNORES_TERM);
	start = monotonic_ns();
	CHECK(child_stop(pid, SIGTERM, 0, &status) == 0);
	CHECK(killed_by(status, SIGKILL));
	CHECK(since(start) < 2500);

	/* Already gone: only reaped, its own status kept. */
	pid = spawn(EXITS_AT_ONCE);
	await_zombie(pid);
	status = 0;
	CHECK(child_stop(pid, SIGTERM, 5000, &status) == 0);
	CHECK(exited_with(status, 7));

	/* Signal 0 sends nothing: the child ends by itself in the grace. */
	pid = spawn(EXITS_SOON);
	status = 0;
	CHECK(child_stop(pid, 0, 5000, &status) == 0);
	CHECK(exited_with(status, 3));

	/* A status is optional. */
	pid = spawn(ENDS_ON_TERM);
	CHECK(child_stop(pid, SIGTERM, 5000, NULL) == 0);
	CHECK(waitpid(pid, NULL, WNOHANG) == -1 && errno == ECHILD);

	/* Stopping one child leaves its sibling alone and unreaped. */
	sibling = spawn(EXITS_AT_ONCE);
	await_zombie(sibling);
	pid = spawn(IGNORES_TERM);
	CHECK(child_stop(pid, SIGTERM, 50, &status) == 0);
	CHECK(killed_by(status, SIGKILL));
	CHECK(waitpid(sibling, &status, WNOHANG) == sibling);
	CHECK(exited_with(status, 7));

	/* A reaped pid and no pid at all are no children: nothing sent. */
	errno = 0;
	CHECK(child_stop(pid, SIGTERM, 50, &status) == -1 && errno == ECHILD);
	sibling = spawn(ENDS_ON_TERM);
	errno = 0;
	CHECK(child_stop(0, SIGTERM, 50, &status) == -1 && errno == ECHILD);
	errno = 0;
	CHECK(child_stop(-1, SIGTERM, 50, &status) == -1 && errno == ECHILD);
	errno = 0;
	CHECK(child_wait(0, 50, &status) == -1 && errno == ECHILD);
	CHECK(waitpid(sibling, NULL, WNOHANG) == 0);

	/* child_wait: a timeout leaves it running, then it is reaped. */
	start = monotonic_ns();
	errno = 0;
	CHECK(child_wait(sibling, 100, &status) == -1 && errno == ETIMEDOUT);
	CHECK(since(start) >= 100);
	CHECK(waitpid(sibling, NULL, WNOHANG) == 0);
	kill(sibling, SIGTERM);
	status = 0;
	CHECK(child_wait(sibling, -1, &status) == 0);
	CHECK(killed_by(status, SIGTERM));
	pid = spawn(EXITS_SOON);
	CHECK(child_wait(pid, 0, &status) == -1 && errno == ETIMEDOUT);
	CHECK(child_wait(pid, 5000, &status) == 0 && exited_with(status, 3));
}

int
main(void)
{
	struct rlimit old, none;
	struct pollfd pfd;
	pid_t pid;
	int fd;

	if (pipe(ready) < 0) {
		perror("pipe");
		return 2;
	}

	/* pid_open: readable once the process ends, which is then reaped. */
	pid = spawn(ENDS_ON_TERM);
	if ((fd = pid_open(pid)) < 0)
		CHECK(errno == ENOSYS);
	else {
		pfd.fd = fd;
		pfd.events = POLLIN;
		CHECK(poll(&pfd, 1, 0) == 0);
		kill(pid, SIGTERM);
		CHECK(poll(&pfd, 1, 5000) == 1 && (pfd.revents & POLLIN));
		CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
		close(fd);
	}
	CHECK(waitpid(pid, NULL, 0) == pid);

	cases();

	/* Every wait through EINTR, the deadlines kept. */
	storm(true);
	cases();
	storm(false);

	/*
	 * No descriptor to spare: pidfd_open fails with EMFILE and child.c
	 * polls waitpid instead.  The lowest free descriptor is the limit.
	 */
	if (getrlimit(RLIMIT_NOFILE, &old) == 0 && (fd = dup(0)) >= 0) {
		close(fd);
		none = old;
		none.rlim_cur = (rlim_t)fd;
		CHECK(setrlimit(RLIMIT_NOFILE, &none) == 0);
		pid = spawn(ENDS_ON_TERM);
		errno = 0;
		CHECK(pid_open(pid) == -1 && errno == EMFILE);
		CHECK(child_stop(pid, SIGTERM, 5000, NULL) == 0);
		cases();
		storm(true);
		cases();
		storm(false);
		CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0);
	} else
		CHECK(!"a descriptor limit to lower");
	return check_result();
}
