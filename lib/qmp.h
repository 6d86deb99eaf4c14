/*
 * qmp: a QMP client session over a connected socket.  It owns the
 * protocol: the greeting, capabilities negotiation, ids on commands,
 * matching replies to them, and telling events, replies and garbage apart.
 * It prints nothing; a failed call leaves a one-line reason in q->why.
 */
#ifndef VT_QMP_H
#define VT_QMP_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "deadline.h"
#include "linereader.h"

enum qmp_status {
	QMP_OK,
	QMP_REFUSED,	/* an error reply where the protocol needs success */
	QMP_CLOSED,	/* the peer closed or reset the connection */
	QMP_TIMEOUT,	/* the deadline passed */
	QMP_BROKEN,	/* the peer broke the protocol */
	QMP_IO,		/* a local failure: memory, a request not UTF-8 */
	QMP_STOPPED,	/* a stop came first (stop.h) */
};

/* Called for every event read while awaiting something else. */
typedef void qmp_event_fn(json_t *event, void *arg);

struct qmp {
	int fd;
	/*
	 * QMP_OK while the connection can carry more; else what broke it
	 * (closed, broken, a timeout the caller gave up on, a request cut
	 * off by a stop).  Nothing more is sent on a failed connection.
	 */
	enum qmp_status failure;
	struct line_reader in;
	json_t *greeting;
	json_int_t next_id;
	qmp_event_fn *on_event;
	void *event_arg;
	char why[512];
};

/* QEMU refuses messages over 64 MiB; replies are allowed the same. */
#define QMP_MAX_LINE (64u << 20)

void qmp_init(struct qmp *q, int fd);
void qmp_close(struct qmp *q);

/*
 * The exit status for a status, as the table in every man page has it:
 * OK 0, REFUSED 1, CLOSED 69, BROKEN 76, IO 71, TIMEOUT 124, and STOPPED
 * 128 plus the stop signal's number, or 69 if the stop was a watched
 * process's end (QEMU's).
 */
int qmp_exit_status(enum qmp_status st);

/*
 * Records a failure of the connection: st in q->failure (the first one
 * stays) and the printf-formatted reason in q->why.  Returns st.
 */
enum qmp_status qmp_fail(struct qmp *q, enum qmp_status st,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The status of a line read that did not give a line, failing q. */
enum qmp_status qmp_read_failed(struct qmp *q, enum lr_status st);

/* Reads the greeting, {"QMP":{...}}, the one message before negotiation. */
enum qmp_status qmp_read_greeting(struct qmp *q, struct deadline d);

/* Sends qmp_capabilities (enabling out-of-band if asked) and awaits it. */
enum qmp_status qmp_negotiate(struct qmp *q, bool oob, struct deadline d);

/*
 * Sends a command object ({"execute":...} or {"exec-oob":...}).  A
 * command without an "id" is given a fresh one.  *id (borrowed from
 * command, valid while it lives) is what the reply will carry.  A stop
 * while the peer does not read leaves a request half sent: QMP_STOPPED,
 * and the connection failed.
 */
enum qmp_status qmp_send(struct qmp *q, json_t *command, json_t **id,
    struct deadline d);

/*
 * Reads messages until the reply carrying id, handing events to
 * q->on_event and dropping replies to other ids.  An error reply is a
 * reply: QMP_OK, with qmp_reply_error() to tell.
 */
enum qmp_status qmp_await_reply(struct qmp *q, const json_t *id,
    struct deadline d, json_t **reply);

/*
 * Reads the next message, whatever it is.  A line that is not a JSON
 * object, or an error without an id (QEMU could not read a command at
 * all), is QMP_BROKEN.  A timeout or a stop leaves the connection as it
 * was: a message arriving in pieces is kept for the next call.
 */
enum qmp_status qmp_read_message(struct qmp *q, struct deadline d,
    json_t **message);

/* {"execute": name, "arguments": arguments} (arguments stolen, may be NULL). */
json_t *qmp_command(const char *name, json_t *arguments);

/* The command's name, from "execute" or "exec-oob"; NULL if neither. */
const char *qmp_command_name(const json_t *command);

/* True if reply is an error reply; class and desc point into it. */
bool qmp_reply_error(const json_t *reply, const char **class,
    const char **desc);

bool qmp_is_event(const json_t *message);

#endif
