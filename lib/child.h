/*
 * child: waiting for a child process with a deadline, and stopping one
 * with grace: a polite signal first, SIGKILL when the grace runs out.
 *
 * These reap only the pid they are given, never another child, so a tool
 * with several children (QEMU and a disk's nbd-fault) can stop one and
 * keep the others.  They need SIGCHLD not ignored (with SIG_IGN the
 * kernel reaps children itself and there is no status to take).  Every
 * wait here restarts after a signal handler runs (EINTR) and keeps its
 * deadline.
 */
#ifndef VT_CHILD_H
#define VT_CHILD_H

#include <stdint.h>
#include <sys/types.h>

/*
 * A pidfd for pid (pidfd_open(2), close-on-exec), for any process, not
 * only a child: poll(2) reports it readable once the process has ended,
 * which is how to watch a process one cannot waitpid(2) for (qga-exec
 * --pid watching QEMU).  -1 with errno ENOSYS where the kernel has no
 * pidfd_open (before Linux 5.3), ESRCH if there is no such process.
 */
int pid_open(pid_t pid);

/*
 * Waits up to timeout_ms (less than 0: without limit) for the child pid to
 * end, and reaps it.  Returns 0 with its wait status in *wstatus (unless
 * wstatus is NULL), or -1 with errno ETIMEDOUT if it is still running at
 * the deadline, or ECHILD if pid is not an unreaped child of ours.
 */
int child_wait(pid_t pid, int64_t timeout_ms, int *wstatus);

/*
 * Stops the child pid: sends it sig (none if sig is 0), waits up to
 * grace_ms for it to end (less than 0: without limit), then sends SIGKILL
 * and waits for that.  A child that has already ended is only reaped.
 * Returns 0 with the wait status in *wstatus (unless NULL), or -1 with
 * errno ECHILD if pid is not an unreaped child of ours; nothing is sent
 * then, since the pid may already name another process.
 */
int child_stop(pid_t pid, int sig, int64_t grace_ms, int *wstatus);

#endif
