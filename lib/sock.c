#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sock.h"

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
	addr->host = strndup(text, hostlen);
	addr->port = strdup(colon + 1);
	return addr->host != NULL && addr->port != NULL ? 0 : -1;
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
	addr->path = strdup(text);
	if (addr->path != NULL)
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
 * A path too long for sun_path is reached through its directory: open the
 * directory and connect to /proc/self/fd/N/NAME.  Test suites and deep
 * build trees make such paths common.
 */
static int
connect_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, dirfd = -1, saved, rc;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		char *copy = strdup(path), *copy2 = strdup(path);

		if (copy == NULL || copy2 == NULL) {
			free(copy);
			free(copy2);
			return -1;
		}
		dirfd = open(dirname(copy), O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dirfd >= 0)
			snprintf(sun.sun_path, sizeof(sun.sun_path),
			    "/proc/self/fd/%d/%s", dirfd, basename(copy2));
		free(copy);
		free(copy2);
		if (dirfd < 0)
			return -1;
		if (strlen(sun.sun_path) >= sizeof(sun.sun_path) - 1) {
			close(dirfd);
			errno = ENAMETOOLONG;
			return -1;
		}
	} else
		memcpy(sun.sun_path, path, strlen(path) + 1);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		saved = errno;
		if (dirfd >= 0)
			close(dirfd);
		errno = saved;
		return -1;
	}
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	saved = errno;
	if (dirfd >= 0)
		close(dirfd);
	if (rc < 0) {
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static int
connect_tcp(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int fd = -1, saved = ECONNREFUSED, rc;

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
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
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
	int64_t pause_ms = 5;
	int fd;

	for (;;) {
		fd = addr->is_unix ? connect_unix(addr->path) :
		    connect_tcp(addr->host, addr->port);
		if (fd >= 0 || !worth_retrying(errno) ||
		    deadline_passed(retry_until))
			return fd;
		deadline_sleep_ms(retry_until, pause_ms);
		if (pause_ms < 100)
			pause_ms *= 2;
	}
}

int
sock_send_all(int fd, const void *buf, size_t len, struct deadline d)
{
	const char *p = buf;
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	ssize_t n;
	int rc;

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
		rc = poll(&pfd, 1, deadline_poll_ms(d));
		if (rc == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (rc < 0 && errno != EINTR)
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
			if (poll(&pfd, 1, deadline_poll_ms(d)) <= 0)
				break;
			n = read(fd, sink, sizeof(sink));
			if (n == 0 || (n < 0 && errno != EINTR))
				break;
		}
	}
	close(fd);
}
