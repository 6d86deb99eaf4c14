/*
 * session: what qmp-send does once connected: run commands and print
 * their replies, print and match events, follow the event stream.  Each
 * function returns the exit status the run should end with, or 0.
 */
#ifndef QMP_SEND_SESSION_H
#define QMP_SEND_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "match.h"
#include "qmp.h"

struct session {
	struct qmp qmp;
	const char *sock;	/* the address, as the user wrote it */
	int64_t timeout_ms;	/* each wait on QEMU; -1 = forever */
	bool full, pretty, keep_going, print_events;
	struct event_match *awaited;	/* --wait-event, or NULL */
	bool awaited_seen;
	bool qemu_gone;		/* QEMU closed the connection after quit */
	int failures;		/* error replies so far */
};

void session_init(struct session *s, int fd);

/* The one line for a failed QMP call, and the status it maps to. */
int session_fail(struct session *s, enum qmp_status st, const char *doing);

/* Runs one command object and prints its reply. */
int session_run(struct session *s, json_t *command, bool is_hmp);

/* Runs the JSON-line commands read from fd, printing events meanwhile. */
int session_run_stream(struct session *s, int fd);

/* Waits for the --wait-event event unless it came already. */
int session_await_event(struct session *s);

/* Prints events until QEMU closes the connection or the timeout passes. */
int session_follow(struct session *s);

#endif
