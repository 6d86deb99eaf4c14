#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "mount.h"
#include "qga.h"
#include "request.h"
#include "stop.h"
#include "xalloc.h"

/* Replies while mounting after a stop signal: a second, no more. */
#define CLEANUP_MS 1000
/* The longest pause between status queries. */
#define POLL_MAX_MS 200
/* What failed calls were doing, in messages. */
#define DOING "mounting the shares"

/*
 * The guest side: TAG DIR MODE triples.  It loads 9p if the kernel lacks
 * it (the transport's module too, which /proc/filesystems does not
 * show), and retries each mount while the guest's devices settle, as
 * vmtest does.  Exit 0; 3: the kernel has no 9p; 10+I: share I failed.
 */
static const char script[] =
	"has_9p() { grep -qw 9p /proc/filesystems; }\n"
	"has_9p || modprobe -q 9p 2>/dev/null\n"
	"modprobe -q 9pnet_virtio 2>/dev/null\n"
	"if ! has_9p; then\n"
	"	echo \"the guest kernel has no 9p file system\" \\\n"
	"	    \"(modules 9p and 9pnet_virtio)\" >&2\n"
	"	exit 3\n"
	"fi\n"
	"i=10\n"
	"while [ $# -ge 3 ]; do\n"
	"	i=$((i + 1))\n"
	"	mkdir -p -- \"$2\" || exit $i\n"
	"	n=0\n"
	"	until mount -t 9p -o \"trans=virtio,version=9p2000.L,"
	    "cache=mmap,msize=512000,$3\" -- \"$1\" \"$2\"; do\n"
	"		n=$((n + 1))\n"
	"		[ \"$n\" -lt 5 ] || exit $i\n"
	"		sleep \"$n\"\n"
	"	done\n"
	"	shift 3\n"
	"done\n";

int
mount_parse(const char *text, struct mount *m, char *why, size_t whylen)
{
	const char *colon = strchr(text, ':'), *dir;
	size_t len;
	json_t *utf8;

	memset(m, 0, sizeof(*m));
	if (colon == NULL || colon == text) {
		snprintf(why, whylen, "--mount '%s': expected TAG:DIR[:ro|:rw]",
		    text);
		return -1;
	}
	dir = colon + 1;
	len = strlen(dir);
	if (len >= 3 && (strcmp(dir + len - 3, ":ro") == 0 ||
	    strcmp(dir + len - 3, ":rw") == 0)) {
		m->ro = strcmp(dir + len - 3, ":ro") == 0;
		len -= 3;
	}
	if (len == 0 || dir[0] != '/') {
		snprintf(why, whylen, "--mount '%s': DIR must be a guest path "
		    "from /", text);
		return -1;
	}
	utf8 = json_string(text);
	json_decref(utf8);
	if (utf8 == NULL) {
		snprintf(why, whylen, "--mount '%s': not valid UTF-8 (the "
		    "agent takes only UTF-8)", text);
		return -1;
	}
	m->tag = xstrndup(text, colon - text);
	m->dir = xstrndup(dir, len);
	return 0;
}

void
mount_free(struct mount *m)
{
	free(m->tag);
	free(m->dir);
	m->tag = m->dir = NULL;
}

/* The guest-exec arguments that mount the n shares in their order. */
static json_t *
mount_exec_args(const struct mount *m, int n)
{
	json_t *arg;
	int i;

	arg = json_pack("[s,s,s]", "-c", script, "qga-exec");
	for (i = 0; arg != NULL && i < n; i++)
		if (json_array_append_new(arg, json_string(m[i].tag)) < 0 ||
		    json_array_append_new(arg, json_string(m[i].dir)) < 0 ||
		    json_array_append_new(arg, json_string(m[i].ro ? "ro" :
		    "rw")) < 0) {
			json_decref(arg);
			arg = NULL;
		}
	return arg == NULL ? NULL : json_pack("{s:s,s:o,s:b}", "path",
	    "/bin/sh", "arg", arg, "capture-output", 1);
}

static struct deadline
rpc_deadline(const struct agent *a)
{
	return deadline_in_ms(a->rpc_timeout_ms);
}

/*
 * A stop while mounting: QEMU's end leaves nothing to do; a signal gets
 * the script (if it started: exec is its guest-exec, answered or not) a
 * SIGTERM, bounded by CLEANUP_MS.
 */
static int
stopped(struct agent *a, struct qga_call *exec)
{
	struct deadline d;
	json_int_t pid;

	if (stop_watched())
		return agent_fail(a, QMP_STOPPED, DOING, 0);
	stop_acknowledge();
	d = deadline_min(rpc_deadline(a), deadline_in_ms(CLEANUP_MS));
	if (exec->status == QMP_STOPPED)
		qga_call_batch_resume(&a->q, exec, 1, d);
	pid = json_integer_value(json_object_get(exec->ret, "pid"));
	if (exec->status == QMP_OK && pid > 0)
		qga_call(&a->q, "guest-exec", request_kill_args("TERM", pid), d,
		    NULL);
	return qmp_exit_status(QMP_STOPPED);
}

