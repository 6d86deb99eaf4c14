#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "jsonl.h"
#include "parse.h"
#include "session.h"
#include "stop.h"

static void on_event(json_t *event, void *arg);

void
session_init(struct session *s, int fd)
{
	qmp_init(&s->qmp, fd);
	s->qmp.on_event = on_event;
	s->qmp.event_arg = s;
}

static struct deadline
wait_deadline(const struct session *s)
{
	return deadline_in_ms(s->timeout_ms);
}

static void
print_json(const struct session *s, const json_t *value)
{
	if (jsonl_write(stdout, value, s->pretty) < 0)
		die_errno(EXIT_LOCAL, "stdout");
}

static void
on_event(json_t *event, void *arg)
{
	struct session *s = arg;
	bool awaited = s->awaited != NULL && !s->awaited_seen &&
	    match_event(s->awaited, event);

	if (s->print_events || awaited)
		print_json(s, event);
	if (awaited)
		s->awaited_seen = true;
}

int
session_fail(struct session *s, enum qmp_status st, const char *doing)
{
	char timeout[32];

	switch (st) {
	case QMP_OK:
	case QMP_STOPPED:
		break;
	case QMP_REFUSED:
		error_msg("%s: %s", s->sock, s->qmp.why);
		break;
	case QMP_TIMEOUT:
		error_msg("%s: no answer %s within %s", s->sock, doing,
		    format_duration_ms(s->timeout_ms, timeout, sizeof(timeout)));
		break;
	case QMP_BROKEN:
		error_msg("%s: protocol error %s: %s", s->sock, doing,
		    s->qmp.why);
		break;
	case QMP_CLOSED:
		error_msg("%s: QEMU closed the connection %s (%s)", s->sock,
		    doing, s->qmp.why);
		break;
	case QMP_IO:
		error_msg("%s: %s %s", s->sock, s->qmp.why, doing);
		break;
	}
	return qmp_exit_status(st);
}

/* HMP text comes with CRLF line ends; a terminal and a pipe want LF. */
static void
print_hmp_text(const char *text)
{
	if (text == NULL)
		text = "";
	for (; *text != '\0'; text++) {
		if (text[0] == '\r' && text[1] == '\n')
			continue;
		putchar(*text);
	}
	if (fflush(stdout) != 0)
		die_errno(EXIT_LOCAL, "stdout");
}

int
session_run(struct session *s, json_t *command, bool is_hmp)
{
	const char *name = qmp_command_name(command), *class, *desc;
	char doing[128];
	enum qmp_status st;
	json_t *id, *reply = NULL;
	struct deadline d = wait_deadline(s);
	bool quitting = strcmp(name, "quit") == 0;

	snprintf(doing, sizeof(doing), "to %s", name);
	st = qmp_send(&s->qmp, command, &id, d);
	if (st == QMP_OK)
		st = qmp_await_reply(&s->qmp, id, d, &reply);
	if (st == QMP_CLOSED && quitting) {
		/*
		 * QEMU may close the socket before its reply to quit is
		 * read: that is quit succeeding.  Print what it returns.
		 */
		reply = json_pack("{s:{},s:O}", "return", "id", id);
		s->qemu_gone = true;
		st = QMP_OK;
	}
	if (st != QMP_OK)
		return session_fail(s, st, doing);
	if (quitting && !qmp_reply_error(reply, &class, &desc))
		s->qemu_gone = true;

	if (qmp_reply_error(reply, &class, &desc)) {
		error_msg("%s: %s: %s", name, class, desc);
		s->failures++;
		if (s->full)
			print_json(s, reply);
	} else if (s->full)
		print_json(s, reply);
	else if (is_hmp)
		print_hmp_text(json_string_value(json_object_get(reply,
		    "return")));
	else
		print_json(s, json_object_get(reply, "return"));
	json_decref(reply);
	return s->failures > 0 && !s->keep_going ? EXIT_REFUSED : EXIT_OK;
}

/*
 * Reads one message: an event goes to on_event, a reply to nobody's
 * command is dropped.
 */
static enum qmp_status
dispatch_next(struct session *s, struct deadline d)
{
	enum qmp_status st;
	json_t *m;

	st = qmp_read_message(&s->qmp, d, &m);
	if (st != QMP_OK)
		return st;
	if (qmp_is_event(m))
		on_event(m, s);
	json_decref(m);
	return QMP_OK;
}

