#include <sys/random.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "parse.h"
#include "qga.h"
#include "run.h"

/* The most one guest-file-read asks for: 4 MiB, 5.6 MB of base64. */
#define READ_CHUNK (4 << 20)
/* While the command runs, at most this many reads of a stream a poll. */
#define RUNNING_READS 4
/* How long a command may outlive SIGKILL before we give up on it. */
#define KILL_GRACE_MS 10000
#define MAX_KILLERS 4

volatile sig_atomic_t run_stop_signal;

struct tail {
	json_int_t handle;		/* guest file handle, -1 if none */
	struct sink *sink;
	char path[256];
};

struct run {
	struct qmp *q;
	const struct request *r;
	const struct run_config *c;
	struct run_result *res;
	enum output_route route;
	struct tail out, err;
	json_int_t pid;
	json_int_t killers[MAX_KILLERS];	/* kill commands to reap */
	int nkillers;
	int stopping;			/* 0, 1 after SIGTERM, 2 after SIGKILL */
	int stop_reason;		/* a signal number, or 0 for the timeout */
	struct deadline stop_deadline;
	int64_t started_ns;		/* when guest-exec returned */
};

static struct deadline
rpc_deadline(const struct run *run)
{
	return deadline_in_ms(run->c->rpc_timeout_ms);
}

static enum qmp_status
rpc(struct run *run, const char *name, json_t *args, json_t **ret)
{
	return qga_call(run->q, name, args, rpc_deadline(run), ret);
}

/* The one line for a failed call, and the exit status it means. */
static int
fail(struct run *run, enum qmp_status st, const char *doing)
{
	const char *sock = run->c->sock, *why = run->q->why;
	char t[32];

	switch (st) {
	case QMP_REFUSED:
		error_msg("%s: %s: %s", sock, doing, why);
		return EXIT_REFUSED;
	case QMP_TIMEOUT:
		error_msg("%s: %s: the agent did not answer within %s", sock,
		    doing, format_duration_ms(run->c->rpc_timeout_ms, t,
		    sizeof(t)));
		return EXIT_UNREACHABLE;
	case QMP_BROKEN:
		error_msg("%s: %s: protocol error: %s", sock, doing, why);
		return EXIT_PROTOCOL;
	default:
		error_msg("%s: %s: the guest agent went away (%s)", sock,
		    doing, why);
		return EXIT_UNREACHABLE;
	}
}

static void
random_hex(char *out, size_t bytes)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[16] = { 0 };
	size_t i;

	if (bytes > sizeof(r) || getrandom(r, bytes, 0) != (ssize_t)bytes)
		for (i = 0; i < bytes && i < sizeof(r); i++)
			r[i] ^= (unsigned char)(monotonic_ns() >> (i % 8));
	for (i = 0; i < bytes && i < sizeof(r); i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[2 * i] = '\0';
}

/*
 * Creates the guest files for the command's output and keeps handles to
 * read them.  The names are random, so nothing can be waiting there, and
 * the agent creates files exclusively.  QMP_REFUSED means the directory
 * will not do (missing, read-only).
 */
static enum qmp_status
open_tails(struct run *run, bool both)
{
	struct tail *tails[2] = { &run->out, &run->err };
	struct qga_call calls[2];
	enum qmp_status st;
	char stem[33];
	size_t i, n = both ? 2 : 1;

	random_hex(stem, 16);
	for (i = 0; i < n; i++) {
		snprintf(tails[i]->path, sizeof(tails[i]->path),
		    "%s/qga-exec.%s.%s", run->c->tmpdir, stem, i ? "err" : "out");
		calls[i] = (struct qga_call){ .name = "guest-file-open",
		    .args = json_pack("{s:s,s:s}", "path", tails[i]->path,
		    "mode", "w+") };
	}
	st = qga_call_batch(run->q, calls, n, rpc_deadline(run));
	for (i = 0; st == QMP_OK && i < n; i++) {
		if (calls[i].status == QMP_REFUSED) {
			snprintf(run->q->why, sizeof(run->q->why), "%s",
			    calls[i].why);
			st = QMP_REFUSED;
		} else if (!json_is_integer(calls[i].ret)) {
			snprintf(run->q->why, sizeof(run->q->why),
			    "guest-file-open returned no handle");
			st = QMP_BROKEN;
		} else
			tails[i]->handle = json_integer_value(calls[i].ret);
	}
	qga_call_batch_free(calls, n);
	return st;
}

