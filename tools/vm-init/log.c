#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"
#include "parse.h"

#define PREFIX "vm-init: "

static bool debug;

void
log_set_debug(bool on)
{
	debug = on;
}

bool
log_debug_on(void)
{
	return debug;
}

/*
 * The kernel copies a record to the console itself when its level is
 * below the console log level (the first number in
 * /proc/sys/kernel/printk: 4 with "quiet", 7 without).  Writing such a
 * line ourselves too would print it twice.
 */
static bool
kernel_echoes(int level)
{
	char buf[32];
	uint64_t console;
	ssize_t n;
	int fd;

	fd = open("/proc/sys/kernel/printk", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	/* "4\t4\t1\t7\n": the first number is the console's level. */
	buf[n] = '\0';
	buf[strspn(buf, "0123456789")] = '\0';
	return parse_uint(buf, 0, 15, &console) == 0 &&
	    (uint64_t)level < console;
}

/*
 * /dev/kmsg is opened for every line: the kernel rate-limits writers per
 * open file (10 lines in 5 s unless printk.devkmsg=on), and a boot logs
 * more than that in well under a second.
 */
static void
emit(int level, bool console, int errnum, const char *fmt, va_list ap)
{
	char line[1000], reason[160];
	size_t head, len, rlen = 0;
	bool sent = false;
	int fd, n, saved = errno;

	/* A message too long for the line loses its end, not the reason. */
	reason[0] = '\0';
	if (errnum >= 0) {
		snprintf(reason, sizeof(reason), ": %s", strerror(errnum));
		rlen = strlen(reason);
	}
	n = snprintf(line, sizeof(line), "<%d>" PREFIX, level);
	head = (size_t)n;
	vsnprintf(line + head, sizeof(line) - head - 1 - rlen, fmt, ap);
	len = strlen(line);
	memcpy(line + len, reason, rlen + 1);
	len += rlen;
	/*
	 * The newline matters: the kernel keeps a record that lacks one
	 * open for more text, and readers such as dmesg do not see the
	 * last record until it is closed.
	 */
	line[len++] = '\n';

	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0) {
		sent = write(fd, line, len) == (ssize_t)len;
		close(fd);
	}
	if (!sent || ((console || debug) && !kernel_echoes(level))) {
		/* Without the "<N>" the kernel would have consumed. */
		(void)fd_write_all(STDERR_FILENO, line + head - strlen(PREFIX),
		    len - (head - strlen(PREFIX)));
	}
	errno = saved;
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(LOG_LVL_INFO, false, -1, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!debug)
		return;
	va_start(ap, fmt);
	emit(LOG_LVL_DEBUG, false, -1, fmt, ap);
	va_end(ap);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(LOG_LVL_ERR, false, -1, fmt, ap);
	va_end(ap);
}

void
log_console(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(level, true, -1, fmt, ap);
	va_end(ap);
}

void
log_debug_errno(const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	if (!debug)
		return;
	va_start(ap, fmt);
	emit(LOG_LVL_DEBUG, false, errnum, fmt, ap);
	va_end(ap);
}

void
log_error_errno(const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	emit(LOG_LVL_ERR, false, errnum, fmt, ap);
	va_end(ap);
}

void
log_console_errno(int level, const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	emit(level, true, errnum, fmt, ap);
	va_end(ap);
}

int64_t
log_now_ms(void)
{
	struct timespec ts;

	/* BOOTTIME: zero when the kernel started, so also "since boot". */
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
log_step(const char *name, int64_t start_ms)
{
	int64_t now;

	now = log_now_ms();
	log_info("%s: %lld ms", name, (long long)(now - start_ms));
	return now;
}
