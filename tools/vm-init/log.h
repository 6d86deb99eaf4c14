/*
 * log: vm-init's messages.  Everything goes to the kernel log through
 * /dev/kmsg as "<N>vm-init: ...", so that dmesg in the guest and the
 * serial console (at the kernel's console log level) show it; messages
 * that must be seen whatever the log level also go to the console.
 */
#ifndef VM_INIT_LOG_H
#define VM_INIT_LOG_H

#include <stdbool.h>
#include <stdint.h>

/* Syslog levels, as the kernel reads them in a "<N>" prefix. */
enum {
	LOG_LVL_CRIT = 2,
	LOG_LVL_ERR = 3,
	LOG_LVL_WARNING = 4,
	LOG_LVL_INFO = 6,
	LOG_LVL_DEBUG = 7,
};

/* With debug on, debug lines are kept and every line is also echoed. */
void log_set_debug(bool on);
bool log_debug_on(void);

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A line that must reach the console even when the kernel hides it. */
void log_console(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * The same, followed by ": " and strerror(errno) as errno stood on entry:
 * lib/diag.h's note_errno() for the kernel log.  Like every function
 * here, they leave errno as they found it, and they never exit: PID 1
 * goes on where it can.
 */
void log_debug_errno(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
void log_error_errno(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
void log_console_errno(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Milliseconds on the monotonic clock, which starts at the kernel's boot. */
int64_t log_now_ms(void);

/* Logs "NAME: N ms", the time since start_ms; returns the time now. */
int64_t log_step(const char *name, int64_t start_ms);

#endif
