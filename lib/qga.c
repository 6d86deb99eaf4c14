#include <sys/random.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "diag.h"
#include "jsonl.h"
#include "qga.h"
#include "xalloc.h"
#include "stop.h"

/* A fresh id below 2^53, exact in every JSON implementation. */
static json_int_t
random_sync_id(void)
{
	uint64_t r = 0;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint64_t)monotonic_ns() ^ ((uint64_t)getpid() << 32);
	r &= (UINT64_C(1) << 53) - 1;
	return r == 0 ? 1 : (json_int_t)r;
}

/*
 * A read that timed out here means an agent that does not answer: the
 * connection is given up, and nothing more is sent on it.
 */
static enum qmp_status
read_failed(struct qmp *q, enum lr_status st)
{
	enum qmp_status qs = qmp_read_failed(q, st);

	if (qs == QMP_TIMEOUT)
		return qmp_fail(q, qs, "the agent did not answer");
	return qs;
}

/* One guest-sync-delimited exchange on an open connection. */
static enum qmp_status
qga_sync(struct qmp *q, struct deadline d)
{
	json_int_t id = random_sync_id();
	char request[128], *line;
	enum lr_status st;
	json_error_t jerr;
	json_t *m;
	size_t len;
	int n;

	n = snprintf(request, sizeof(request), "\xff{\"execute\":"
	    "\"guest-sync-delimited\",\"arguments\":{\"id\":%" JSON_INTEGER_FORMAT
	    "}}\n", id);
	if (sock_send_all(q->fd, request, n, d) < 0)
		return qmp_fail(q, errno == ETIMEDOUT ? QMP_TIMEOUT :
		    errno == EINTR ? QMP_STOPPED : QMP_CLOSED, "write: %s",
		    strerror(errno));
	/*
	 * Anything before the agent's 0xFF is stale: replies meant for an
	 * earlier client, the error our own 0xFF provokes, or garbage.  Older
	 * sync replies may come first too, each after its own 0xFF.
	 */
	for (;;) {
		st = lr_skip_past(&q->in, 0xff, d);
		if (st == LR_LINE)
			st = lr_read_line(&q->in, d, &line, &len);
		if (st != LR_LINE)
			return read_failed(q, st);
		m = jsonl_parse(line, len, &jerr);
		if (json_integer_value(json_object_get(m, "return")) == id) {
			json_decref(m);
			return QMP_OK;
		}
		json_decref(m);
	}
}

enum qmp_status
qga_open(struct qmp *q, const struct sock_addr *addr, struct deadline until)
{
	struct deadline attempt;
	enum qmp_status st;
	char why[sizeof(q->why)];
	bool first = true;
	int fd;

	for (;;) {
		fd = sock_connect(addr, until);
		if (fd < 0 && errno == EINTR) {
			snprintf(q->why, sizeof(q->why), "stopped");
			return QMP_STOPPED;
		}
		if (fd < 0) {
			snprintf(q->why, sizeof(q->why), "cannot connect: %s",
			    strerror(errno));
			return QMP_CLOSED;
		}
		qmp_init(q, fd);
		/* Each attempt gets its time; `until` only ends the retrying. */
		attempt = deadline_in_ms(QGA_SYNC_ATTEMPT_MS);
		if (!first)
			attempt = deadline_min(attempt, until);
		first = false;
		st = qga_sync(q, attempt);
		if (st == QMP_OK)
			return st;
		memcpy(why, q->why, sizeof(why));
		qga_close(q);
		memcpy(q->why, why, sizeof(why));
		if (deadline_passed(until) || (st != QMP_TIMEOUT &&
		    st != QMP_CLOSED))
			return st;
		/* The agent is not up yet (a booting guest): try again. */
		if (stop_poll(NULL, 0, deadline_min(until,
		    deadline_in_ms(100))) < 0) {
			snprintf(q->why, sizeof(q->why), "stopped");
			return QMP_STOPPED;
		}
	}
}

/*
 * Awaits the replies of calls[from..n-1], in order, until d; a call
 * answered is QMP_OK (its return in ret) or QMP_REFUSED (its reason in
 * why).  The calls a stop leaves unanswered are QMP_STOPPED, for
 * qga_call_batch_resume.
 */
static enum qmp_status
await_calls(struct qmp *q, struct qga_call *calls, size_t from, size_t n,
    struct deadline d)
{
	const char *class, *desc;
	enum qmp_status st;
	json_t *id, *reply;
	size_t i;

