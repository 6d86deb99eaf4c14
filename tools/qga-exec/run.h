/*
 * run: one guest command from start to exit status.  Opens its output
 * files, starts it, polls its status on the documented schedule while
 * tailing its output, and stops it on a timeout or a signal.
 */
#ifndef QGA_EXEC_RUN_H
#define QGA_EXEC_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "output.h"
#include "qmp.h"
#include "request.h"

struct run_config {
	const char *sock;		/* the agent's address, for messages */
	const char *tmpdir;		/* guest directory for output files */
	bool capture;			/* use the agent's capture-output */
	bool collect;			/* keep output in memory (--json) */
	int64_t timeout_ms;		/* -1: none */
	int64_t kill_after_ms;		/* SIGTERM to SIGKILL */
	int64_t poll_initial_ms;
	int64_t poll_max_ms;		/* 0: adaptive */
	int64_t rpc_timeout_ms;
};

struct run_result {
	int status;			/* what qga-exec exits with */
	bool has_exitcode, has_signal;
	int exitcode, signal;
	bool truncated;			/* the agent's capture cut output */
	int64_t duration_ms;
	struct sink out, err;
};

/* Set by a signal handler: the run stops the guest command and ends. */
extern volatile sig_atomic_t run_stop_signal;

/* Runs r; res->status is the exit status.  Diagnostics are printed. */
void run_command(struct qmp *q, const struct request *r,
    const struct run_config *c, struct run_result *res);

/* The pause before the next status query, per the documented schedule. */
int64_t run_next_delay_ms(int64_t delay_ms, int64_t elapsed_ms,
    const struct run_config *c);

#endif
