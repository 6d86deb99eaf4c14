#include <sys/random.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "parse.h"
#include "qga.h"
#include "run.h"
#include "stop.h"

/* The most one guest-file-read asks for: 4 MiB, 5.6 MB of base64. */
#define READ_CHUNK (4 << 20)
/* While the command runs, at most this many reads of a stream a poll. */
#define RUNNING_READS 4
/* How long a command may outlive SIGKILL before we give up on it. */
#define KILL_GRACE_MS 10000
/*
 * The bound on a cleanup call (a kill, a close, replies a stop signal
 * interrupted): the agent may be the reason we are stopping.
 */
#define CLEANUP_MS 1000
#define MAX_KILLERS 4

/* Why the command is being stopped; the first cause is the exit status. */
enum cause {
	CAUSE_NONE,
	CAUSE_TIMEOUT,		/* --timeout: 124 */
	CAUSE_SIGNAL,		/* a stop signal: 128+N */
	CAUSE_OUTPUT,		/* our output cannot be written: 71 */
};

struct tail {
	json_int_t handle;		/* guest file handle, -1 if none */
	struct sink *sink;
	char path[256];
};

struct run {
	struct agent *a;
	const struct request *r;
	const struct run_config *c;
	struct run_result *res;
	enum output_route route;
	struct tail out, err;
	json_int_t pid;			/* the command's, once started */
	json_int_t killers[MAX_KILLERS];	/* kill commands to reap */
	int nkillers;
	enum cause cause;
	bool signalled;			/* a stop signal was acknowledged */
	int stopping;			/* 0, 1 after SIGTERM, 2 after SIGKILL */
	struct deadline stop_deadline;
	int64_t started_ns;		/* when guest-exec returned */
};

/* The bound of a cleanup call: --rpc-timeout, at most CLEANUP_MS. */
static int64_t
cleanup_ms(const struct run *run)
{
	int64_t ms = run->a->rpc_timeout_ms;

	return ms < 0 || ms > CLEANUP_MS ? CLEANUP_MS : ms;
}

/* The exit status of a run that was being stopped. */
static int
cause_status(const struct run *run)
{
	switch (run->cause) {
	case CAUSE_TIMEOUT:
		return EXIT_TIMEOUT;
	case CAUSE_SIGNAL:
		return EXIT_SIGNAL_BASE + stop_signal();
	case CAUSE_OUTPUT:
		return EXIT_LOCAL;
	case CAUSE_NONE:
		break;
	}
	return EXIT_OK;
}

/*
 * The one line for a failed call, and the exit status.  Once the command
 * is being stopped, the cause is the status whatever fails after it.
 */
static int
fail_within(struct run *run, enum qmp_status st, const char *doing,
    int64_t bound_ms)
{
	int rc = agent_fail(run->a, st, doing, bound_ms);

	return run->cause != CAUSE_NONE ? cause_status(run) : rc;
}

static int
fail(struct run *run, enum qmp_status st, const char *doing)
{
	return fail_within(run, st, doing, run->a->rpc_timeout_ms);
}

/*
 * A stop came.  QEMU's end ends the run at once: there is no guest left
 * to clean up.  The first stop signal becomes a cause, like a timeout,
 * and the waits go on (acknowledged); a further one ends the run.
 */
static int
interrupted(struct run *run)
{
	if (stop_watched() || run->signalled)
		return fail(run, QMP_STOPPED, "stopping");
	run->signalled = true;
	if (run->cause == CAUSE_NONE)
		run->cause = CAUSE_SIGNAL;
	stop_acknowledge();
	return EXIT_OK;
}

/*
 * One batch, riding out a first stop signal: the replies in flight are
 * still read, for a short while, so that no output and no pid is lost to
 * a Ctrl-C.  Returns EXIT_OK or the exit status, the message said.
 * Calls the agent refused are the caller's to judge.
 */
static int
batch(struct run *run, struct qga_call *calls, size_t n, int64_t bound_ms,
    const char *doing)
{
	struct deadline d = deadline_in_ms(bound_ms);
	struct qmp *q = &run->a->q;
	enum qmp_status st;
	int rc;

	st = qga_call_batch(q, calls, n, d);
	while (st == QMP_STOPPED && q->failure == QMP_OK) {
		if ((rc = interrupted(run)) != EXIT_OK)
			return rc;
		d = deadline_min(d, deadline_in_ms(cleanup_ms(run)));
		if (bound_ms < 0 || bound_ms > cleanup_ms(run))
			bound_ms = cleanup_ms(run);
		st = qga_call_batch_resume(q, calls, n, d);
	}
	return st == QMP_OK ? EXIT_OK : fail_within(run, st, doing, bound_ms);
}

