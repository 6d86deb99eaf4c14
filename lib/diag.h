/*
 * diag: the one diagnostic format and the exit statuses every tool shares.
 *
 * Diagnostics go to stderr as "tool: message", fatal ones as
 * "tool: error: message".  stdout is reserved for data.  The exit statuses
 * are the table in every man page; keep them in step with docs/exit-status.
 *
 * vm-init, the guest's static PID 1, links this file with libc alone:
 * keep it free of other lib/ files and of jansson and inih.
 */
#ifndef VT_DIAG_H
#define VT_DIAG_H

#include <stddef.h>
#include <stdnoreturn.h>

enum exit_status {
	EXIT_OK = 0,
	EXIT_REFUSED = 1,	/* the peer answered with an error reply */
	EXIT_USAGE = 2,		/* bad flags or configuration; nothing started */
	EXIT_UNREACHABLE = 69,	/* the VM, QEMU or the agent is gone or absent */
	EXIT_LOCAL = 71,	/* a local failure: memory, a file, stdout */
	EXIT_PROTOCOL = 76,	/* the peer broke the protocol */
	EXIT_TIMEOUT = 124,	/* a deadline passed */
	EXIT_CANNOT_EXEC = 126,	/* the guest could not execute the command */
	EXIT_NOT_FOUND = 127,	/* the guest could not find the command */
	EXIT_SIGNAL_BASE = 128,	/* 128+N: the guest command died of signal N */
};

/* Sets the name diagnostics begin with, from argv[0]'s last component. */
void diag_init(const char *argv0);
const char *diag_progname(void);

/*
 * Every function here leaves errno as it found it, so a caller may say
 * what failed and still look at, or return, the reason.
 */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void error_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * The same, followed by ": " and strerror(errno) as errno stood on entry:
 * warn(3) and err(3) in our format.  "tool: error: PATH: No such file or
 * directory" is error_errno("%s", path).
 */
void note_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void error_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void die_errno(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * The message into why (size bytes), for a caller to report; returns -1,
 * so that "return why_fail(why, size, ...)" ends a function that fails.
 */
int why_fail(char *why, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
