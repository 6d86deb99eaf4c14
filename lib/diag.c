#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

static const char *progname = "vmtest-tools";

void
diag_init(const char *argv0)
{
	const char *slash;

	if (argv0 == NULL || *argv0 == '\0')
		return;
	slash = strrchr(argv0, '/');
	progname = slash != NULL ? slash + 1 : argv0;
}

const char *
diag_progname(void)
{
	return progname;
}

/*
 * Writes "progname: LABEL MESSAGE" and, with errnum 0 or more,
 * ": strerror(errnum)" after it.  Leaves errno alone.
 */
static void
vmessage(const char *label, int errnum, const char *fmt, va_list ap)
{
	/*
	 * One fprintf per line would let another writer's bytes land inside
	 * ours; format into a buffer and write the line once.
	 */
	char line[4096], reason[160], buf[128];
	size_t len, rlen = 0;
	int n, saved = errno;

	reason[0] = '\0';
	if (errnum >= 0) {
		/* strerror_r: nbd-fault's threads may speak at once. */
		snprintf(reason, sizeof(reason), ": %s",
		    strerror_r(errnum, buf, sizeof(buf)));
		rlen = strlen(reason);
	}
	n = snprintf(line, sizeof(line), "%s: %s", progname, label);
	if (n < 0 || (size_t)n + rlen >= sizeof(line))
		n = 0;
	/* A message too long for the line loses its end, not the reason. */
	vsnprintf(line + n, sizeof(line) - (size_t)n - rlen, fmt, ap);
	len = strlen(line);
	memcpy(line + len, reason, rlen + 1);
	fprintf(stderr, "%s\n", line);
	fflush(stderr);
	errno = saved;
}

void
note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("", -1, fmt, ap);
	va_end(ap);
}

void
error_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("error: ", -1, fmt, ap);
	va_end(ap);
}

void
die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("error: ", -1, fmt, ap);
	va_end(ap);
	exit(status);
}

void
note_errno(const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	vmessage("", errnum, fmt, ap);
	va_end(ap);
}

void
error_errno(const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	vmessage("error: ", errnum, fmt, ap);
	va_end(ap);
}

void
die_errno(int status, const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	vmessage("error: ", errnum, fmt, ap);
	va_end(ap);
	exit(status);
}

int
why_fail(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -1;
}
