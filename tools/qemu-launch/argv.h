/*
 * argv: the QEMU command line for a target.  Building it is pure: it
 * reads the target and the plan and nothing else, so --print-argv shows
 * exactly what a launch would run.
 */
#ifndef QEMU_LAUNCH_ARGV_H
#define QEMU_LAUNCH_ARGV_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "target.h"

/* A growing, NULL-terminated vector of strings it owns. */
struct strv {
	char **v;
	size_t n, cap;
	size_t raw;	/* 1 + the index of a word --shell must not quote */
};

void strv_free(struct strv *s);

enum accel {
	ACCEL_TCG,
	ACCEL_KVM,
};

/* What the launch decided around the target. */
struct plan {
	const char *rundir;	/* where the sockets and logs go */
	enum accel accel;
	const char *initrd;	/* the initrd; NULL: vm-initrd's, unbuilt */
	bool interactive;	/* the console on our terminal */
};

/* The file names in the run directory. */
#define RUN_QMP "qmp.sock"
#define RUN_QGA "qga.sock"
#define RUN_SERIAL "serial.log"
#define RUN_PIDFILE "qemu.pid"
#define RUN_STDERR "qemu.err"
#define RUN_NBD "nbd.sock"		/* the disk's server, nbd-fault */
#define RUN_NBD_PID "nbd-fault.pid"
#define RUN_NBD_LOG "nbd-fault.log"	/* its JSON lines: each fault */
#define RUN_NBD_ERR "nbd-fault.err"

/* The 9p tags the guest's vm-init mounts. */
#define TAG_ROOT "/dev/root"
#define TAG_SHARE "vmtest-shared"

void argv_build(const struct target *t, const struct plan *p,
    struct strv *out);

/*
 * The kernel command line of a kernel target (malloc'd).  A guest path
 * goes on it percent-encoded (every byte but letters, digits and
 * "/._-+,=@~"), so it may hold any byte; vm-init decodes it.
 */
char *argv_cmdline(const struct target *t, const struct plan *p);

/*
 * Whether a kernel target's command line fits its arch's
 * COMMAND_LINE_SIZE: the kernel would cut a longer one without a word.
 * Counted with vm.interactive=1, the longest any plan makes it.  A line
 * too long is reported once, at the mount (else kernel_args) whose word
 * crosses the limit.  Returns the number of problems, 0 or 1.
 */
int argv_cmdline_check(const struct target *t);

/* The argv as one JSON array. */
json_t *argv_json(const struct strv *s);

/* The argv as one line a POSIX shell reads back as the same words. */
char *argv_shell(const struct strv *s);

#endif
