/*
 * report: what qemu-launch prints: the one JSON line saying where a
 * run's parts are, the line saying how it ended (--report), and the QEMU
 * command line (--print-argv).
 */
#ifndef QEMU_LAUNCH_REPORT_H
#define QEMU_LAUNCH_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "argv.h"
#include "captive.h"
#include "launch.h"
#include "target.h"

struct report {
	FILE *f;		/* NULL: the lines go nowhere */
	const char *name;	/* "stdout" or the --report path */
};

/*
 * The lines go to path (--report FILE, truncated), else to stdout when
 * stdout is ours, else nowhere.  -1 after a message if path cannot be
 * written.
 */
int report_open(struct report *r, const char *path, bool stdout_is_ours);

/* The ready line.  False after a message if it could not be written. */
bool report_ready(struct report *r, const struct launch *l,
    const struct target *t, const struct plan *p, const struct strv *argv,
    pid_t disk_pid);

/* The end line, to a --report file only. */
void report_end(struct report *r, const struct run_end *end);

void report_close(struct report *r);

/* --print-argv: QEMU's command line as a JSON array, or a shell line. */
int report_argv(const struct target *t, struct plan *p,
    const char *rundir_arg, bool shell);

#endif
