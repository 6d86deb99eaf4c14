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
	/*
	 * Snapshot boots: the devices they need (vmgenid, a monitor of
	 * qemu-launch's own), and the state to restore from, as a
	 * descriptor QEMU inherits (0: none, boot cold).
	 */
	bool snapshots;
	int incoming_fd;
	bool restored;		/* the guest runs from a snapshot */
	const char *snapshot;	/* the snapshot's file (to be), or NULL */
	/*
	 * The command line as the snapshot key sees it: what is only the
	 * host's (run files, 9p export paths, the console's backend, the
	 * kernel's and initrd's paths) as fixed placeholders.
	 */
	bool key_mode;
};

/* The file names in the run directory. */
#define RUN_QMP "qmp.sock"
#define RUN_QGA "qga.sock"
#define RUN_SERIAL "serial.log"
#define RUN_PIDFILE "qemu.pid"
#define RUN_STDERR "qemu.err"
#define RUN_CONTROL "control.sock"	/* vm-init's control channel */
#define RUN_MONITOR "launch.qmp"	/* qemu-launch's own QMP monitor */
#define RUN_NBD "nbd.sock"		/* the disk's server, nbd-fault */
#define RUN_NBD_PID "nbd-fault.pid"
#define RUN_NBD_LOG "nbd-fault.log"	/* its JSON lines: each fault */
#define RUN_NBD_ERR "nbd-fault.err"
#define RUN_GDB "gdb.sock"		/* QEMU's gdbstub (gdb = true) */
#define RUN_UEFI_VARS "uefi-vars.fd"	/* a split firmware's, copied */

/* The 9p tags the guest's vm-init mounts. */
#define TAG_ROOT "/dev/root"
#define TAG_SHARE "vmtest-shared"

/* The virtio-serial port of vm-init's control channel (handoff.h). */
#define CONTROL_PORT "org.vmtest-tools.control.0"

/*
 * Whether a run hands the guest its mounts and the rest over the control
 * channel: a kernel target booting vm-initrd's initrd, whose vm-init
 * speaks it.  An initrd of the user's may have any /init, so it gets
 * them on the kernel command line, as it always has.
 */
bool argv_control(const struct target *t);

void argv_build(const struct target *t, const struct plan *p,
    struct strv *out);

/*
 * The kernel command line of a kernel target (malloc'd): what must be
 * known before the handoff (the console, the root, the share's tag,
 * vm.control) and kernel_args.  Without the control channel, the mounts
 * and vm.interactive too, a guest path percent-encoded (handoff.h), so
 * it may hold any byte; vm-init decodes it.
 */
char *argv_cmdline(const struct target *t, const struct plan *p);

/*
 * Whether a kernel target's command line fits its arch's
 * COMMAND_LINE_SIZE: the kernel would cut a longer one without a word.
 * With the control channel only kernel_args can make it too long.
 * Without it, it is counted with vm.interactive=1, the longest any plan
 * makes it, and reported once, at the mount (else kernel_args) whose
 * word crosses the limit.  Returns the number of problems, 0 or 1.
 */
int argv_cmdline_check(const struct target *t);

/* The argv as one JSON array. */
json_t *argv_json(const struct strv *s);

/* The argv as one line a POSIX shell reads back as the same words. */
char *argv_shell(const struct strv *s);

#endif
