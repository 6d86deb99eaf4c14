/*
 * vm-init's resolv_guest() on the host, for tests/vm-init.bats, which
 * runs it in a mount namespace of its own with tmpfs over /etc and /run:
 * "resolv-guest ADDR" does what vm-init does for vm.net and exits 0, or
 * 1 when the guest got no resolver.  The log goes to stderr, not to the
 * host's /dev/kmsg: these stand in for log.c's.  (Not named test-*, so
 * that tests/lib.bats does not count it as its own.)
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../../tools/vm-init/log.h"
#include "../../tools/vm-init/resolv.h"

static void
say(const char *what, int errnum, const char *fmt, va_list ap)
{
	fputs(what, stderr);
	vfprintf(stderr, fmt, ap);
	if (errnum != 0)
		fprintf(stderr, ": %s", strerror(errnum));
	fputc('\n', stderr);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("info: ", 0, fmt, ap);
	va_end(ap);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("error: ", 0, fmt, ap);
	va_end(ap);
}

void
log_error_errno(const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	say("error: ", errnum, fmt, ap);
	va_end(ap);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fputs("usage: resolv-guest ADDR\n", stderr);
		return 2;
	}
	return resolv_guest(argv[1]) < 0;
}
