#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "jsonl.h"
#include "qmp.h"
#include "sock.h"
#include "stop.h"

void
qmp_init(struct qmp *q, int fd)
{
	memset(q, 0, sizeof(*q));
	q->fd = fd;
	q->next_id = 1;
	lr_init(&q->in, fd, QMP_MAX_LINE);
}

void
qmp_close(struct qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	lr_free(&q->in);
	json_decref(q->greeting);
	q->greeting = NULL;
}

int
qmp_exit_status(enum qmp_status st)
{
	int sig;

	switch (st) {
	case QMP_OK:
		return EXIT_OK;
	case QMP_REFUSED:
		return EXIT_REFUSED;
	case QMP_CLOSED:
		return EXIT_UNREACHABLE;
	case QMP_TIMEOUT:
		return EXIT_TIMEOUT;
	case QMP_BROKEN:
		return EXIT_PROTOCOL;
	case QMP_IO:
		return EXIT_LOCAL;
	case QMP_STOPPED:
		sig = stop_signal();
		return sig != 0 ? EXIT_SIGNAL_BASE + sig : EXIT_UNREACHABLE;
	}
	return EXIT_LOCAL;
}

enum qmp_status
qmp_fail(struct qmp *q, enum qmp_status st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q->why, sizeof(q->why), fmt, ap);
	va_end(ap);
	if (q->failure == QMP_OK)
		q->failure = st;
	return st;
}

/* A reason without a failure: the connection is as good as before. */
static enum qmp_status
say(struct qmp *q, enum qmp_status st, const char *why)
{
	snprintf(q->why, sizeof(q->why), "%s", why);
	return st;
}

/* Socket errors that mean the peer or the path to it is gone. */
static bool
peer_gone(int err)
{
	return err == ECONNRESET || err == EPIPE || err == ENOTCONN ||
	    err == ECONNABORTED || err == ETIMEDOUT || err == EHOSTUNREACH ||
	    err == ENETUNREACH || err == ENETDOWN || err == EHOSTDOWN;
}

enum qmp_status
qmp_read_failed(struct qmp *q, enum lr_status st)
{
	switch (st) {
	case LR_LINE:
		return QMP_OK;
	case LR_EOF:
		return qmp_fail(q, QMP_CLOSED, "%s", lr_pending(&q->in) > 0 ?
		    "the connection closed in the middle of a message" :
		    "the connection was closed");
	case LR_TIMEOUT:
		return say(q, QMP_TIMEOUT, "no message in time");
	case LR_STOPPED:
		return say(q, QMP_STOPPED, "stopped");
	case LR_TOO_LONG:
		return qmp_fail(q, QMP_BROKEN,
		    "a message is longer than 64 MiB");
	case LR_ERROR:
		break;
	}
	if (errno == ECONNRESET)
		return qmp_fail(q, QMP_CLOSED, "the connection was reset");
	return qmp_fail(q, peer_gone(errno) ? QMP_CLOSED : QMP_IO, "read: %s",
	    strerror(errno));
}

enum qmp_status
qmp_read_message(struct qmp *q, struct deadline d, json_t **message)
{
	char *line, excerpt[80], text[256];
	enum lr_status st;
	json_error_t jerr;
	size_t len;
	json_t *m, *id;

	*message = NULL;
	for (;;) {
		st = lr_read_line(&q->in, d, &line, &len);
		if (st != LR_LINE)
			return qmp_read_failed(q, st);
		/* Blank lines are whitespace between messages. */
		if (strspn(line, " \t\r") != len)
			break;
	}
	m = jsonl_parse(line, len, &jerr);
	if (m == NULL)
		return qmp_fail(q, QMP_BROKEN, "not JSON (%s): %s",
		    jsonl_error_text(&jerr, text, sizeof(text)),
		    jsonl_excerpt(line, len, excerpt, sizeof(excerpt)));
	if (!json_is_object(m)) {
		json_decref(m);
		return qmp_fail(q, QMP_BROKEN, "not a JSON object: %s",
		    jsonl_excerpt(line, len, excerpt, sizeof(excerpt)));
	}
	id = json_object_get(m, "id");
	if (id == NULL && json_object_get(m, "error") != NULL) {
		const char *class = "?", *desc = "?";

		qmp_reply_error(m, &class, &desc);
		qmp_fail(q, QMP_BROKEN, "QEMU could not read a command: %s: %s",
		    class, desc);
		json_decref(m);
		return QMP_BROKEN;
	}
	*message = m;
	return QMP_OK;
}

