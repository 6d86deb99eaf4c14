/*
 * janitor: the run directory goes even when qemu-launch is killed in a
 * way that runs none of its code (SIGKILL).
 */
#ifndef QEMU_LAUNCH_JANITOR_H
#define QEMU_LAUNCH_JANITOR_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * Starts a process that removes dir (all of it if made, else the run's
 * files) once this process is gone, however it ended.  Returns the
 * descriptor that keeps it waiting (*pid is the janitor's), or -1 after a
 * warning: the run goes on without one.
 */
int janitor_start(const char *dir, bool made, pid_t *pid);

/* Lets the janitor go: our own cleanup has run. */
void janitor_dismiss(int fd);

#endif
