#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sock.h"
#include "xalloc.h"
#include "stop.h"

static bool
is_port(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int
parse_host_port(const char *text, struct sock_addr *addr)
{
	const char *colon;
	size_t hostlen;

	if (*text == '[') {
		const char *close = strchr(text, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		colon = close + 1;
		text++;
		hostlen = close - text;
	} else {
		colon = strrchr(text, ':');
		if (colon == NULL)
			return -1;
		hostlen = colon - text;
	}
	if (hostlen == 0 || !is_port(colon + 1))
		return -1;
	addr->host = xstrndup(text, hostlen);
	addr->port = xstrdup(colon + 1);
	return 0;
}

int
sock_addr_parse(const char *text, struct sock_addr *addr)
{
	const char *colon;

	memset(addr, 0, sizeof(*addr));
	if (strncmp(text, "unix:", 5) == 0)
		text += 5;
	else if (strncmp(text, "tcp:", 4) == 0) {
		if (parse_host_port(text + 4, addr) == 0)
			return 0;
		goto bad;
	} else if (strchr(text, '/') == NULL &&
	    (colon = strrchr(text, ':')) != NULL && is_port(colon + 1)) {
		if (parse_host_port(text, addr) == 0)
			return 0;
		goto bad;
	}
	if (*text == '\0')
		goto bad;
	addr->is_unix = true;
	addr->path = xstrdup(text);
	return 0;
bad:
	sock_addr_free(addr);
	errno = EINVAL;
	return -1;
}

void
sock_addr_free(struct sock_addr *addr)
{
	free(addr->path);
	free(addr->host);
	free(addr->port);
	memset(addr, 0, sizeof(*addr));
}

/*
 * Fills sun for path.  A path too long for sun_path is reached through its
 * directory: *dirfd is opened on the directory and the address becomes
 * /proc/self/fd/N/NAME.  Test suites and deep build trees make such paths
 * common.  The caller closes *dirfd (if not -1) after using the address.
 */
static int
unix_address(const char *path, struct sockaddr_un *sun, int *dirfd)
{
	char *dir, *base;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	*dirfd = -1;
	if (strlen(path) < sizeof(sun->sun_path)) {
		memcpy(sun->sun_path, path, strlen(path) + 1);
		return 0;
	}
	dir = xstrdup(path);
	base = xstrdup(path);
	*dirfd = open(dirname(dir), O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd >= 0 && (size_t)snprintf(sun->sun_path,
	    sizeof(sun->sun_path), "/proc/self/fd/%d/%s", *dirfd,
	    basename(base)) >= sizeof(sun->sun_path)) {
		close(*dirfd);
		*dirfd = -1;
		errno = ENAMETOOLONG;
	}
	free(dir);
	free(base);
	return *dirfd >= 0 ? 0 : -1;
}

/* Waits for pfd's events until d: 0, or -1 with ETIMEDOUT or EINTR (a stop). */
static int
await(struct pollfd *pfd, struct deadline d)
{
	int rc = stop_poll(pfd, 1, d);

	if (rc == 0)
		errno = ETIMEDOUT;
	return rc > 0 ? 0 : -1;
}

/*
 * connect(2), bounded by d and by a stop: the socket is non-blocking for
 * the handshake (TCP's can take minutes), blocking again after it.
 */
static int
connect_by(int fd, const struct sockaddr *sa, socklen_t len, struct deadline d)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t errlen = sizeof(int);
	int flags, err = 0;

	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -1;
	if (connect(fd, sa, len) < 0) {
		/* A Unix socket with a full backlog says EAGAIN: retried. */
		if (errno != EINPROGRESS)
			return -1;
		if (await(&pfd, d) < 0)
			return -1;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) < 0)
			return -1;
		if (err != 0) {
			errno = err;
			return -1;
		}
	}
	return fcntl(fd, F_SETFL, flags);
}

/*
 * A fresh Unix socket bound to path (passive) or connected to it by d;
 * returns it or -1.
 */