/* One call; *ret is its return value, NULL if refused (said already). */
static int
call(struct run *run, const char *name, json_t *args, int64_t bound_ms,
    const char *doing, json_t **ret)
{
	struct qga_call c = { .name = name, .args = args };
	int rc;

	*ret = NULL;
	rc = batch(run, &c, 1, bound_ms, doing);
	if (rc == EXIT_OK && c.status == QMP_REFUSED) {
		snprintf(run->a->q.why, sizeof(run->a->q.why), "%s", c.why);
		rc = fail(run, QMP_REFUSED, doing);
	}
	if (rc == EXIT_OK)
		*ret = json_incref(c.ret);
	qga_call_batch_free(&c, 1);
	return rc;
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
 * the agent creates files exclusively.  Sets *refused (with the reason in
 * q->why) when the directory will not do (missing, read-only).
 */
static int
open_tails(struct run *run, bool both, bool *refused)
{
	struct tail *tails[2] = { &run->out, &run->err };
	struct qga_call calls[2];
	char stem[33];
	size_t i, n = both ? 2 : 1;
	int rc;

	*refused = false;
	random_hex(stem, 16);
	for (i = 0; i < n; i++) {
		snprintf(tails[i]->path, sizeof(tails[i]->path),
		    "%s/qga-exec.%s.%s", run->c->tmpdir, stem, i ? "err" : "out");
		calls[i] = (struct qga_call){ .name = "guest-file-open",
		    .args = json_pack("{s:s,s:s}", "path", tails[i]->path,
		    "mode", "w+") };
	}
	rc = batch(run, calls, n, run->a->rpc_timeout_ms,
	    "opening an output file");
	for (i = 0; rc == EXIT_OK && i < n; i++) {
		if (calls[i].status == QMP_REFUSED) {
			snprintf(run->a->q.why, sizeof(run->a->q.why), "%s",
			    calls[i].why);
			*refused = true;
		} else if (!json_is_integer(calls[i].ret)) {
			snprintf(run->a->q.why, sizeof(run->a->q.why),
			    "guest-file-open returned no handle");
			rc = fail(run, QMP_BROKEN, "opening an output file");
		} else
			tails[i]->handle = json_integer_value(calls[i].ret);
	}
	qga_call_batch_free(calls, n);
	return rc;
}

/*
 * Closes the output files and collects the kill commands' statuses (the
 * agent keeps each until asked), in one round trip with a short bound;
 * on a failed connection, nothing is sent.
 */
static void
close_tails(struct run *run)
{
	struct tail *tails[2] = { &run->out, &run->err };
	struct qga_call calls[2 + MAX_KILLERS];
	size_t n = 0;
	int i;

	/* A second stop signal, or QEMU's end: nothing more. */
	if (stop_pending())
		return;
	for (i = 0; i < 2; i++)
		if (tails[i]->handle >= 0) {
			calls[n++] = (struct qga_call){ .name = "guest-file-close",
			    .args = json_pack("{s:I}", "handle",
			    tails[i]->handle) };
			tails[i]->handle = -1;
		}
	for (i = 0; i < run->nkillers; i++)
		calls[n++] = (struct qga_call){ .name = "guest-exec-status",
		    .args = json_pack("{s:I}", "pid", run->killers[i]) };
	run->nkillers = 0;
	if (n > 0) {
		qga_call_batch(&run->a->q, calls, n,
		    deadline_in_ms(cleanup_ms(run)));
		qga_call_batch_free(calls, n);
	}
}

/*
 * Our output cannot be written: nobody would see the command's, so it is
 * stopped as on a signal, and the status is 71.
 */
static void
output_failed(struct run *run, const struct sink *s)
{
	error_msg("%s: %s", s->name, strerror(s->error));
	if (run->cause == CAUSE_NONE)
		run->cause = CAUSE_OUTPUT;
}

static int stop_if_asked(struct run *run, int64_t *delay_ms);

/*
 * Hands bytes to a sink.  A reader that does not read (a pager) blocks
 * us here: a first stop signal stops the command at once, and the
 * writing goes on; a second one ends the run.
 */
static int
put(struct run *run, struct sink *s, const unsigned char *data, size_t len)
{
	int64_t delay;
	size_t done;
	int rc;

	while (len > 0 && s->error == 0) {
		if (sink_put(s, data, len, &done) == 0)
			return EXIT_OK;
		data += done;
		len -= done;
		if (errno != EINTR)
			output_failed(run, s);
		else if ((rc = interrupted(run)) != EXIT_OK ||
		    (run->pid != 0 && (rc = stop_if_asked(run, &delay)) !=
		    EXIT_OK))
			return rc;
	}
	return EXIT_OK;
}

static json_t *
read_args(const struct tail *t)
{
	return json_pack("{s:I,s:i}", "handle", t->handle, "count", READ_CHUNK);
}

/* A file worth reading: open, and its bytes have somewhere to go. */
static bool
tailed(const struct tail *t)
{
	return t->handle >= 0 && t->sink->error == 0;
}

/*
 * Hands one guest-file-read reply's bytes to t's sink.  Returns the
 * number of bytes (READ_CHUNK means there may be more), or -1 with the
 * exit status in *rc.
 */
static long
take_read(struct run *run, struct tail *t, const struct qga_call *c, int *rc)
{
	unsigned char *buf;
	char why[256];
	size_t len;
	bool eof;

	if (c->status != QMP_OK) {
		snprintf(run->a->q.why, sizeof(run->a->q.why), "%s", c->why);
		*rc = fail(run, c->status, "reading the command's output");
		return -1;
	}
	if (qga_file_read_decode(c->ret, &buf, &len, &eof, why,
	    sizeof(why)) < 0) {
		snprintf(run->a->q.why, sizeof(run->a->q.why), "%s", why);
		*rc = fail(run, QMP_BROKEN, "reading the command's output");
		return -1;
	}
	*rc = put(run, t->sink, buf, len);
	free(buf);
	return *rc == EXIT_OK ? (long)len : -1;
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
	struct qga_call c;
	long got;
	int rc = EXIT_OK, reads = 0;

	do {
		if (stop_pending() && (rc = interrupted(run)) != EXIT_OK)
			return rc;
		if (!tailed(t))
			return EXIT_OK;
		if ((run->cause != CAUSE_NONE && run->stopping == 0) ||
		    (!exited && ++reads > RUNNING_READS)) {
			*more = true;
			return EXIT_OK;
		}
		c = (struct qga_call){ .name = "guest-file-read",
		    .args = read_args(t) };
		rc = batch(run, &c, 1, run->a->rpc_timeout_ms,
		    "reading the command's output");
		got = rc == EXIT_OK ? take_read(run, t, &c, &rc) : -1;
		qga_call_batch_free(&c, 1);
	} while (got == READ_CHUNK);
	return rc;
}

/* Starts a guest `kill -s SIGNAL` of the command and its descendants. */
static int
send_signal(struct run *run, const char *signal)
{
	json_t *ret;
	int rc;

	rc = call(run, "guest-exec", request_kill_args(signal, run->pid),
	    cleanup_ms(run), "stopping the command", &ret);
	if (rc == EXIT_OK && run->nkillers < MAX_KILLERS)
		run->killers[run->nkillers++] = json_integer_value(
		    json_object_get(ret, "pid"));
	json_decref(ret);
	/* A kill the agent refused is no reason to give up waiting. */
	return rc == EXIT_REFUSED && run->cause != CAUSE_NONE ? EXIT_OK : rc;
}

/*
 * On a cause to stop: SIGTERM, then SIGKILL after --kill-after.  Returns
 * nonzero once the command has survived SIGKILL too long, or the agent
 * failed.
 */
static int
stop_if_asked(struct run *run, int64_t *delay_ms)
{
	int rc = EXIT_OK;

	if (run->cause == CAUSE_NONE && run->c->timeout_ms >= 0 &&
	    (monotonic_ns() - run->started_ns) / 1000000 >= run->c->timeout_ms)
		run->cause = CAUSE_TIMEOUT;
	if (run->stopping == 0 && run->cause != CAUSE_NONE) {
		rc = send_signal(run, "TERM");
		run->stopping = 1;
		run->stop_deadline = deadline_in_ms(run->c->kill_after_ms);
		*delay_ms = run->c->poll_initial_ms;
	} else if (run->stopping == 1 && deadline_passed(run->stop_deadline)) {
		rc = send_signal(run, "KILL");
		run->stopping = 2;
		run->stop_deadline = deadline_in_ms(KILL_GRACE_MS);
	} else if (run->stopping == 2 && deadline_passed(run->stop_deadline)) {
		error_msg("%s: the guest command (pid %" JSON_INTEGER_FORMAT
		    ") survived SIGKILL", run->a->sock, run->pid);
		rc = cause_status(run);
	}
	return rc;
}

/* The pause before the next status query, per the documented schedule. */
static int64_t
next_delay_ms(int64_t delay_ms, int64_t elapsed_ms, const struct run_config *c)
{
	int64_t cap = c->poll_max_ms;

	if (cap <= 0)
		cap = elapsed_ms < 2000 ? 100 : elapsed_ms < 30000 ? 250 : 1000;
	if (cap < c->poll_initial_ms)
		cap = c->poll_initial_ms;
	delay_ms *= 2;
	return delay_ms > cap ? cap : delay_ms;
}

/* Sleeps, but wakes for a stop and for the timeout. */
static int
nap(struct run *run, int64_t ms)
{
	int64_t left;

	if (run->c->timeout_ms >= 0 && run->cause == CAUSE_NONE) {
		left = run->c->timeout_ms -
		    (monotonic_ns() - run->started_ns) / 1000000;
		if (left < ms)
			ms = left > 0 ? left : 0;
	}
	if (run->cause != CAUSE_NONE && run->stopping == 0)
		return EXIT_OK;
	if (stop_poll(NULL, 0, deadline_in_ms(ms)) < 0)
		return interrupted(run);
	return EXIT_OK;
}

/*
 * The status of a command that exited: its own, unless we were stopping
 * it.  A command that exits on its own just as a signal arrives still
 * reports the signal: the user asked for the stop.
 */
static int
exit_status_of(struct run *run, const struct qga_exec_status *st)
{
	char t[32];

	if (run->cause == CAUSE_TIMEOUT)
		error_msg("%s: the command timed out after %s and was stopped",
		    run->a->sock, format_duration_ms(run->c->timeout_ms, t,
		    sizeof(t)));
	if (run->cause != CAUSE_NONE)
		return cause_status(run);
	return qga_exec_exit_status(st);
}

/*
 * One poll: the status and a read of each output file, in one round trip.
 * The status comes first, so once it says exited, these reads (and the
 * drains after a full one) have everything the command wrote.
 */
static int
tick(struct run *run, struct qga_exec_status *st, bool *more)
{
	struct tail *tails[2] = { &run->out, &run->err }, *reading[2];
	struct qga_call calls[3];
	char why[256], doing[64];
	size_t n = 0, i;
	long got;
	int rc;

	snprintf(doing, sizeof(doing), "status of pid %" JSON_INTEGER_FORMAT,
	    run->pid);
	calls[0] = (struct qga_call){ .name = "guest-exec-status",
	    .args = json_pack("{s:I}", "pid", run->pid) };
	for (i = 0; i < 2; i++)
		if (tailed(tails[i])) {
			reading[n++] = tails[i];
			calls[n] = (struct qga_call){ .name = "guest-file-read",
			    .args = read_args(tails[i]) };
		}
	rc = batch(run, calls, n + 1, run->a->rpc_timeout_ms, doing);
	if (rc != EXIT_OK) {
		qga_call_batch_free(calls, n + 1);
		return rc;
	}
	if (calls[0].status == QMP_REFUSED) {
		error_msg("%s: the exit status of pid %" JSON_INTEGER_FORMAT
		    " is lost: %s", run->a->sock, run->pid, calls[0].why);
		rc = run->cause != CAUSE_NONE ? cause_status(run) :
		    EXIT_UNREACHABLE;
	} else if (qga_exec_status_decode(calls[0].ret, st, why,
	    sizeof(why)) < 0) {
		snprintf(run->a->q.why, sizeof(run->a->q.why), "%s", why);
		rc = fail(run, QMP_BROKEN, doing);
	}
	for (i = 0; rc == EXIT_OK && i < n; i++) {
		got = take_read(run, reading[i], &calls[i + 1], &rc);
		if (got == READ_CHUNK)
			rc = drain(run, reading[i], st->exited, more);
	}
	qga_call_batch_free(calls, n + 1);
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
	bool more;
	int rc;

	run->started_ns = monotonic_ns();
	/* A stop that came while the command was started. */
	if ((rc = stop_if_asked(run, &delay)) != EXIT_OK)
		return rc;
	for (;;) {
		more = false;
		if ((rc = tick(run, &st, &more)) != EXIT_OK)
			return rc;
		if (st.exited)
			break;
		qga_exec_status_free(&st);
		/* Output waiting to be read: poll again at once. */
		if (!more && (rc = nap(run, delay)) != EXIT_OK)
			return rc;
		if ((rc = stop_if_asked(run, &delay)) != EXIT_OK)
			return rc;
		delay = next_delay_ms(delay,
		    (monotonic_ns() - run->started_ns) / 1000000, run->c);
	}
	run->res->duration_ms = (monotonic_ns() - run->started_ns) / 1000000;
	if ((rc = put(run, &run->res->out, st.out, st.out_len)) == EXIT_OK)
		rc = put(run, &run->res->err, st.err, st.err_len);
	if (st.out_truncated || st.err_truncated) {
		run->res->truncated = true;
		note("the agent cut the command's %s at 16 MiB (--capture)",
		    st.out_truncated ? "stdout" : "stderr");
	}
	run->res->has_exitcode = st.has_exitcode;
	run->res->exitcode = st.exitcode;
	run->res->has_signal = st.has_signal;
	run->res->signal = st.signal;
	if (rc == EXIT_OK)
		rc = exit_status_of(run, &st);
	qga_exec_status_free(&st);
	return rc;
}

/* Spawn errors come back at once: find and execute as a shell says it. */
static int
start_failed(struct run *run, const char *why)
{
	if (strstr(why, "No such file or directory") != NULL) {
		error_msg("%s: %s", run->r->argv[0], why);
		return EXIT_NOT_FOUND;
	}
	if (strstr(why, "Permission denied") != NULL) {
		error_msg("%s: %s", run->r->argv[0], why);
		return EXIT_CANNOT_EXEC;
	}
	snprintf(run->a->q.why, sizeof(run->a->q.why), "%s", why);
	return fail(run, QMP_REFUSED, "guest-exec");
}

/* The output files, or the agent's capture if they cannot be had. */
static int
choose_route(struct run *run)
{
	bool refused;
	int rc;

	run->route = ROUTE_CAPTURE;
	if (run->c->capture)
		return EXIT_OK;
	if ((rc = open_tails(run, !run->r->merge, &refused)) != EXIT_OK)
		return rc;
	if (!refused) {
		run->route = run->r->merge ? ROUTE_FILE : ROUTE_FILES;
		return EXIT_OK;
	}
	note("cannot create output files in the guest's %s (%s): "
	    "falling back to --capture", run->c->tmpdir, run->a->q.why);
	close_tails(run);
	return EXIT_OK;
}

/* Whether the agent takes capture-output "merged": 8.1 and later. */
static int
agent_merges(struct run *run, bool *yes)
{
	struct qga_call c = { .name = "guest-info" };
	int rc;

	*yes = false;
	rc = batch(run, &c, 1, run->a->rpc_timeout_ms, "guest-info");
	if (rc == EXIT_OK && c.status == QMP_OK)
		*yes = qga_version_at_least(json_string_value(
		    json_object_get(c.ret, "version")), 8, 1);
	qga_call_batch_free(&c, 1);
	return rc;
}

/* Starts the command: its pid in run->pid, or the exit status. */
static int
start(struct run *run)
{
	struct qga_call c = { .name = "guest-exec" };
	bool merged = false;
	int rc;

	if (run->route == ROUTE_CAPTURE && run->r->merge &&
	    (rc = agent_merges(run, &merged)) != EXIT_OK)
		return rc;
	/* A stop before the start: nothing to stop then. */
	if (stop_pending() && (rc = interrupted(run)) != EXIT_OK)
		return rc;
	if (run->cause != CAUSE_NONE)
		return cause_status(run);
	c.args = request_exec_args(run->r, run->route,
	    run->out.handle >= 0 ? run->out.path : NULL,
	    run->err.handle >= 0 ? run->err.path : NULL, merged);
	rc = batch(run, &c, 1, run->a->rpc_timeout_ms, "starting the command");
	if (rc == EXIT_OK && c.status == QMP_REFUSED)
		rc = start_failed(run, c.why);
	else if (rc == EXIT_OK && !json_is_integer(json_object_get(c.ret,
	    "pid"))) {
		snprintf(run->a->q.why, sizeof(run->a->q.why),
		    "guest-exec returned no pid");
		rc = fail(run, QMP_BROKEN, "starting the command");
	} else if (rc == EXIT_OK)
		run->pid = json_integer_value(json_object_get(c.ret, "pid"));
	qga_call_batch_free(&c, 1);
	return rc;
}

void
run_command(struct agent *a, const struct request *r,
    const struct run_config *c, struct run_result *res)
{
	struct run run = { .a = a, .r = r, .c = c, .res = res };

	run.out = (struct tail){ .handle = -1, .sink = &res->out };
	run.err = (struct tail){ .handle = -1, .sink = &res->err };
	if ((res->status = choose_route(&run)) == EXIT_OK &&
	    (res->status = start(&run)) == EXIT_OK)
		res->status = follow(&run);
	close_tails(&run);
}
