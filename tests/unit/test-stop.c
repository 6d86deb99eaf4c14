#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/stop.h"
#include "check.h"

/*
 * Each case runs in a child of its own: stop_catch() and a caught signal
 * cannot be undone.  A case's checks count in the child, which exits 1 if
 * any failed.
 */
static void
in_child(void (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		fn();
		_exit(check_result());
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int64_t
ms_since(int64_t start_ns)
{
	return (monotonic_ns() - start_ns) / 1000000;
}

/* A pipe nobody writes to: its read end never becomes ready. */
static int quiet[2];

static void
open_quiet(void)
{
	if (pipe(quiet) < 0)
		_exit(2);
}

/* A child that sends sig to us after ms, then exits. */
static pid_t
send_later(int sig, int ms)
{
	pid_t parent = getpid(), pid = fork();

	if (pid == 0) {
		usleep(ms * 1000);
		kill(parent, sig);
		_exit(0);
	}
	return pid;
}

static void
plain_poll_without_catch(void)
{
	struct pollfd pfd;
	int64_t t;

	open_quiet();
	pfd = (struct pollfd){ .fd = quiet[0], .events = POLLIN };
	t = monotonic_ns();
	CHECK(stop_poll(&pfd, 1, deadline_in_ms(50)) == 0);
	CHECK(ms_since(t) >= 50);
	CHECK(write(quiet[1], "x", 1) == 1);
	CHECK(stop_poll(&pfd, 1, deadline_in_ms(1000)) == 1 &&
	    (pfd.revents & POLLIN));
	t = monotonic_ns();
	CHECK(stop_poll(NULL, 0, deadline_in_ms(30)) == 0 && ms_since(t) >= 30);
	CHECK(stop_signal() == 0 && !stop_pending());
}

/* Raised before the call: pending (blocked), so the call ends at once. */
static void
signal_before(void)
{
	struct pollfd pfd;
	int64_t t;

	open_quiet();
	pfd = (struct pollfd){ .fd = quiet[0], .events = POLLIN };
	stop_catch();
	raise(SIGTERM);
	t = monotonic_ns();
	errno = 0;
	CHECK(stop_poll(&pfd, 1, deadline_in_ms(5000)) == -1 && errno == EINTR);
	CHECK(ms_since(t) < 1000);
	CHECK(stop_signal() == SIGTERM);
	/* Still pending: every wait after ends too, until acknowledged. */
	CHECK(stop_poll(NULL, 0, DEADLINE_NEVER) == -1 && errno == EINTR);
}

/* Seen between waits, without one. */
static void
signal_between_waits(void)
{
	stop_catch();
	CHECK(!stop_pending() && stop_signal() == 0);
	raise(SIGHUP);
	CHECK(stop_pending());
	CHECK(stop_signal() == SIGHUP);
}

/* Sent during the call: it ends the wait at once. */
static void
signal_during(void)
{
	struct pollfd pfd;
	int64_t t;

	open_quiet();
	pfd = (struct pollfd){ .fd = quiet[0], .events = POLLIN };
	stop_catch();
	send_later(SIGINT, 100);
	t = monotonic_ns();
	errno = 0;
	CHECK(stop_poll(&pfd, 1, deadline_in_ms(5000)) == -1 && errno == EINTR);
	CHECK(ms_since(t) >= 50 && ms_since(t) < 2000);
	CHECK(stop_signal() == SIGINT);
	while (wait(NULL) > 0)
		;
}

static volatile sig_atomic_t chld_seen;

static void
on_chld(int sig)
{
	(void)sig;
	chld_seen = 1;
}

/* Any other signal's handler runs, and the wait goes on to its deadline. */
static void
other_signal(void)
{
	struct sigaction sa;
	struct pollfd pfd;
	int64_t t;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_chld;
	sigaction(SIGCHLD, &sa, NULL);
	open_quiet();
	pfd = (struct pollfd){ .fd = quiet[0], .events = POLLIN };
	stop_catch();
	if (fork() == 0) {
		usleep(50000);
		_exit(0);
	}
	t = monotonic_ns();
	CHECK(stop_poll(&pfd, 1, deadline_in_ms(300)) == 0);
	CHECK(ms_since(t) >= 300);
	CHECK(chld_seen);
	CHECK(stop_signal() == 0);
}

/* Acknowledged: the waits run again; a second signal ends them. */
static void
acknowledged(void)
{
	int64_t t;

	stop_catch();
	raise(SIGHUP);
	CHECK(stop_poll(NULL, 0, deadline_in_ms(5000)) == -1);
	stop_acknowledge();
	CHECK(!stop_pending());
	t = monotonic_ns();
	CHECK(stop_poll(NULL, 0, deadline_in_ms(50)) == 0 && ms_since(t) >= 50);
	send_later(SIGTERM, 50);
	t = monotonic_ns();
	CHECK(stop_poll(NULL, 0, deadline_in_ms(5000)) == -1 && errno == EINTR);
	CHECK(ms_since(t) < 2000);
	/* The first signal is the one that counts. */
	CHECK(stop_signal() == SIGHUP);
	while (wait(NULL) > 0)
		;
}

/* A watched process's end is a stop too (a pidfd), and a signal it is not. */
static void
watched_process(void)
{
	struct pollfd pfd;
	pid_t child;
	int64_t t;
	int fd;

	open_quiet();
	pfd = (struct pollfd){ .fd = quiet[0], .events = POLLIN };
	stop_catch();
	child = fork();
	if (child == 0) {
		usleep(100000);
		_exit(0);
	}
	fd = (int)syscall(SYS_pidfd_open, child, 0);
	CHECK(fd >= 0);
	stop_watch(fd);
	CHECK(!stop_watched());
	t = monotonic_ns();
	CHECK(stop_poll(&pfd, 1, deadline_in_ms(5000)) == -1 && errno == EINTR);
	CHECK(ms_since(t) >= 50 && ms_since(t) < 2000);
	CHECK(stop_watched() && stop_signal() == 0);
	/* Acknowledged, it ends no more waits. */
	stop_acknowledge();
	CHECK(stop_poll(&pfd, 1, deadline_in_ms(30)) == 0);
	waitpid(child, NULL, 0);
}

int
main(void)
{
	in_child(plain_poll_without_catch);
	in_child(signal_before);
	in_child(signal_between_waits);
	in_child(signal_during);
	in_child(other_signal);
	in_child(acknowledged);
	in_child(watched_process);
	return check_result();
}
