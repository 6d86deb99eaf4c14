/*
 * agent: qga-exec's connection to the guest agent: opening it (riding out
 * a boot, watching QEMU), the one-call modes --ping and --info, and the
 * one line and exit status of a call that failed.
 */
#ifndef QGA_EXEC_AGENT_H
#define QGA_EXEC_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "qmp.h"

struct agent {
	struct qmp q;
	const char *sock;		/* the address, as the user wrote it */
	int64_t rpc_timeout_ms;		/* -1: none */
	pid_t qemu_pid;			/* --pid, or 0 */
};

/*
 * Makes QEMU's end a stop (stop_watch on a pidfd), or exits 69 if it has
 * ended already.
 */
void agent_watch_qemu(struct agent *a, pid_t pid);

/*
 * Connects and synchronises, retrying until wait_ms has passed; exits
 * with the status and one message if it cannot.
 */
void agent_open(struct agent *a, int64_t wait_ms);

/* --ping or --info: one call; returns the exit status. */
int agent_ask(struct agent *a, bool info);

/*
 * Says what failed in one line ("ADDR: DOING: ...") and returns the exit
 * status: 1 refused, 69 unreachable or silent for bound_ms (the call's
 * bound, --rpc-timeout or less), 71 local, 76 protocol, 128+N for a stop
 * signal (said by nobody), 69 for QEMU's end ("QEMU (pid N) exited").
 * A protocol error fails the connection: nothing more is sent on it.
 */
int agent_fail(struct agent *a, enum qmp_status st, const char *doing,
    int64_t bound_ms);

void agent_close(struct agent *a);

#endif
