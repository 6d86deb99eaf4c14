#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "devices.h"
#include "fresh.h"
#include "log.h"
#include "pid1.h"

/* How long the port may take to appear once virtio_console is loaded. */
#define PORT_WAIT_MS 10000

/*
 * How long the host may take, from our hello to its "end", in the
 * guest's time.  qemu-launch connects as soon as QEMU answers on QMP,
 * before this kernel has even started, and answers a hello at once, so
 * it needs milliseconds.  The time a host spends saving the guest does
 * not count: QEMU stops the guest for that, and a stopped guest's clock
 * (the TSC under TCG, kvmclock under KVM) stands still, as it does in a
 * snapshot file between a save and a restore.  So 60 s ends only a boot
 * whose host will never answer (a QEMU started by hand without one).
 */
#define EXCHANGE_MS 60000

/* How long the answer may wait for a host that has gone. */
#define ANSWER_MS 2000

/* A read of 0 is a host not connected: how long to nap before the next. */
#define NAP_MS 5

/* The host's text: a few lines per mount, each path at most 12 KiB. */
#define TEXT_MAX (4 << 20)

static char problem[300];	/* the first thing wrong, for the answer */

static void keep_problem(const char *, ...)
	__attribute__((format(printf, 1, 2)));

/* cmdline_parse_control's report: logged, and the first one kept. */
static void
keep_problem(const char *fmt, ...)
{
	char msg[sizeof(problem)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s", msg);
	if (problem[0] == '\0')
		memcpy(problem, msg, sizeof(problem));
}

static void
nap(void)
{
	struct timespec ts = { 0, NAP_MS * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Writes all of line.  The port is non-blocking: EAGAIN while the host is
 * not connected (its socket has no client) or the queue is full, so the
 * wait is ours to bound.  0, or -1 with errno (ETIMEDOUT at the deadline).
 */
static int
port_write(int fd, const char *line, int64_t deadline)
{
	size_t len = strlen(line);
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, line, len)) > 0) {
			line += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (log_now_ms() >= deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		nap();
	}
	return 0;
}

/*
 * Tells the host what is wrong (one line, controls as '?'), as far as it
 * listens, and ends the boot.
 */
static noreturn void
refuse(int fd, const char *why)
{
	char line[sizeof(problem) + 16];
	size_t i;

	snprintf(line, sizeof(line), "error %s", why);
	for (i = 0; line[i] != '\0'; i++)
		if ((unsigned char)line[i] < ' ' || line[i] == 0x7f)
			line[i] = '?';
	line[i] = '\n';
	line[i + 1] = '\0';
	if (fd >= 0)
		port_write(fd, line, log_now_ms() + ANSWER_MS);
	fatal("control channel: %s", why);
}

/*
 * Reads up to a line "end" and returns the text before it, NUL-terminated
 * (malloc'd: the config points into it for good).  A read of 0 means no
 * host is connected right now (a restored snapshot's first moments,
 * before the host connects again): nap and read again.
 */
static char *
read_text(int fd, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t len = 0, cap = 0, line = 0;
	char *buf = NULL, *grown, *nl;
	int64_t left;
	ssize_t n;

	for (;;) {
		if (cap - len < 4096) {
			if (cap >= TEXT_MAX)
				refuse(fd, "the host's text is longer than 4 MiB");
			cap = cap == 0 ? 65536 : cap * 2;
			if ((grown = realloc(buf, cap)) == NULL)
				refuse(fd, "out of memory for the host's text");
			buf = grown;
		}
		if ((n = read(fd, buf + len, cap - len - 1)) > 0) {
			len += (size_t)n;
			while ((nl = memchr(buf + line, '\n', len - line)) !=
			    NULL) {
				if (nl - (buf + line) == 3 &&
				    memcmp(buf + line, "end", 3) == 0) {
					buf[line] = '\0';
					if (memchr(buf, '\0', line) != NULL)
						refuse(fd, "a NUL byte in the "
						    "host's text");
					return buf;
				}
				line = (size_t)(nl - buf) + 1;
			}
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			fatal_errno("control channel: read");
		if ((left = deadline - log_now_ms()) <= 0)
			refuse(fd, "no \"end\" from the host in 60 s");
		if (n == 0)
			nap();
		else if (n < 0 && errno == EAGAIN)
			poll(&pfd, 1, (int)left);
	}
}

/* What the channel gave that acts at once: the clock, the random state. */
static void
apply(int fd, struct config *c)
{
	long long moved;

	/* First, so that every later timestamp is the host's time. */
	if (c->time_given) {
		if (fresh_clock(&c->time, &moved) < 0) {
			snprintf(problem, sizeof(problem), "vm.time=%lld.%09ld:"
			    " clock_settime: %s", (long long)c->time.tv_sec,
			    c->time.tv_nsec, strerror(errno));
			refuse(fd, problem);
		}
		log_info("control: clock set to the host's, %+lld ms", moved);
	}
	if (c->entropy != NULL) {
		if (fresh_entropy(c->entropy, c->entropy_len) < 0) {
			snprintf(problem, sizeof(problem), "vm.entropy: %s",
			    strerror(errno));
			refuse(fd, problem);
		}
		/* The bytes are in the pool now, and nowhere else. */
		explicit_bzero((void *)c->entropy, c->entropy_len);
		log_info("control: %zu bytes of entropy from the host",
		    c->entropy_len);
	}
}

void
control_receive(struct config *c)
{
	char port[300];
	int64_t deadline;
	char *text;
	int fd, before = c->nmounts;

	if (devices_wait_port(c->control, PORT_WAIT_MS, port,
	    sizeof(port)) < 0)
		fatal("vm.control=%s: no virtio-serial port of that name "
		    "after %d s (QEMU needs -device virtserialport,name=%s)",
		    c->control, PORT_WAIT_MS / 1000, c->control);
	if ((fd = open(port, O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0)
		fatal_errno("control channel: %s", port);
	deadline = log_now_ms() + EXCHANGE_MS;
	if (port_write(fd, CONTROL_HELLO "\n", deadline) < 0)
		fatal_errno("control channel: no host on %s to say hello to",
		    port);
	text = read_text(fd, deadline);
	if (cmdline_parse_control(text, c, keep_problem) > 0)
		refuse(fd, problem);
	apply(fd, c);
	/* A host that is gone needs no answer; the run is its own now. */
	if (port_write(fd, "ok\n", log_now_ms() + ANSWER_MS) < 0)
		log_error_errno("control channel: could not answer ok");
	close(fd);
	log_info("control: %d mount%s from the host%s", c->nmounts - before,
	    c->nmounts - before == 1 ? "" : "s",
	    c->interactive ? ", interactive" : "");
}
