/*
 * run: one guest command from start to exit status.  Opens its output
 * files, starts it, polls its status on the documented schedule while
 * tailing its output, and stops it on a timeout, a stop signal or an
 * output nobody can read.
 */
#ifndef QGA_EXEC_RUN_H
#define QGA_EXEC_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "agent.h"
#include "output.h"
#include "request.h"

struct run_config {
	const char *tmpdir;		/* guest directory for output files */
	bool capture;			/* use the agent's capture-output */
	int64_t timeout_ms;		/* -1: none */
	int64_t kill_after_ms;		/* SIGTERM to SIGKILL */
	int64_t poll_initial_ms;
	int64_t poll_max_ms;		/* 0: adaptive */
};

struct run_result {
	int status;			/* what qga-exec exits with */
	bool has_exitcode, has_signal;
	int exitcode, signal;
	bool truncated;			/* the agent's capture cut output */
	int64_t duration_ms;
	struct sink out, err;
};

/*
 * Runs r; res->status is the exit status.  Diagnostics are printed.
 *
 * A first stop signal stops the command as a timeout does (SIGTERM,
 * SIGKILL after --kill-after) and the status is 128+N; a second one, or
 * an agent that does not answer meanwhile, ends the run at once.  Output
 * that cannot be written (a closed pipe, a full disk) stops the command
 * the same way, with status 71.  QEMU's end (agent_watch_qemu) ends the
 * run at once with 69.
 */
void run_command(struct agent *a, const struct request *r,
    const struct run_config *c, struct run_result *res);

/* The --json result line; -1 with errno if stdout cannot take it. */
int run_print_result(const struct run_result *res);

#endif