/*
 * While no command line is waiting on fd, reads what QEMU sends: events
 * are printed as they come, not when the next command happens to run.
 */
static int
idle_until_input(struct session *s, struct line_reader *in)
{
	struct pollfd fds[2] = {
		{ .fd = in->fd, .events = POLLIN },
		{ .fd = s->qmp.fd, .events = POLLIN },
	};
	enum qmp_status st;

	while (!lr_has_line(in) && !in->eof) {
		if (!s->qemu_gone && !lr_has_line(&s->qmp.in)) {
			if (stop_poll(fds, 2, DEADLINE_NEVER) < 0)
				return session_fail(s, errno == EINTR ?
				    QMP_STOPPED : QMP_IO, "between commands");
			if (fds[0].revents != 0)
				return EXIT_OK;
			if (fds[1].revents == 0)
				continue;
		}
		if (s->qemu_gone)
			return EXIT_OK;
		st = dispatch_next(s, deadline_in_ms(0));
		if (st == QMP_CLOSED)
			s->qemu_gone = true;
		else if (st != QMP_OK && st != QMP_TIMEOUT)
			return session_fail(s, st, "between commands");
		/* A timeout here is part of a message: the rest follows. */
	}
	return EXIT_OK;
}

static json_t *
parse_command_line(const char *line, size_t len, unsigned lineno)
{
	char text[256];
	json_error_t jerr;
	json_t *cmd;

	cmd = jsonl_parse(line, len, &jerr);
	if (cmd == NULL)
		die(EXIT_USAGE, "stdin:%u: %s", lineno,
		    jsonl_error_text(&jerr, text, sizeof(text)));
	if (!json_is_object(cmd) || qmp_command_name(cmd) == NULL)
		die(EXIT_USAGE, "stdin:%u: expected a command object, "
		    "{\"execute\": NAME, ...}", lineno);
	return cmd;
}

int
session_run_stream(struct session *s, int fd)
{
	struct line_reader in;
	unsigned lineno = 0;
	enum lr_status st;
	size_t len;
	char *line;
	json_t *cmd;
	int rc = EXIT_OK;

	lr_init(&in, fd, QMP_MAX_LINE);
	while (rc == EXIT_OK) {
		rc = idle_until_input(s, &in);
		if (rc != EXIT_OK)
			break;
		st = lr_read_line(&in, DEADLINE_NEVER, &line, &len);
		if (st == LR_EOF && lr_pending(&in) > 0)
			st = lr_take_rest(&in, &line, &len);
		if (st == LR_EOF)
			break;
		if (st == LR_TOO_LONG)
			die(EXIT_USAGE, "stdin:%u: line longer than 64 MiB",
			    lineno + 1);
		if (st == LR_STOPPED)
			return session_fail(s, QMP_STOPPED, "reading stdin");
		if (st != LR_LINE)
			die_errno(EXIT_LOCAL, "stdin");
		lineno++;
		if (strspn(line, " \t") == len || line[strspn(line, " \t")] == '#')
			continue;
		cmd = parse_command_line(line, len, lineno);
		if (s->qemu_gone) {
			error_msg("%s: QEMU closed the connection; "
			    "stdin:%u was not sent", s->sock, lineno);
			rc = EXIT_UNREACHABLE;
		} else
			rc = session_run(s, cmd, false);
		json_decref(cmd);
	}
	lr_free(&in);
	if (rc == EXIT_OK && s->failures > 0)
		rc = EXIT_REFUSED;
	return rc;
}

int
session_await_event(struct session *s)
{
	struct deadline d = wait_deadline(s);
	enum qmp_status st;
	char doing[128];

	snprintf(doing, sizeof(doing), "before the %s event",
	    match_name(s->awaited));
	while (!s->awaited_seen) {
		st = s->qemu_gone ? QMP_CLOSED : dispatch_next(s, d);
		if (st != QMP_OK)
			return session_fail(s, st, doing);
	}
	return EXIT_OK;
}

int
session_follow(struct session *s)
{
	struct deadline d = wait_deadline(s);
	enum qmp_status st;

	while (!s->qemu_gone) {
		st = dispatch_next(s, d);
		if (st == QMP_CLOSED)
			break;
		if (st == QMP_TIMEOUT)
			return EXIT_TIMEOUT;	/* as timeout(1): quietly */
		if (st != QMP_OK)
			return session_fail(s, st, "while following events");
	}
	return EXIT_OK;
}
