/*
 * pid1: the duties that come with being process 1: taking every signal
 * through one loop, reaping every child (orphans end up here), and
 * ending the machine, never exiting: the kernel panics when init exits.
 */
#ifndef VM_INIT_PID1_H
#define VM_INIT_PID1_H

#include <stdnoreturn.h>
#include <sys/types.h>

/* Blocks the signals the loop takes; the first thing PID 1 does. */
void pid1_signals(void);

/* In a child between fork and exec: the signal state of a fresh process. */
void pid1_child_signals(void);

/*
 * Says what went wrong on the kernel log and the console, then writes
 * what is dirty and powers the machine off.
 */
noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* fatal(), followed by ": " and strerror(errno) as errno stood on entry. */
noreturn void fatal_errno(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/*
 * Reaps children until the one the machine lives for (main, called
 * main_name) exits, or a signal asks for the end: SIGTERM, SIGUSR1,
 * SIGUSR2, SIGINT or SIGPWR.  Then powers off.  The death of watched
 * (when not main; 0 for none), named watched_name, is logged.
 */
noreturn void pid1_supervise(pid_t main, const char *main_name,
    pid_t watched, const char *watched_name);

/* A wait status in words: "status 3", "signal 9". */
const char *pid1_status_text(int status, char *buf, size_t size);

#endif
