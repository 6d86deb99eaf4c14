/*
 * spawn: starting PID 1's children (the agent, the interactive shell)
 * as fresh processes: default signals, their own session, "/" as the
 * working directory, and the environment guest commands will inherit.
 */
#ifndef VM_INIT_SPAWN_H
#define VM_INIT_SPAWN_H

#include <sys/types.h>

/*
 * Starts argv[0] with stdin from /dev/null and stdout and stderr on the
 * console.  Returns its pid, or -1 (logged) if it could not be forked;
 * an exec failure is logged by the child, which exits 127.
 */
pid_t spawn_daemon(char *const argv[]);

/*
 * Starts a login shell (/bin/bash, else /bin/sh) on the console, with the
 * console's terminal as its controlling terminal, so that job control and
 * ^C work.  Returns its pid or -1 (logged).
 */
pid_t spawn_shell(void);

#endif
