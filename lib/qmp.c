#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonl.h"
#include "qmp.h"
#include "sock.h"

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

static enum qmp_status
fail(struct qmp *q, enum qmp_status st, const char *fmt, const char *arg)
{
	snprintf(q->why, sizeof(q->why), fmt, arg);
	return st;
}

enum qmp_status
qmp_read_message(struct qmp *q, struct deadline d, json_t **message)
{
	char *line, excerpt[80], text[256];
	json_error_t jerr;
	size_t len;
	json_t *m, *id;

	*message = NULL;
	for (;;) {
		switch (lr_read_line(&q->in, d, &line, &len)) {
		case LR_LINE:
			break;
		case LR_EOF:
			return fail(q, QMP_CLOSED, "%s",
			    lr_pending(&q->in) > 0 ?
			    "the connection closed in the middle of a message" :
			    "the connection was closed");
		case LR_TIMEOUT:
			return fail(q, QMP_TIMEOUT, "%s", "no message in time");
		case LR_TOO_LONG:
			return fail(q, QMP_BROKEN, "%s",
			    "a message is longer than 64 MiB");
		case LR_ERROR:
			if (errno == ECONNRESET)
				return fail(q, QMP_CLOSED, "%s",
				    "the connection was reset");
			return fail(q, QMP_IO, "read: %s", strerror(errno));
		}
		/* Blank lines are whitespace between messages. */
		if (strspn(line, " \t\r") != len)
			break;
	}
	m = jsonl_parse(line, len, &jerr);
	if (m == NULL) {
		snprintf(q->why, sizeof(q->why), "not JSON (%s): %s",
		    jsonl_error_text(&jerr, text, sizeof(text)),
		    jsonl_excerpt(line, len, excerpt, sizeof(excerpt)));
		return QMP_BROKEN;
	}
	if (!json_is_object(m)) {
		json_decref(m);
		return fail(q, QMP_BROKEN, "not a JSON object: %s",
		    jsonl_excerpt(line, len, excerpt, sizeof(excerpt)));
	}
	id = json_object_get(m, "id");
	if (id == NULL && json_object_get(m, "error") != NULL) {
		const char *class = "?", *desc = "?";

		qmp_reply_error(m, &class, &desc);
		snprintf(q->why, sizeof(q->why),
		    "QEMU could not read a command: %s: %s", class, desc);
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
		snprintf(q->why, sizeof(q->why),
		    "expected the QMP greeting, got %.100s",
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
		return fail(q, QMP_IO, "%s", "out of memory");
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
			return fail(q, QMP_IO, "%s", "out of memory");
	}
	text = jsonl_encode(command, &len);
	if (text == NULL)
		return fail(q, QMP_IO, "%s",
		    "cannot encode the command (a string not UTF-8?)");
	rc = sock_send_all(q->fd, text, len, d);
	free(text);
	if (rc == 0)
		return QMP_OK;
	if (errno == ETIMEDOUT)
		return fail(q, QMP_TIMEOUT, "%s", "the peer does not read");
	if (errno == EPIPE || errno == ECONNRESET)
		return fail(q, QMP_CLOSED, "%s", "the connection was closed");
	return fail(q, QMP_IO, "write: %s", strerror(errno));
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
				return fail(q, QMP_BROKEN, "%s",
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
