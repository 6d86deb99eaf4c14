#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "listener.h"
#include "serve.h"
#include "stopsig.h"

/* Out of memory or without a spare descriptor, the next accept waits this. */
#define BACKOFF_MS 100
/* After a stop signal, how long the connections' threads have to end. */
#define DRAIN_S 1

struct listener {
	struct server *srv;
	int fd;
	int spare;		/* a descriptor to give up, see take() */
	bool serial, once;
	bool said_fds, said_memory;
	uint64_t index;
	pthread_attr_t attr;
};

/* The connections' threads, counted so that a stop can wait for them. */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t live_gone;
static size_t live;

static void
serve_connection(struct conn *c)
{
	if (serve_handshake(c) == CONN_OK)
		serve_transmission(c);
	/* Off the list first: a power cut shuts down the fds on it. */
	conn_free(c);
	close(c->fd);
	free(c);
}

static void *
connection_thread(void *arg)
{
	serve_connection(arg);
	pthread_mutex_lock(&live_lock);
	if (--live == 0)
		pthread_cond_broadcast(&live_gone);
	pthread_mutex_unlock(&live_lock);
	return NULL;
}

/* Once per kind and process: the condition may last, the line should not. */
static void
say_short(struct listener *l, int e)
{
	bool fds = e == EMFILE || e == ENFILE;
	bool *said = fds ? &l->said_fds : &l->said_memory;

	if (*said)
		return;
	*said = true;
	errno = e;
	if (fds)
		note_errno("out of file descriptors, closing new connections "
		    "at once until clients leave");
	else
		note_errno("out of memory for new connections, which wait or "
		    "are closed until memory is free");
}

/* Serves connection fd; false when the listener is done with (--once). */
static bool
start(struct listener *l, int fd)
{
	struct conn *c = malloc(sizeof(*c));
	pthread_t tid;

	/*
	 * No memory for this connection: it alone is closed, as one that
	 * could not be accepted would be, and the others go on.
	 */
	if (c == NULL || conn_init(c, l->srv, fd, ++l->index) < 0) {
		say_short(l, ENOMEM);
		free(c);
		close(fd);
		return true;
	}
	if (l->serial) {
		serve_connection(c);
		return !l->once;
	}
	pthread_mutex_lock(&live_lock);
	live++;
	pthread_mutex_unlock(&live_lock);
	if (pthread_create(&tid, &l->attr, connection_thread, c) != 0) {
		pthread_mutex_lock(&live_lock);
		live--;
		pthread_mutex_unlock(&live_lock);
		conn_free(c);
		close(fd);
		free(c);
	}
	return true;
}

/*
 * Accepts a connection; -1 when there is none to serve.  Out of
 * descriptors, the connection at the head of the queue cannot be taken
 * and the socket stays readable, so a loop that tried again at once would
 * spin.  The spare descriptor is given up to take that connection and
 * close it, so that its client learns at once and the queue moves; with
 * no spare, or out of memory, the next try comes after a pause (*backoff).
 */
static int
take(struct listener *l, bool *backoff)
{
	int fd, e;

	*backoff = false;
	if (l->spare < 0)
		l->spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		return fd;
	e = errno;
	/* Other errors are the queue's head failing, or an empty queue. */
	if (e != EMFILE && e != ENFILE && e != ENOBUFS && e != ENOMEM)
		return -1;
	say_short(l, e);
	if ((e == EMFILE || e == ENFILE) && l->spare >= 0) {
		close(l->spare);
		fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			close(fd);
		l->spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && l->spare >= 0)
			return -1;
	}
	*backoff = true;
	return -1;
}

/*
 * The threads end at the stop signal too; waiting for them keeps what
 * they were writing whole, and lets the report of what a volatile cache
 * drops count every write a client was told had been done.
 */
static void
drain(void)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += DRAIN_S;
	pthread_mutex_lock(&live_lock);
	while (live > 0 && pthread_cond_timedwait(&live_gone, &live_lock,
	    &until) == 0)
		;
	pthread_mutex_unlock(&live_lock);
}

void
listener_run(struct server *srv, int fd, bool serial, bool once)
{
	struct listener l = { .srv = srv, .fd = fd, .serial = serial || once,
	    .once = once };
	pthread_condattr_t ca;
	bool backoff = false;
	int conn;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&live_gone, &ca);
	pthread_condattr_destroy(&ca);
	pthread_attr_init(&l.attr);
	pthread_attr_setdetachstate(&l.attr, PTHREAD_CREATE_DETACHED);
	l.spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* Readable may be stale by the time of the accept: never block in it. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	for (;;) {
		if (backoff ? !stopsig_pause(BACKOFF_MS) :
		    stopsig_poll(fd, POLLIN, -1) < 0)
			break;
		conn = take(&l, &backoff);
		if (conn >= 0 && !start(&l, conn))
			break;
	}
	drain();
	if (l.spare >= 0)
		close(l.spare);
	pthread_attr_destroy(&l.attr);
}