	for (i = from; i < n; i++) {
		id = json_integer(calls[i].id);
		st = id != NULL ? qmp_await_reply(q, id, d, &reply) : QMP_IO;
		json_decref(id);
		if (st == QMP_TIMEOUT)
			st = qmp_fail(q, st, "the agent did not answer");
		if (st != QMP_OK) {
			for (; i < n; i++)
				calls[i].status = st;
			return st;
		}
		calls[i].status = QMP_OK;
		if (qmp_reply_error(reply, &class, &desc)) {
			snprintf(calls[i].why, sizeof(calls[i].why), "%s: %s",
			    class, desc);
			calls[i].status = QMP_REFUSED;
		} else
			calls[i].ret = json_incref(json_object_get(reply,
			    "return"));
		json_decref(reply);
	}
	return QMP_OK;
}

enum qmp_status
qga_call_batch(struct qmp *q, struct qga_call *calls, size_t n,
    struct deadline d)
{
	enum qmp_status st = QMP_OK;
	json_t *args, *cmd, *id;
	size_t i;

	for (i = 0; i < n; i++) {
		calls[i].ret = NULL;
		calls[i].why[0] = '\0';
		calls[i].status = QMP_IO;
		calls[i].id = 0;
	}
	if (n > QGA_BATCH_MAX) {
		snprintf(q->why, sizeof(q->why), "a batch of more than %d "
		    "calls", QGA_BATCH_MAX);
		st = QMP_IO;
	} else if (q->failure != QMP_OK)
		st = q->failure;	/* q->why still says what broke it */
	/* All requests go out before any reply is read: one round trip. */
	for (i = 0; i < n; i++) {
		args = calls[i].args;
		calls[i].args = NULL;
		if (st != QMP_OK) {
			json_decref(args);
			calls[i].status = st;
			continue;
		}
		cmd = qmp_command(calls[i].name, args);
		if (cmd == NULL) {
			snprintf(q->why, sizeof(q->why), "%s: cannot build the "
			    "request (a string that is not UTF-8?)",
			    calls[i].name);
			st = calls[i].status = QMP_IO;
			continue;
		}
		/* Replies to what went before a failure are skipped later. */
		st = qmp_send(q, cmd, &id, d);
		if (st == QMP_OK)
			calls[i].id = json_integer_value(id);
		else
			calls[i].status = st;
		json_decref(cmd);
	}
	if (st != QMP_OK)
		return st;
	return await_calls(q, calls, 0, n, d);
}

enum qmp_status
qga_call_batch_resume(struct qmp *q, struct qga_call *calls, size_t n,
    struct deadline d)
{
	size_t i;

	for (i = 0; i < n && calls[i].status != QMP_STOPPED; i++)
		;
	if (i == n)
		return QMP_OK;
	if (q->failure != QMP_OK)
		return q->failure;
	/* A call that never went out has nothing to await. */
	if (calls[i].id == 0)
		return QMP_STOPPED;
	return await_calls(q, calls, i, n, d);
}

void
qga_call_batch_free(struct qga_call *calls, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		json_decref(calls[i].ret);
		calls[i].ret = NULL;
	}
}

enum qmp_status
qga_call(struct qmp *q, const char *name, json_t *args, struct deadline d,
    json_t **ret)
{
	struct qga_call call = { .name = name, .args = args };
	enum qmp_status st;

	st = qga_call_batch(q, &call, 1, d);
	if (st == QMP_OK && call.status == QMP_REFUSED) {
		snprintf(q->why, sizeof(q->why), "%s", call.why);
		st = QMP_REFUSED;
	}
	if (ret != NULL)
		*ret = call.ret;
	else
		json_decref(call.ret);
	return st;
}

void
qga_close(struct qmp *q)
{
	/* A failed connection has no replies worth waiting for. */
	if (q->fd >= 0 && q->failure == QMP_OK) {
		sock_close_gently(q->fd, deadline_in_ms(QGA_CLOSE_MS));
		q->fd = -1;
	}
	qmp_close(q);
}

/* Decodes the base64 string member key of obj; absent is empty. */
static int
decode_member(const json_t *obj, const char *key, unsigned char **buf,
    size_t *len, char *why, size_t whylen)
{
	const json_t *v = json_object_get(obj, key);
	size_t n;

	*buf = NULL;
	*len = 0;
	if (v == NULL)
		return 0;
	if (!json_is_string(v)) {
		snprintf(why, whylen, "'%s' is not a string", key);
		return -1;
	}
	n = json_string_length(v);
	*buf = xmalloc(base64_decoded_max(n) + 1);
	if (base64_decode(json_string_value(v), n, *buf, len) < 0) {
		snprintf(why, whylen, "'%s' is not base64", key);
		free(*buf);
		*buf = NULL;
		return -1;
	}
	return 0;
}