/*
 * Closes the output files and collects the given kill commands' statuses
 * (the agent keeps each until asked), in one round trip.
 */
static void
close_tails(struct run *run, const json_int_t *killers, int nkillers)
{
	struct tail *tails[2] = { &run->out, &run->err };
	struct qga_call calls[2 + MAX_KILLERS];
	size_t n = 0;
	int i;

	for (i = 0; i < 2; i++)
		if (tails[i]->handle >= 0) {
			calls[n++] = (struct qga_call){ .name = "guest-file-close",
			    .args = json_pack("{s:I}", "handle",
			    tails[i]->handle) };
			tails[i]->handle = -1;
		}
	for (i = 0; i < nkillers; i++)
		calls[n++] = (struct qga_call){ .name = "guest-exec-status",
		    .args = json_pack("{s:I}", "pid", killers[i]) };
	if (n > 0) {
		qga_call_batch(run->q, calls, n, rpc_deadline(run));
		qga_call_batch_free(calls, n);
	}
}

static void
put(struct sink *s, const void *data, size_t len)
{
	if (len == 0 || sink_put(s, data, len) == 0)
		return;
	/* Nobody reads our output any more: stop, as a pipeline would. */
	if (errno == EPIPE) {
		if (run_stop_signal == 0)
			run_stop_signal = SIGPIPE;
		return;
	}
	die(EXIT_REFUSED, "cannot write the command's output: %s",
	    strerror(errno));
}

static json_t *
read_args(const struct tail *t)
{
	return json_pack("{s:I,s:i}", "handle", t->handle, "count", READ_CHUNK);
}

/*
 * Hands one guest-file-read reply's bytes to t's sink.  Returns the
 * number of bytes (READ_CHUNK means there may be more), or -1 with the
 * exit status in *rc.
 */
static long
take_read(struct run *run, struct tail *t, const struct qga_call *call,
    int *rc)
{
	unsigned char *buf;
	char why[256];
	size_t len;
	bool eof;

	if (call->status != QMP_OK) {
		snprintf(run->q->why, sizeof(run->q->why), "%s", call->why);
		*rc = fail(run, call->status, "reading the command's output");
		return -1;
	}
	if (qga_file_read_decode(call->ret, &buf, &len, &eof, why,
	    sizeof(why)) < 0) {
		snprintf(run->q->why, sizeof(run->q->why), "%s", why);
		*rc = fail(run, QMP_BROKEN, "reading the command's output");
		return -1;
	}
	put(t->sink, buf, len);
	free(buf);
	return (long)len;
}

/*
 * Reads on after a full read.  While the command runs, a few reads at
 * most, so that a command writing as fast as the agent reads cannot keep
 * us from polling, and from stopping it; once it has exited, to the end.
 * Sets *more if output was left for the next poll.
 */
static int
drain(struct run *run, struct tail *t, bool exited, bool *more)
{
	struct qga_call call;
	enum qmp_status st;
	long got;
	int rc = EXIT_OK, reads = 0;

	do {
		if (run_stop_signal != 0 || (!exited && ++reads > RUNNING_READS)) {
			*more = true;
			return EXIT_OK;
		}
		call = (struct qga_call){ .name = "guest-file-read",
		    .args = read_args(t) };
		st = qga_call_batch(run->q, &call, 1, rpc_deadline(run));
		if (st != QMP_OK)
			return fail(run, st, "reading the command's output");
		got = take_read(run, t, &call, &rc);
		qga_call_batch_free(&call, 1);
	} while (got == READ_CHUNK);
	return rc;
}

/* Starts a guest `kill -s SIGNAL` of the command and its descendants. */
static void
send_signal(struct run *run, const char *signal)
{
	json_t *ret;

	if (rpc(run, "guest-exec", request_kill_args(signal, run->pid),
	    &ret) == QMP_OK && run->nkillers < MAX_KILLERS)
		run->killers[run->nkillers++] = json_integer_value(
		    json_object_get(ret, "pid"));
	json_decref(ret);
}

/*
 * On the timeout or a signal: SIGTERM, then SIGKILL after --kill-after.
 * Returns nonzero once the command has survived SIGKILL too long.
 */
