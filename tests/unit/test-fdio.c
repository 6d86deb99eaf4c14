#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/fdio.h"
#include "check.h"

#define BIG (4 * 1024 * 1024)

static int read_end;
static size_t drained;

/* Reads the pipe slowly, so that the writer's writes come back partial. */
static void *
drain(void *arg)
{
	char buf[4096];
	ssize_t n;

	(void)arg;
	while ((n = read(read_end, buf, sizeof(buf))) > 0)
		drained += (size_t)n;
	return NULL;
}

static void
on_alarm(int sig)
{
	(void)sig;
}

int
main(void)
{
	struct sigaction sa;
	sigset_t sigalrm, old;
	pthread_t reader;
	char *big;
	int p[2];

	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART: writes see EINTR */
	sigaction(SIGALRM, &sa, NULL);

	/* A buffer many times a pipe's size goes whole, through partial writes. */
	big = malloc(BIG);
	CHECK(big != NULL);
	memset(big, 'x', BIG);
	CHECK(pipe(p) == 0);
	read_end = p[0];
	/*
	 * The alarms are for the writer: one that landed on the reader would
	 * cut its read() short (EINTR), it would stop, and the writer would
	 * wait for room for good.  The reader is born with SIGALRM blocked.
	 */
	sigemptyset(&sigalrm);
	sigaddset(&sigalrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &sigalrm, &old);
	CHECK(pthread_create(&reader, NULL, drain, NULL) == 0);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	ualarm(1000, 1000);
	CHECK(fd_write_all(p[1], big, BIG) == 0);
	ualarm(0, 0);
	close(p[1]);
	pthread_join(reader, NULL);
	close(p[0]);
	CHECK(drained == BIG);

	/* Nothing to write is done at once. */
	CHECK(fd_write_all(STDOUT_FILENO, "", 0) == 0);

	/* A reader gone: -1 and EPIPE, not a signal. */
	CHECK(pipe(p) == 0);
	close(p[0]);
	errno = 0;
	CHECK(fd_write_all(p[1], "abc", 3) == -1 && errno == EPIPE);
	close(p[1]);

	/* A bad descriptor: -1 and EBADF. */
	errno = 0;
	CHECK(fd_write_all(-1, "abc", 3) == -1 && errno == EBADF);

	free(big);
	return check_result();
}
