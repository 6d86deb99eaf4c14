/*
 * conn: one client connection, and the one door its protocol messages go
 * through: conn_send() and conn_recv() move a message under the rules,
 * so every fault is injected in one place, the same way for the
 * handshake and for transmission.  Every wait of a connection, for the
 * client or for a rule's pause, ends at a stop signal (stopsig.h), and
 * the call then says CONN_STOP.
 */
#ifndef NBD_FAULT_CONN_H
#define NBD_FAULT_CONN_H

#include <sys/uio.h>

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "rules.h"

/* What the whole server shares. */
struct server {
	bool compat;		/* the Python injector's behaviour */
	bool classic;		/* oldstyle negotiation */
	struct backend *backend;
	struct rule_set *rules;
	const char *export_name;	/* NULL: any name is accepted */
	bool readonly, multi_conn;
	bool log_json;
	uint64_t seed;
	pthread_mutex_t out_lock;	/* whole lines on stdout and stderr */
	pthread_mutex_t conns_lock;	/* guards conns */
	struct conn *conns;		/* the open connections, for a power cut */
};

struct conn {
	struct server *srv;
	int fd;
	uint64_t index;			/* 1-based */
	struct rule_state rules;
	size_t *matches;		/* scratch for rules_match */
	/* Input read ahead (full mode only: compat reads exactly). */
	unsigned char *in;
	size_t in_start, in_end, in_cap;
	/* Negotiated. */
	bool no_zeroes, structured, meta_allocation;
	/* Whether rules pick requests or options by content (peek first). */
	bool peek_requests, peek_options;
	uint32_t wire_errno;		/* the errno of an ACT_ERROR injection */
	struct conn *next, *prev;	/* in srv->conns */
};

/* How a message went. */
enum conn_status {
	CONN_OK,
	CONN_ERROR,		/* a rule asks for an error reply (wire_errno) */
	CONN_STOP,		/* the connection is over */
};

/* A rule's verdict on one message, worked out before it moves. */
struct verdict {
	const struct rule *actor;	/* NULL: no rule matched */
	size_t point;		/* bytes to move before acting */
};

/*
 * Sets c up to serve connection fd and puts it on the server's list: 0,
 * or -1 with errno ENOMEM, c then holding nothing and on no list.
 */
int conn_init(struct conn *c, struct server *srv, int fd, uint64_t index);
void conn_free(struct conn *c);

/* Judges m against the rules (counting it once), for conn_send/recv. */
void conn_judge(struct conn *c, const struct message *m, struct verdict *v);

/*
 * Sends the message m made of iov under verdict v (NULL: judge it now).
 * CONN_ERROR sends nothing: the caller sends an error reply instead.
 */
enum conn_status conn_send(struct conn *c, const struct message *m,
    const struct verdict *v, struct iovec *iov, int iovcnt);

/* Receives m->size bytes of message m into buf under verdict v (or NULL). */
enum conn_status conn_recv(struct conn *c, const struct message *m,
    const struct verdict *v, void *buf);

/*
 * Looks at the next len (at most 64) bytes without taking them, so that a
 * message can be judged by its content before it is received.  CONN_STOP
 * if the client left; *got says how many bytes came (0: it left between
 * messages).
 */
enum conn_status conn_peek(struct conn *c, void *buf, size_t len,
    size_t *got);

/* Sends or discards bytes outside the rules (error replies, draining). */
enum conn_status conn_send_raw(struct conn *c, struct iovec *iov, int iovcnt);
enum conn_status conn_discard(struct conn *c, uint64_t len);

/* At the end: what a volatile cache drops, said on stderr (and as JSON). */
void server_report_dropped(struct server *srv);

/*
 * A line on stdout or stderr, whole, from any thread: 0, or -1 with errno
 * if it could not be written (a caller that only logs goes on serving).
 */
int server_say(struct server *srv, int fd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