static int
stop_if_asked(struct run *run, int64_t *delay_ms)
{
	bool timed_out = run->c->timeout_ms >= 0 &&
	    (monotonic_ns() - run->started_ns) / 1000000 >= run->c->timeout_ms;

	if (run->stopping == 0 && (run_stop_signal != 0 || timed_out)) {
		run->stop_reason = run_stop_signal;
		send_signal(run, "TERM");
		run->stopping = 1;
		run->stop_deadline = deadline_in_ms(run->c->kill_after_ms);
		*delay_ms = run->c->poll_initial_ms;
	} else if (run->stopping == 1 && deadline_passed(run->stop_deadline)) {
		send_signal(run, "KILL");
		run->stopping = 2;
		run->stop_deadline = deadline_in_ms(KILL_GRACE_MS);
	} else if (run->stopping == 2 && deadline_passed(run->stop_deadline)) {
		error_msg("%s: the guest command (pid %" JSON_INTEGER_FORMAT
		    ") survived SIGKILL", run->c->sock, run->pid);
		return EXIT_UNREACHABLE;
	}
	return EXIT_OK;
}

int64_t
run_next_delay_ms(int64_t delay_ms, int64_t elapsed_ms,
    const struct run_config *c)
{
	int64_t cap = c->poll_max_ms;

	if (cap <= 0)
		cap = elapsed_ms < 2000 ? 100 : elapsed_ms < 30000 ? 250 : 1000;
	if (cap < c->poll_initial_ms)
		cap = c->poll_initial_ms;
	delay_ms *= 2;
	return delay_ms > cap ? cap : delay_ms;
}

