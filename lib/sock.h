/*
 * sock: socket addresses as users write them, connecting with retry, and
 * sending whole messages under a deadline.
 *
 * An address is "unix:PATH", "tcp:HOST:PORT", "HOST:PORT" (an IPv6 host in
 * brackets), or else a Unix socket path.  Anything with a '/' is a path.
 */
#ifndef VT_SOCK_H
#define VT_SOCK_H

#include <stdbool.h>
#include <stddef.h>

#include "deadline.h"

struct sock_addr {
	bool is_unix;
	char *path;		/* Unix socket path */
	char *host;		/* TCP host, brackets removed */
	char *port;		/* TCP port */
	int family;		/* AF_INET or AF_INET6 to insist on; 0: any */
};

/* Parses text into addr (free with sock_addr_free); -1, errno EINVAL if bad. */
int sock_addr_parse(const char *text, struct sock_addr *addr);
void sock_addr_free(struct sock_addr *addr);

/* The least time one connection attempt gets: a TCP handshake's. */
#define SOCK_ATTEMPT_MS 5000

/*
 * Connects to addr.  While the socket is missing or refuses (a server that
 * is still starting), retries until retry_until; deadline_in_ms(0) tries
 * once.  Each attempt is bounded by retry_until, or SOCK_ATTEMPT_MS if
 * that is later.  Returns a blocking, close-on-exec socket, or -1 with
 * errno from the last attempt: ETIMEDOUT for a handshake that did not
 * finish, EINTR when a stop came (stop.h).
 */
int sock_connect(const struct sock_addr *addr, struct deadline retry_until);

/*
 * Listens on addr: a Unix socket (an existing socket file there is
 * replaced) or TCP (port 0 picks a free one, SO_REUSEADDR set).  Writes
 * the address really bound, as a user would write it ("PATH",
 * "127.0.0.1:40123", "[::1]:40123"), into bound.  Returns a close-on-exec
 * listening socket, or -1 with errno.
 */
int sock_listen(const struct sock_addr *addr, char *bound, size_t size);

/*
 * Writes all of buf, waiting for the peer to drain as needed.  Returns 0,
 * or -1 with errno (ETIMEDOUT when the deadline passed, EPIPE or
 * ECONNRESET when the peer is gone, EINTR when a stop came while waiting:
 * part of buf may have been sent).  Never raises SIGPIPE.
 */
int sock_send_all(int fd, const void *buf, size_t len, struct deadline d);

/*
 * Closes a connection without discarding what the peer still sends:
 * shut down our side, read (and drop) until EOF or the deadline, close.
 * A peer like qemu-ga 7.2 dies if a client closes with unread replies.
 * A pending stop makes it a plain close.
 */
void sock_close_gently(int fd, struct deadline d);

#endif
