/*
 * captive: --run: QEMU lives exactly as long as a command, as nbdkit's
 * --run keeps a server for the life of one.
 */
#ifndef QEMU_LAUNCH_CAPTIVE_H
#define QEMU_LAUNCH_CAPTIVE_H

#include <sys/types.h>

#include "launch.h"

/* How long the command and QEMU each get to stop before SIGKILL. */
#define CAPTIVE_GRACE_MS 1000

/* How a run ended, for the caller's message and its --report line. */
struct run_end {
	const char *reason;	/* "command", "panic", "qemu", "signal" */
	int status;		/* qemu-launch's exit status */
	char message[512];	/* "" for a command that simply ended */
};

/*
 * Runs cmd (argv, NULL-terminated) with the run's sockets and directory
 * in its environment (QEMU_PID, QMP_SOCK, QGA_SOCK, SERIAL_LOG, RUNDIR,
 * and NBD_SOCK, NBD_LOG, NBD_PID for a disk) while QEMU runs.  Returns
 * once the command has ended, or QEMU has, or a stop signal came; the
 * command and all it started are then gone (but janitor_pid), QEMU not
 * yet.
 */
void captive_run(struct launch *l, pid_t disk_pid, pid_t janitor_pid,
    char **cmd, struct run_end *end);

/*
 * Foreground: waits for QEMU alone, passing stop signals on to it, and
 * says how it ended.
 */
void captive_foreground(struct launch *l, struct run_end *end);

#endif