static int
optional_int(const json_t *obj, const char *key, bool *has, int *value,
    char *why, size_t whylen)
{
	const json_t *v = json_object_get(obj, key);

	*has = v != NULL;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < INT32_MIN ||
	    json_integer_value(v) > INT32_MAX) {
		snprintf(why, whylen, "'%s' is not a 32-bit integer", key);
		return -1;
	}
	*value = (int)json_integer_value(v);
	return 0;
}

static int
optional_bool(const json_t *obj, const char *key, bool *value, char *why,
    size_t whylen)
{
	const json_t *v = json_object_get(obj, key);

	*value = false;
	if (v == NULL)
		return 0;
	if (!json_is_boolean(v)) {
		snprintf(why, whylen, "'%s' is not a boolean", key);
		return -1;
	}
	*value = json_is_true(v);
	return 0;
}

int
qga_exec_status_decode(const json_t *ret, struct qga_exec_status *st,
    char *why, size_t whylen)
{
	memset(st, 0, sizeof(*st));
	if (!json_is_object(ret) ||
	    !json_is_boolean(json_object_get(ret, "exited"))) {
		snprintf(why, whylen, "a status without 'exited'");
		return -1;
	}
	st->exited = json_is_true(json_object_get(ret, "exited"));
	if (optional_int(ret, "exitcode", &st->has_exitcode, &st->exitcode,
	    why, whylen) < 0 ||
	    optional_int(ret, "signal", &st->has_signal, &st->signal, why,
	    whylen) < 0 ||
	    optional_bool(ret, "out-truncated", &st->out_truncated, why,
	    whylen) < 0 ||
	    optional_bool(ret, "err-truncated", &st->err_truncated, why,
	    whylen) < 0 ||
	    decode_member(ret, "out-data", &st->out, &st->out_len, why,
	    whylen) < 0 ||
	    decode_member(ret, "err-data", &st->err, &st->err_len, why,
	    whylen) < 0) {
		qga_exec_status_free(st);
		return -1;
	}
	if (st->exited && !st->has_exitcode && !st->has_signal) {
		snprintf(why, whylen, "an exited status with neither "
		    "'exitcode' nor 'signal'");
		qga_exec_status_free(st);
		return -1;
	}
	/*
	 * A process's status is 0..255 and Linux's signals are 1..64: any
	 * other number would become a status the command never had (256 a
	 * success, 200 a made-up 72).  Windows puts an NTSTATUS in 'signal'
	 * (above 2^31, refused above already).
	 */
	if (st->has_exitcode && (st->exitcode < 0 || st->exitcode > 255)) {
		snprintf(why, whylen, "'exitcode' %d is not a status (0..255)",
		    st->exitcode);
		qga_exec_status_free(st);
		return -1;
	}
	if (st->has_signal && (st->signal < 1 || st->signal > QGA_MAX_SIGNAL)) {
		snprintf(why, whylen, "'signal' %d is not a signal (1..%d)",
		    st->signal, QGA_MAX_SIGNAL);
		qga_exec_status_free(st);
		return -1;
	}
	return 0;
}

int
qga_exec_exit_status(const struct qga_exec_status *st)
{
	if (st->has_signal)
		return EXIT_SIGNAL_BASE + st->signal;
	return st->exitcode;
}

void
qga_exec_status_free(struct qga_exec_status *st)
{
	free(st->out);
	free(st->err);
	st->out = st->err = NULL;
	st->out_len = st->err_len = 0;
}

int
qga_file_read_decode(const json_t *ret, unsigned char **buf, size_t *len,
    bool *eof, char *why, size_t whylen)
{
	const json_t *count = json_object_get(ret, "count");

	*buf = NULL;
	*len = 0;
	if (!json_is_object(ret) || !json_is_string(json_object_get(ret,
	    "buf-b64")) || !json_is_integer(count)) {
		snprintf(why, whylen, "a file read without 'count' or 'buf-b64'");
		return -1;
	}
	if (optional_bool(ret, "eof", eof, why, whylen) < 0 ||
	    decode_member(ret, "buf-b64", buf, len, why, whylen) < 0)
		return -1;
	if ((json_int_t)*len != json_integer_value(count)) {
		snprintf(why, whylen, "a file read of %zu bytes that says %"
		    JSON_INTEGER_FORMAT, *len, json_integer_value(count));
		free(*buf);
		*buf = NULL;
		return -1;
	}
	return 0;
}

bool
qga_version_at_least(const char *version, int major, int minor)
{
	int have_major, have_minor;

	if (version == NULL ||
	    sscanf(version, "%d.%d", &have_major, &have_minor) != 2)
		return false;
	return have_major > major ||
	    (have_major == major && have_minor >= minor);
}
