#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "child.h"
#include "diag.h"
#include "jsonl.h"
#include "parse.h"
#include "qga.h"
#include "stop.h"

/* How long a closed connection waits for QEMU's end to show. */
#define GONE_MS 200

void
agent_watch_qemu(struct agent *a, pid_t pid)
{
	int fd;

	a->qemu_pid = pid;
	fd = pid_open(pid);
	if (fd < 0 && errno == ESRCH)
		die(EXIT_UNREACHABLE, "QEMU (pid %ld) exited", (long)pid);
	if (fd < 0)
		die_errno(EXIT_LOCAL, "--pid %ld: pidfd_open", (long)pid);
	stop_watch(fd);
}

/*
 * QEMU's end closes the agent's socket too, a moment before the kernel
 * reports the end itself: a connection that closed is given that moment.
 */
static bool
qemu_gone(struct agent *a, enum qmp_status st)
{
	if (a->qemu_pid == 0)
		return false;
	if (st == QMP_CLOSED && !stop_watched())
		stop_poll(NULL, 0, deadline_in_ms(GONE_MS));
	return stop_watched();
}

int
agent_fail(struct agent *a, enum qmp_status st, const char *doing,
    int64_t bound_ms)
{
	const char *why = a->q.why;
	char t[32];

	if (st != QMP_REFUSED && st != QMP_OK && qemu_gone(a, st)) {
		/*
		 * After a stop signal, QEMU's end is the same stop: a Ctrl-C
		 * reaches the whole foreground, qemu-launch too.
		 */
		if (stop_signal() != 0)
			return EXIT_SIGNAL_BASE + stop_signal();
		error_msg("QEMU (pid %ld) exited", (long)a->qemu_pid);
		return EXIT_UNREACHABLE;
	}
	switch (st) {
	case QMP_OK:
	case QMP_STOPPED:
		break;
	case QMP_REFUSED:
	case QMP_IO:
		error_msg("%s: %s: %s", a->sock, doing, why);
		break;
	case QMP_TIMEOUT:
		error_msg("%s: %s: the agent did not answer within %s", a->sock,
		    doing, format_duration_ms(bound_ms, t, sizeof(t)));
		/*
		 * --rpc-timeout bounds a liveness check, not the work: an
		 * agent that stops answering is a guest gone (69), as the
		 * man page says; 124 is --timeout's.
		 */
		return EXIT_UNREACHABLE;
	case QMP_BROKEN:
		error_msg("%s: %s: protocol error: %s", a->sock, doing, why);
		if (a->q.failure == QMP_OK)
			a->q.failure = QMP_BROKEN;
		break;
	case QMP_CLOSED:
		error_msg("%s: %s: the guest agent went away (%s)", a->sock,
		    doing, why);
		break;
	}
	return qmp_exit_status(st);
}

void
agent_open(struct agent *a, int64_t wait_ms)
{
	struct sock_addr addr;
	enum qmp_status st;
	char t[32];

	if (sock_addr_parse(a->sock, &addr) < 0)
		die(EXIT_USAGE, "--sock: invalid address '%s'", a->sock);
	st = qga_open(&a->q, &addr, deadline_in_ms(wait_ms));
	sock_addr_free(&addr);
	if (st == QMP_OK)
		return;
	if (st == QMP_TIMEOUT && !qemu_gone(a, st)) {
		if (wait_ms > 0)
			die(EXIT_UNREACHABLE, "%s: the guest agent did not "
			    "answer within %s", a->sock,
			    format_duration_ms(wait_ms, t, sizeof(t)));
		die(EXIT_UNREACHABLE, "%s: the guest agent did not answer "
		    "(a guest still booting wants --wait)", a->sock);
	}
	if (st == QMP_CLOSED && !qemu_gone(a, st))
		die(EXIT_UNREACHABLE, "%s: %s", a->sock, a->q.why);
	exit(agent_fail(a, st, "connecting", wait_ms));
}

int
agent_ask(struct agent *a, bool info)
{
	enum qmp_status st;
	json_t *ret;
	int rc = EXIT_OK;

	st = qga_call(&a->q, info ? "guest-info" : "guest-ping", NULL,
	    deadline_in_ms(a->rpc_timeout_ms), &ret);
	if (st != QMP_OK)
		return agent_fail(a, st, info ? "guest-info" : "guest-ping",
		    a->rpc_timeout_ms);
	if (info && jsonl_write(stdout, ret, false) < 0) {
		error_errno("stdout");
		rc = EXIT_LOCAL;
	}
	json_decref(ret);
	return rc;
}

void
agent_close(struct agent *a)
{
	qga_close(&a->q);
}