/* The last line of the guest's stderr, for the message. */
static const char *
last_line(const struct qga_exec_status *st, char *buf, size_t size)
{
	size_t end = st->err_len, start;

	while (end > 0 && (st->err[end - 1] == '\n' ||
	    st->err[end - 1] == '\r'))
		end--;
	for (start = end; start > 0 && st->err[start - 1] != '\n'; start--)
		;
	snprintf(buf, size, "%.*s", (int)(end - start),
	    end > start ? (const char *)st->err + start : "");
	return buf;
}

/* Says why the script failed; the exit status is 1. */
static int
refused(const struct mount *m, int n, const struct qga_exec_status *st)
{
	int code = qga_exec_exit_status(st);
	char line[512];

	last_line(st, line, sizeof(line));
	if (code == 3)
		error_msg("%s", line);
	else if (code > 10 && code <= 10 + n)
		error_msg("cannot mount the 9p share '%s' at '%s'%s%s",
		    m[code - 11].tag, m[code - 11].dir, line[0] ? ": " : "",
		    line);
	else
		error_msg("mounting the 9p shares failed with status %d%s%s",
		    code, line[0] ? ": " : "", line);
	return EXIT_REFUSED;
}

/* Starts the script; returns its pid, or 0 with *rc the exit status. */
static json_int_t
start(struct agent *a, const struct mount *m, int n, int *rc)
{
	struct qga_call exec = { .name = "guest-exec" };
	enum qmp_status qs;
	json_int_t pid = 0;

	exec.args = mount_exec_args(m, n);
	qs = qga_call_batch(&a->q, &exec, 1, rpc_deadline(a));
	if (qs == QMP_STOPPED)
		*rc = stopped(a, &exec);
	else if (qs != QMP_OK)
		*rc = agent_fail(a, qs, DOING, a->rpc_timeout_ms);
	else if (exec.status == QMP_REFUSED) {
		snprintf(a->q.why, sizeof(a->q.why), "%s", exec.why);
		*rc = agent_fail(a, QMP_REFUSED, DOING, 0);
	} else if ((pid = json_integer_value(json_object_get(exec.ret,
	    "pid"))) <= 0) {
		snprintf(a->q.why, sizeof(a->q.why), "no pid from guest-exec");
		*rc = agent_fail(a, QMP_BROKEN, DOING, 0);
		pid = 0;
	}
	qga_call_batch_free(&exec, 1);
	return pid;
}

/* A stop once the script runs: SIGTERM to it, as stopped() says. */
static int
stop_script(struct agent *a, json_int_t pid)
{
	struct qga_call exec = { .name = "guest-exec", .status = QMP_OK };
	int rc;

	exec.ret = json_pack("{s:I}", "pid", pid);
	rc = stopped(a, &exec);
	json_decref(exec.ret);
	return rc;
}

int
mount_all(struct agent *a, const struct mount *m, int n)
{
	struct deadline until = deadline_in_ms(MOUNT_TIMEOUT_MS);
	struct qga_exec_status st;
	enum qmp_status qs;
	json_int_t pid;
	json_t *ret;
	int64_t delay = 1;
	char why[256];
	int rc = EXIT_OK;

	if ((pid = start(a, m, n, &rc)) == 0)
		return rc;
	for (;;) {
		qs = qga_call(&a->q, "guest-exec-status",
		    json_pack("{s:I}", "pid", pid), rpc_deadline(a), &ret);
		if (qs == QMP_STOPPED)
			return stop_script(a, pid);
		if (qs != QMP_OK)
			return agent_fail(a, qs, DOING, a->rpc_timeout_ms);
		if (qga_exec_status_decode(ret, &st, why, sizeof(why)) < 0) {
			json_decref(ret);
			snprintf(a->q.why, sizeof(a->q.why), "%s", why);
			return agent_fail(a, QMP_BROKEN, DOING, 0);
		}
		json_decref(ret);
		if (st.exited)
			break;
		if (deadline_passed(until)) {
			qga_call(&a->q, "guest-exec", request_kill_args("TERM",
			    pid), rpc_deadline(a), NULL);
			error_msg("mounting the 9p shares took longer than %ds",
			    MOUNT_TIMEOUT_MS / 1000);
			return EXIT_TIMEOUT;
		}
		if (stop_poll(NULL, 0, deadline_min(until,
		    deadline_in_ms(delay))) < 0)
			return stop_script(a, pid);
		if ((delay *= 2) > POLL_MAX_MS)
			delay = POLL_MAX_MS;
	}
	rc = qga_exec_exit_status(&st) == 0 ? EXIT_OK : refused(m, n, &st);
	qga_exec_status_free(&st);
	return rc;
}
