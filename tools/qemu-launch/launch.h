/*
 * launch: the run directory, starting QEMU in it, knowing when it is
 * ready or why it is not, waiting for it, and leaving nothing behind.
 */
#ifndef QEMU_LAUNCH_LAUNCH_H
#define QEMU_LAUNCH_LAUNCH_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "argv.h"

/* How long QEMU may take over a clean stop before SIGKILL. */
#define STOP_GRACE_MS 5000

struct launch {
	/* Set by the caller. */
	const char *rundir_arg;	/* --rundir, or NULL for a private one */
	bool detach, interactive;
	int64_t start_timeout_ms;
	int pass_fd;		/* QEMU inherits it as it is (0: none) */

	/* Ours. */
	char *rundir;
	bool made_rundir;	/* we created it, so we remove it */
	pid_t pid;		/* QEMU, or 0 */
	int status;		/* its wait status once it is gone */
	int signal;		/* the signal that stopped us, or 0 */
};

enum start_result {
	START_READY,	/* sockets there and QMP answers */
	START_DIED,	/* QEMU exited first: its stderr is in qemu.err */
	START_TIMEOUT,
	START_FAILED,	/* not started at all; reported */
	START_SIGNAL,	/* we were told to stop; QEMU is stopped */
};

/*
 * The directory a run would use, for --print-argv: --rundir, or the
 * mkdtemp template under $XDG_RUNTIME_DIR, $TMPDIR or /tmp.
 */
char *launch_rundir_preview(const char *rundir_arg);

/* "DIR/NAME", malloc'd (xalloc.h: out of memory ends the tool). */
char *run_path(const char *dir, const char *name);

/* Makes the run directory; -1 after a message. */
int launch_rundir(struct launch *l);

/* Removes what the run made: every file, and the directory if ours. */
void launch_cleanup(struct launch *l);

/*
 * Removes a run directory: all of it if made (ours), else only the files
 * a run makes.  The janitor calls it too, with no struct launch at hand.
 */
void launch_remove_rundir(const char *dir, bool made);

/*
 * Blocks the signals that stop a run; launch_start() and launch_wait()
 * take them synchronously, so none is lost between two checks.
 */
void launch_block_signals(void);

/*
 * Takes a stop signal (SIGINT, SIGTERM, SIGHUP) if one comes within ms
 * (-1: no limit); 0 if none.  A SIGCHLD only ends the wait early.
 */
int launch_take_signal(int64_t ms);

/* Whether QEMU is gone; reaps it and keeps its wait status if so. */
bool launch_reaped(struct launch *l);

/*
 * Whether the guest kernel panicked, from the serial log; line gets the
 * panic's line.  (panic=-1 and -no-reboot end QEMU with status 0 on a
 * panic, as on a power-off: only the log tells them apart.)
 */
bool launch_guest_panicked(const struct launch *l, char *line, size_t size);

/* Prints the last lines of the guest's console log on stderr. */
void launch_show_console_tail(const struct launch *l, int lines);

/*
 * Starts argv in the run directory and waits until QEMU's sockets exist
 * and its QMP monitor answers, or it dies, or the time is up.
 */
enum start_result launch_start(struct launch *l, const struct strv *argv);

/* Removes the run files of a QEMU that is gone, for another try. */
void launch_reset(struct launch *l);

/* Prints QEMU's own error output (qemu.err) on stderr. */
void launch_show_errors(const struct launch *l);

/* The first line of qemu.err, for one-line messages. */
void launch_first_error(const struct launch *l, char *buf, size_t size);

/*
 * Foreground: waits for QEMU to end, passing SIGINT, SIGTERM and SIGHUP
 * on to it.  Returns QEMU's wait status.
 */
int launch_wait(struct launch *l);

/*
 * Stops QEMU: SIGTERM (its clean stop, as QMP quit), SIGKILL after
 * grace_ms, and reaps it.
 */
void launch_stop(struct launch *l, int64_t grace_ms);

#endif
