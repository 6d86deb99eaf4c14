/*
 * cmdline: what the host asks of the guest, read from the kernel command
 * line (/proc/cmdline) and, with vm.control, from the host's text over
 * the control channel (control.h), which is written in the same syntax.
 * Only "vm.*" keys and the kernel's own "ro"/"rw" concern vm-init;
 * everything else is the kernel's.
 */
#ifndef VM_INIT_CMDLINE_H
#define VM_INIT_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define DEFAULT_ROOT_TAG "/dev/root"
#define DEFAULT_SHARE_TAG "vmtest-shared"
#define DEFAULT_HOSTNAME "vmtest"

struct share {
	const char *tag;
	const char *path;	/* absolute guest path */
	bool ro;
};

struct config {
	const char *root_tag;
	bool root_ro;
	uint32_t msize;		/* 0: the largest the kernel takes */
	const char *share_tag;	/* NULL or "": no shared directory */
	bool share_given;	/* vm.share= given: a failure is fatal */
	struct share *mounts;	/* vm.mount=, in order */
	int nmounts;
	bool interactive;
	bool debug;
	bool net;		/* vm.net: configure eth0 for QEMU's user net */
	const char *qga;	/* NULL: searched for in the new root */
	const char *hostname;
	const char *control;	/* vm.control: the port to ask, or NULL */

	/* Only over the control channel: what a run must not share. */
	bool time_given;
	struct timespec time;	/* vm.time: the host's CLOCK_REALTIME */
	const unsigned char *entropy;	/* vm.entropy, decoded; NULL: none */
	size_t entropy_len;
};

/* How many random bytes vm.entropy carries. */
#define ENTROPY_MIN 32
#define ENTROPY_MAX 512

/* Called once per problem with a message naming the word. */
typedef void cmdline_report(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

void cmdline_defaults(struct config *c);

/*
 * Parses text (modified in place, and pointed into by c) into c, which
 * must hold the defaults.  Words split at blanks outside double quotes,
 * and the quotes are dropped, as the kernel does; parsing stops at "--".
 * A vm.* value is percent-decoded (%HH is the byte HH, any case; %00 and
 * a '%' without two hex digits are bad), vm.mount's after it is split at
 * its literal colons.  A bad word is reported and ignored.  Returns the
 * number of problems.
 */
int cmdline_parse(char *text, struct config *c, cmdline_report *report);

/*
 * The same for the text the host sends over the control channel, merged
 * over what c holds (a mount is one more, another key replaces).  Every
 * word must be a vm.* key the channel may set: vm.mount, vm.interactive,
 * vm.share, and its own vm.time=SECONDS.NANOSECONDS and vm.entropy=HEX
 * (ENTROPY_MIN to ENTROPY_MAX bytes).  Anything else is a problem, as is
 * vm.time or vm.entropy on the kernel command line.  Newlines are blanks.
 */
int cmdline_parse_control(char *text, struct config *c,
    cmdline_report *report);

/* The settings as "key=value" lines, for vm-init --parse. */
void cmdline_print(const struct config *c, FILE *f);

#endif