enum qmp_status
qmp_read_greeting(struct qmp *q, struct deadline d)
{
	enum qmp_status st;
	json_t *m;
	char *text;

	st = qmp_read_message(q, d, &m);
	if (st != QMP_OK)
		return st;
	if (!json_is_object(json_object_get(m, "QMP"))) {
		text = json_dumps(m, JSON_COMPACT);
		qmp_fail(q, QMP_BROKEN, "expected the QMP greeting, got %.100s",
		    text != NULL ? text : "?");
		free(text);
		json_decref(m);
		return QMP_BROKEN;
	}
	q->greeting = m;
	return QMP_OK;
}

enum qmp_status
qmp_negotiate(struct qmp *q, bool oob, struct deadline d)
{
	const char *class, *desc;
	enum qmp_status st;
	json_t *cmd, *args = NULL, *id, *reply;

	if (oob)
		args = json_pack("{s:[s]}", "enable", "oob");
	cmd = qmp_command("qmp_capabilities", args);
	if (cmd == NULL)
		return say(q, QMP_IO, "out of memory");
	st = qmp_send(q, cmd, &id, d);
	if (st == QMP_OK)
		st = qmp_await_reply(q, id, d, &reply);
	json_decref(cmd);
	if (st != QMP_OK)
		return st;
	if (qmp_reply_error(reply, &class, &desc)) {
		snprintf(q->why, sizeof(q->why),
		    "qmp_capabilities: %s: %s", class, desc);
		st = QMP_REFUSED;
	}
	json_decref(reply);
	return st;
}

enum qmp_status
qmp_send(struct qmp *q, json_t *command, json_t **id, struct deadline d)
{
	size_t len;
	char *text;
	int rc;

	*id = json_object_get(command, "id");
	if (*id == NULL) {
		*id = json_integer(q->next_id++);
		if (*id == NULL || json_object_set_new(command, "id", *id) < 0)
			return say(q, QMP_IO, "out of memory");
	}
	text = jsonl_encode(command, &len);
	if (text == NULL)
		return say(q, QMP_IO,
		    "cannot encode the command (a string not UTF-8?)");
	rc = sock_send_all(q->fd, text, len, d);
	free(text);
	if (rc == 0)
		return QMP_OK;
	/* Whatever the reason, part of the request may be on its way. */
	if (errno == EINTR)
		return qmp_fail(q, QMP_STOPPED, "stopped while sending");
	if (errno == ETIMEDOUT)
		return qmp_fail(q, QMP_TIMEOUT, "the peer does not read");
	if (errno == EPIPE || errno == ECONNRESET)
		return qmp_fail(q, QMP_CLOSED, "the connection was closed");
	return qmp_fail(q, peer_gone(errno) ? QMP_CLOSED : QMP_IO, "write: %s",
	    strerror(errno));
}

enum qmp_status
qmp_await_reply(struct qmp *q, const json_t *id, struct deadline d,
    json_t **reply)
{
	enum qmp_status st;
	json_t *m;

	*reply = NULL;
	for (;;) {
		st = qmp_read_message(q, d, &m);
		if (st != QMP_OK)
			return st;
		if (qmp_is_event(m)) {
			if (q->on_event != NULL)
				q->on_event(m, q->event_arg);
			json_decref(m);
			continue;
		}
		if (json_equal(json_object_get(m, "id"), id)) {
			if (json_object_get(m, "return") == NULL &&
			    json_object_get(m, "error") == NULL) {
				json_decref(m);
				return qmp_fail(q, QMP_BROKEN,
				    "a reply with neither return nor error");
			}
			*reply = m;
			return QMP_OK;
		}
		/* A reply to somebody else's command: not ours to judge. */
		json_decref(m);
	}
}

json_t *
qmp_command(const char *name, json_t *arguments)
{
	json_t *cmd = json_object();

	if (cmd == NULL || json_object_set_new(cmd, "execute",
	    json_string(name)) < 0) {
		json_decref(cmd);
		json_decref(arguments);
		return NULL;
	}
	if (arguments != NULL &&
	    json_object_set_new(cmd, "arguments", arguments) < 0) {
		json_decref(cmd);
		return NULL;
	}
	return cmd;
}

const char *
qmp_command_name(const json_t *command)
{
	const char *name = json_string_value(json_object_get(command,
	    "execute"));

	if (name == NULL)
		name = json_string_value(json_object_get(command, "exec-oob"));
	return name;
}

bool
qmp_reply_error(const json_t *reply, const char **class, const char **desc)
{
	json_t *err = json_object_get(reply, "error");
	const char *s;

	if (err == NULL)
		return false;
	s = json_string_value(json_object_get(err, "class"));
	*class = s != NULL ? s : "UnknownError";
	s = json_string_value(json_object_get(err, "desc"));
	*desc = s != NULL ? s : "(no description)";
	return true;
}

bool
qmp_is_event(const json_t *message)
{
	return json_is_string(json_object_get(message, "event"));
}
