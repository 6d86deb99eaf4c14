#include <sys/random.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "jsonl.h"
#include "qga.h"

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

static enum qmp_status
lr_to_qmp(struct qmp *q, enum lr_status st)
{
	switch (st) {
	case LR_LINE:
		return QMP_OK;
	case LR_EOF:
		snprintf(q->why, sizeof(q->why), "the connection was closed");
		return QMP_CLOSED;
	case LR_TIMEOUT:
		snprintf(q->why, sizeof(q->why), "the agent did not answer");
		return QMP_TIMEOUT;
	case LR_TOO_LONG:
		snprintf(q->why, sizeof(q->why), "a reply is longer than 64 MiB");
		return QMP_BROKEN;
	case LR_ERROR:
		break;
	}
	if (errno == ECONNRESET) {
		snprintf(q->why, sizeof(q->why), "the connection was reset");
		return QMP_CLOSED;
	}
	snprintf(q->why, sizeof(q->why), "read: %s", strerror(errno));
	return QMP_IO;
}

enum qmp_status
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
	if (sock_send_all(q->fd, request, n, d) < 0) {
		snprintf(q->why, sizeof(q->why), "write: %s", strerror(errno));
		return errno == ETIMEDOUT ? QMP_TIMEOUT : QMP_CLOSED;
	}
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
			return lr_to_qmp(q, st);
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
		deadline_sleep_ms(until, 100);
	}
}

enum qmp_status
qga_call_batch(struct qmp *q, struct qga_call *calls, size_t n,
    struct deadline d)
{
	const char *class, *desc;
	enum qmp_status st = QMP_OK;
	json_t *cmds[16], *id, *reply;
	size_t i, sent = 0;

	if (n > sizeof(cmds) / sizeof(cmds[0])) {
		snprintf(q->why, sizeof(q->why), "a batch of more than %zu calls",
		    sizeof(cmds) / sizeof(cmds[0]));
		return QMP_IO;
	}
	for (i = 0; i < n; i++) {
		calls[i].ret = NULL;
		calls[i].why[0] = '\0';
		calls[i].status = QMP_IO;
		cmds[i] = qmp_command(calls[i].name, calls[i].args);
		calls[i].args = NULL;
		if (cmds[i] == NULL) {
			snprintf(q->why, sizeof(q->why), "%s: cannot build the "
			    "request (a string that is not UTF-8?)",
			    calls[i].name);
			st = QMP_IO;
			goto out;
		}
		sent = i + 1;
		st = qmp_send(q, cmds[i], &id, d);
		if (st != QMP_OK)
			goto out;
	}
	for (i = 0; i < n; i++) {
		st = qmp_await_reply(q, json_object_get(cmds[i], "id"), d,
		    &reply);
		if (st != QMP_OK)
			goto out;
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
out:
	for (i = 0; i < sent; i++)
		json_decref(cmds[i]);
	for (i = sent; i < n; i++)
		json_decref(calls[i].args);
	return st;
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
	if (q->fd >= 0) {
		sock_close_gently(q->fd, deadline_in_ms(1000));
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
	*buf = malloc(base64_decoded_max(n) + 1);
	if (*buf == NULL) {
		snprintf(why, whylen, "out of memory for '%s'", key);
		return -1;
	}
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
	return 0;
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