/* Sleeps, but wakes for a signal and for the timeout. */
static void
nap(const struct run *run, int64_t ms)
{
	struct timespec ts;
	int64_t left;

	if (run->c->timeout_ms >= 0 && run->stopping == 0) {
		left = run->c->timeout_ms -
		    (monotonic_ns() - run->started_ns) / 1000000;
		if (left < ms)
			ms = left > 0 ? left : 0;
	}
	if (ms <= 0 || run_stop_signal != 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	nanosleep(&ts, NULL);
}

static int
exit_status_of(struct run *run, const struct qga_exec_status *st)
{
	char t[32];

	if (run->stopping != 0 && run->stop_reason == 0) {
		error_msg("%s: the command timed out after %s and was stopped",
		    run->c->sock, format_duration_ms(run->c->timeout_ms, t,
		    sizeof(t)));
		return EXIT_TIMEOUT;
	}
	if (run->stopping != 0)
		return EXIT_SIGNAL_BASE + run->stop_reason;
	if (st->has_signal)
		return EXIT_SIGNAL_BASE + st->signal;
	return st->exitcode;
}

/*
 * One poll: the status and a read of each output file, in one round trip.
 * The status comes first, so once it says exited, these reads (and the
 * drains after a full one) have everything the command wrote.
 */
static int
tick(struct run *run, struct qga_exec_status *st, bool *more)
{
	struct tail *tails[2] = { &run->out, &run->err };
	struct qga_call calls[3];
	enum qmp_status qs;
	char why[256], doing[64];
	size_t n = 1, sent, i;
	long got;
	int rc = EXIT_OK;

	snprintf(doing, sizeof(doing), "status of pid %" JSON_INTEGER_FORMAT,
	    run->pid);
	calls[0] = (struct qga_call){ .name = "guest-exec-status",
	    .args = json_pack("{s:I}", "pid", run->pid) };
	for (i = 0; i < 2; i++)
		if (tails[i]->handle >= 0)
			calls[n++] = (struct qga_call){ .name = "guest-file-read",
			    .args = read_args(tails[i]) };
	sent = n;
	qs = qga_call_batch(run->q, calls, sent, rpc_deadline(run));
	if (qs != QMP_OK) {
		qga_call_batch_free(calls, sent);
		return fail(run, qs, doing);
	}
	if (calls[0].status == QMP_REFUSED) {
		error_msg("%s: the exit status of pid %" JSON_INTEGER_FORMAT
		    " is lost: %s", run->c->sock, run->pid, calls[0].why);
		rc = EXIT_UNREACHABLE;
	} else if (qga_exec_status_decode(calls[0].ret, st, why,
	    sizeof(why)) < 0) {
		snprintf(run->q->why, sizeof(run->q->why), "%s", why);
		rc = fail(run, QMP_BROKEN, doing);
	}
	for (i = 0, n = 1; rc == EXIT_OK && i < 2; i++) {
		if (tails[i]->handle < 0)
			continue;
		got = take_read(run, tails[i], &calls[n++], &rc);
		if (got == READ_CHUNK)
			rc = drain(run, tails[i], st->exited, more);
	}
	qga_call_batch_free(calls, sent);
	if (rc != EXIT_OK && calls[0].status == QMP_OK)
		qga_exec_status_free(st);
	return rc;
}

/* Polls until the command exits, tailing its output meanwhile. */
static int
follow(struct run *run)
{
	struct qga_exec_status st;
	int64_t delay = run->c->poll_initial_ms;
	int rc;

	bool more;

	run->started_ns = monotonic_ns();
	for (;;) {
		more = false;
		if ((rc = tick(run, &st, &more)) != EXIT_OK)
			return rc;
		if (st.exited)
			break;
		qga_exec_status_free(&st);
		if ((rc = stop_if_asked(run, &delay)) != EXIT_OK)
			return rc;
		/* Output waiting to be read: poll again at once. */
		if (!more)
			nap(run, delay);
		delay = run_next_delay_ms(delay,
		    (monotonic_ns() - run->started_ns) / 1000000, run->c);
	}
	run->res->duration_ms = (monotonic_ns() - run->started_ns) / 1000000;
	put(&run->res->out, st.out, st.out_len);
	put(&run->res->err, st.err, st.err_len);
	if (st.out_truncated || st.err_truncated) {
		run->res->truncated = true;
		note("the agent cut the command's %s at 16 MiB (--capture)",
		    st.out_truncated ? "stdout" : "stderr");
	}
	run->res->has_exitcode = st.has_exitcode;
	run->res->exitcode = st.exitcode;
	run->res->has_signal = st.has_signal;
	run->res->signal = st.signal;
	rc = exit_status_of(run, &st);
	qga_exec_status_free(&st);
	return rc;
}

/* Spawn errors come back at once: find and execute as a shell says it. */
static int
start_failed(struct run *run, enum qmp_status st)
{
	const char *why = run->q->why;

	if (st != QMP_REFUSED)
		return fail(run, st, "starting the command");
	if (strstr(why, "No such file or directory") != NULL) {
		error_msg("%s: %s", run->r->argv[0], why);
		return EXIT_NOT_FOUND;
	}
	if (strstr(why, "Permission denied") != NULL) {
		error_msg("%s: %s", run->r->argv[0], why);
		return EXIT_CANNOT_EXEC;
	}
	return fail(run, st, "guest-exec");
}

static enum output_route
choose_route(struct run *run)
{
	enum qmp_status st;

	if (run->c->capture)
		return ROUTE_CAPTURE;
	st = open_tails(run, !run->r->merge);
	if (st == QMP_OK)
		return run->r->merge ? ROUTE_FILE : ROUTE_FILES;
	if (st != QMP_REFUSED)
		exit(fail(run, st, "opening an output file"));
	note("cannot create output files in the guest's %s (%s): "
	    "falling back to --capture", run->c->tmpdir, run->q->why);
	close_tails(run, NULL, 0);
	return ROUTE_CAPTURE;
}

/* Whether the agent takes capture-output "merged": 8.1 and later. */
static bool
agent_merges(struct run *run)
{
	const char *version;
	json_t *info;
	bool yes;

	if (rpc(run, "guest-info", NULL, &info) != QMP_OK)
		return false;
	version = json_string_value(json_object_get(info, "version"));
	yes = qga_version_at_least(version, 8, 1);
	json_decref(info);
	return yes;
}

void
run_command(struct qmp *q, const struct request *r,
    const struct run_config *c, struct run_result *res)
{
	struct run run = { .q = q, .r = r, .c = c, .res = res };
	enum qmp_status st;
	json_t *ret;

	run.out = (struct tail){ .handle = -1, .sink = &res->out };
	run.err = (struct tail){ .handle = -1, .sink = &res->err };
	run.route = choose_route(&run);
	st = rpc(&run, "guest-exec", request_exec_args(r, run.route,
	    run.out.handle >= 0 ? run.out.path : NULL,
	    run.err.handle >= 0 ? run.err.path : NULL,
	    run.route == ROUTE_CAPTURE && r->merge && agent_merges(&run)),
	    &ret);
	if (st == QMP_OK && !json_is_integer(json_object_get(ret, "pid"))) {
		snprintf(q->why, sizeof(q->why), "guest-exec returned no pid");
		st = QMP_BROKEN;
	}
	if (st != QMP_OK) {
		res->status = start_failed(&run, st);
		close_tails(&run, NULL, 0);
		json_decref(ret);
		return;
	}
	run.pid = json_integer_value(json_object_get(ret, "pid"));
	json_decref(ret);

	res->status = follow(&run);

	close_tails(&run, run.killers, run.nkillers);
}
