/*
 * qga: a QEMU guest agent client.  The agent speaks QMP's wire format
 * without greeting, negotiation or events, so a session is a struct qmp
 * (lib/qmp.h) that this file opens, synchronises and closes, plus the
 * decoding of the agent's own replies.
 *
 * The agent never sees clients come and go, so a new connection may find
 * stale replies and half a request from an earlier client.  Every session
 * therefore starts with guest-sync-delimited: a 0xFF byte (which resets the
 * agent's parser), a fresh random id, and everything up to the 0xFF the
 * agent sends before its reply discarded.
 */
#ifndef VT_QGA_H
#define VT_QGA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "deadline.h"
#include "qmp.h"
#include "sock.h"

/* How long one sync attempt may take before reconnecting. */
#define QGA_SYNC_ATTEMPT_MS 2000
/* How long a gentle close waits for the agent to close its side. */
#define QGA_CLOSE_MS 1000
/* The most calls in one batch. */
#define QGA_BATCH_MAX 16
/* The highest signal number a guest (Linux) has. */
#define QGA_MAX_SIGNAL 64

/*
 * Connects to addr and synchronises.  Until `until`, a missing or refusing
 * socket is retried and an attempt that gets no sync reply within
 * QGA_SYNC_ATTEMPT_MS reconnects with a new id; deadline_in_ms(0) makes
 * one attempt (of QGA_SYNC_ATTEMPT_MS).  A stop ends it at once with
 * QMP_STOPPED.  On failure q->why says what happened last.
 */
enum qmp_status qga_open(struct qmp *q, const struct sock_addr *addr,
    struct deadline until);

/*
 * Calls name with args (stolen, may be NULL) and stores a new reference to
 * the return value in *ret (NULL if ret is NULL).  An error reply is
 * QMP_REFUSED with "Class: desc" in q->why.
 */
enum qmp_status qga_call(struct qmp *q, const char *name, json_t *args,
    struct deadline d, json_t **ret);

/*
 * Several calls (at most QGA_BATCH_MAX) sent one after the other and
 * answered in order: the agent handles requests one after the other, so
 * a batch costs one round trip.  Each call's args are stolen.  The result
 * is the first failure of the connection itself; a call the agent
 * refuses has QMP_REFUSED in its own status, with the reason in its why,
 * and the others still run.
 *
 * Nothing is sent on a failed connection (q->failure: its status is the
 * result, q->why still the reason).  A reply that does not come in time
 * fails the connection: the agent is not answering.  A stop (stop.h)
 * ends the wait for replies, leaving the calls not yet answered
 * QMP_STOPPED and the connection as good as it was.  The requests go out
 * whole whatever stop is pending, so that every call of a batch can be
 * awaited or resumed; only a stop while the agent does not read them cuts
 * one, and that fails the connection.
 */
struct qga_call {
	const char *name;
	json_t *args;		/* stolen, may be NULL */
	json_t *ret;		/* a new reference to the return value */
	enum qmp_status status;
	json_int_t id;		/* the request's id, once sent */
	char why[256];
};

enum qmp_status qga_call_batch(struct qmp *q, struct qga_call *calls,
    size_t n, struct deadline d);

/*
 * After a stop (and stop_acknowledge()), awaits until d the replies the
 * stop left in flight: the calls still QMP_STOPPED.  A guest-exec's pid
 * or a file's bytes are not lost to a Ctrl-C.
 */
enum qmp_status qga_call_batch_resume(struct qmp *q, struct qga_call *calls,
    size_t n, struct deadline d);
void qga_call_batch_free(struct qga_call *calls, size_t n);

/*
 * Closes without leaving replies unread: qemu-ga 7.2 on a Unix socket
 * exits when a client closes with replies pending.  A failed connection,
 * or one that a pending stop ends, is closed at once.
 */
void qga_close(struct qmp *q);

/* What guest-exec-status returns, decoded. */
struct qga_exec_status {
	bool exited;
	bool has_exitcode, has_signal;
	int exitcode, signal;
	unsigned char *out, *err;	/* decoded out-data, err-data; malloc'd */
	size_t out_len, err_len;
	bool out_truncated, err_truncated;
};

/*
 * Decodes a guest-exec-status return value; -1 with a reason if malformed,
 * which includes an 'exitcode' outside 0..255 and a 'signal' outside
 * 1..QGA_MAX_SIGNAL: statuses no guest process can have.
 */
int qga_exec_status_decode(const json_t *ret, struct qga_exec_status *st,
    char *why, size_t whylen);
void qga_exec_status_free(struct qga_exec_status *st);

/* The exit status an exited command means: its own, or 128+N. */
int qga_exec_exit_status(const struct qga_exec_status *st);

/*
 * Decodes a guest-file-read return value into a malloc'd buffer (*buf,
 * *len) and its eof flag; -1 with a reason if malformed.
 */
int qga_file_read_decode(const json_t *ret, unsigned char **buf,
    size_t *len, bool *eof, char *why, size_t whylen);

/*
 * True if an agent version "X.Y.Z" is at least major.minor, compared as a
 * tuple (9.0 is newer than 8.1).  An unreadable version is not.
 */
bool qga_version_at_least(const char *version, int major, int minor);

#endif
