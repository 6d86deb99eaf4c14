/*
 * options: qemu-launch's command line.
 */
#ifndef QEMU_LAUNCH_OPTIONS_H
#define QEMU_LAUNCH_OPTIONS_H

#include <stdbool.h>
#include <stdnoreturn.h>
#include <sys/types.h>

#include "accel.h"
#include "launch.h"
#include "target.h"

enum snapshots_job { SNAPSHOTS_NONE, SNAPSHOTS_LIST, SNAPSHOTS_CLEAR };

struct options {
	const char *config, *target, *filter;
	bool list, keep, print_argv, shell, run, share_cwd;
	const char *report;	/* --report FILE, or NULL */
	enum snapshots_job snapshots;	/* --snapshots, --clear-snapshots */
	char **command;		/* --run's COMMAND, NULL-terminated */
	enum accel_mode accel;
	struct target flags;	/* the target settings given as flags */
	bool any_flag;
	struct launch launch;
	pid_t disk_pid;		/* nbd-fault serving the disk, or 0 */
};

/* Parses argv into o; --help and --version exit 0, misuse exits 2. */
void options_parse(int argc, char **argv, struct options *o);

/* The usage on stderr, exit 2. */
noreturn void options_usage(void);

#endif