static int
unix_socket(const char *path, bool passive, struct deadline d)
{
	struct sockaddr_un sun;
	int fd, dirfd, saved, rc;

	if (unix_address(path, &sun, &dirfd) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		rc = passive ? bind(fd, (struct sockaddr *)&sun, sizeof(sun)) :
		    connect_by(fd, (struct sockaddr *)&sun, sizeof(sun), d);
		if (rc < 0) {
			saved = errno;
			close(fd);
			fd = -1;
			errno = saved;
		}
	}
	saved = errno;
	if (dirfd >= 0)
		close(dirfd);
	errno = saved;
	return fd;
}

/*
 * A TCP socket for host and port: connected by d, or bound with
 * SO_REUSEADDR for a listener (passive).  Tries each address
 * getaddrinfo(3) gives.
 */
static int
tcp_socket(const struct sock_addr *addr, bool passive, struct deadline d)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_family = addr->family,
	    .ai_flags = passive ? AI_PASSIVE : 0 }, *res, *ai;
	const char *host = addr->host, *port = addr->port;
	int fd = -1, saved = ECONNREFUSED, one = 1, rc;

	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		errno = rc == EAI_SYSTEM ? errno : EHOSTUNREACH;
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		if (passive)
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
			    sizeof(one));
		if ((passive ? bind(fd, ai->ai_addr, ai->ai_addrlen) :
		    connect_by(fd, ai->ai_addr, ai->ai_addrlen, d)) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
		/* A stop ends the whole attempt, not one address of it. */
		if (saved == EINTR)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0)
		errno = saved;
	return fd;
}

static bool
worth_retrying(int err)
{
	/* The server has not created or is not yet listening on its socket. */
	return err == ENOENT || err == ECONNREFUSED || err == EAGAIN;
}

int
sock_connect(const struct sock_addr *addr, struct deadline retry_until)
{
	struct deadline attempt, wake;
	int64_t pause_ms = 5;
	int fd;

	for (;;) {
		/* An attempt gets its time even when retrying is over. */
		attempt = deadline_in_ms(SOCK_ATTEMPT_MS);
		if (retry_until.at_ns > attempt.at_ns)
			attempt = retry_until;
		fd = addr->is_unix ? unix_socket(addr->path, false, attempt) :
		    tcp_socket(addr, false, attempt);
		if (fd >= 0 || !worth_retrying(errno) ||
		    deadline_passed(retry_until))
			return fd;
		wake = deadline_min(retry_until, deadline_in_ms(pause_ms));
		if (stop_poll(NULL, 0, wake) < 0)
			return -1;
		if (pause_ms < 100)
			pause_ms *= 2;
	}
}

/* The port a bound TCP socket got, for "port 0" listeners. */
static void
describe_tcp(int fd, char *bound, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		ss.ss_family = AF_UNSPEC;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(bound, size, "%s:%d", host, port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(bound, size, "[%s]:%d", host, port);
	} else
		snprintf(bound, size, "?");
}

int
sock_listen(const struct sock_addr *addr, char *bound, size_t size)
{
	struct stat st;
	int fd, saved;

	if (addr->is_unix) {
		/* Replace a stale socket, never a file that is not one. */
		if (lstat(addr->path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(addr->path);
		fd = unix_socket(addr->path, true, DEADLINE_NEVER);
		if (fd >= 0)
			snprintf(bound, size, "%s", addr->path);
	} else {
		fd = tcp_socket(addr, true, DEADLINE_NEVER);
		if (fd >= 0)
			describe_tcp(fd, bound, size);
	}
	if (fd >= 0 && listen(fd, SOMAXCONN) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
sock_send_all(int fd, const void *buf, size_t len, struct deadline d)
{
	const char *p = buf;
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			p += n;
			len -= n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (await(&pfd, d) < 0)
			return -1;
	}
	return 0;
}

void
sock_close_gently(int fd, struct deadline d)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char sink[4096];
	ssize_t n;

	if (shutdown(fd, SHUT_WR) == 0) {
		for (;;) {
			if (stop_poll(&pfd, 1, d) <= 0)
				break;
			n = read(fd, sink, sizeof(sink));
			if (n == 0 || (n < 0 && errno != EINTR))
				break;
		}
	}
	close(fd);
}
