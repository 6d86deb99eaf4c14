/*
 * qemu-launch: turn a target (flags, or a section of an INI file) into a
 * QEMU command line and run it: for the life of a command (--run), in
 * the foreground, or detached.
 *
 * The job: read the target and check all of it before anything starts;
 * choose KVM or TCG; find the initrd of a kernel target; make a private
 * run directory, with a janitor that removes it even if we are killed;
 * start QEMU there, a child that dies with us; once its sockets answer,
 * say where they are; then run the command, or wait for QEMU, or leave
 * it running (--detach); stop QEMU and remove what the run made.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <signal.h>
#include <unistd.h>

#include "accel.h"
#include "argv.h"
#include "captive.h"
#include "config.h"
#include "cwd.h"
#include "diag.h"
#include "disk.h"
#include "gdb.h"
#include "handoff.h"
#include "initrd.h"
#include "janitor.h"
#include "kernel.h"
#include "launch.h"
#include "options.h"
#include "pick.h"
#include "report.h"
#include "snapshot.h"
#include "start.h"
#include "target.h"

/*
 * A VM we own must not outlive whoever asked for it, even one killed
 * with SIGKILL: its death is our SIGTERM, a clean stop.
 */
static void
watch_parent(void)
{
	pid_t parent = getppid();

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		raise(SIGTERM);
}

/* Runs the VM that is ready: for a command, or until it ends. */
static int
own(struct options *o, struct report *r, pid_t janitor)
{
	struct run_end end;

	if (o->run)
		captive_run(&o->launch, o->disk_pid, janitor, o->command, &end);
	else
		captive_foreground(&o->launch, &end);
	if (end.message[0] != '\0' && strcmp(end.reason, "qemu") != 0 &&
	    strcmp(end.reason, "panic") != 0)
		end.message[0] = '\0';
	if (end.message[0] != '\0')
		error_msg("%s", end.message);
	if (strcmp(end.reason, "panic") == 0)
		launch_show_console_tail(&o->launch, 20);
	report_end(r, &end);
	return end.status;
}

int
main(int argc, char **argv)
{
	/* Static: what they hold stays reachable when die() exits early. */
	static struct options o;
	static struct config c;
	static struct target t;
	static struct snapshot snap = { .fd = -1 };
	struct plan p;
	struct strv qemu_argv = { 0 };
	struct report r;
	struct run_end failed = { "start", 0, "" };
	char *initrd = NULL, *config;
	int rc, janitor = -1;
	pid_t janitor_pid = 0, handoff = -1;

	diag_init(argv[0]);
	options_parse(argc, argv, &o);
	if (o.list)
		return pick_list(o.config, o.filter);
	if (o.snapshots != SNAPSHOTS_NONE)
		return o.snapshots == SNAPSHOTS_LIST ? snapshot_list() :
		    snapshot_clear();
	if (o.config == NULL && o.flags.set[KEY_KERNEL].value == NULL &&
	    o.flags.set[KEY_IMAGE].value == NULL)
		options_usage();
	pick_target(o.config, o.target, &o.flags, &c, &t);
	if (o.share_cwd && t.is_kernel) {
		cwd_share(&t);
		/* One more mount: the command line must still hold them all. */
		if (argv_cmdline_check(&t) > 0)
			exit(EXIT_USAGE);
	}
	/* A cache operation, not a VM's start: --print-argv does it too. */
	if (t.is_kernel)
		kernel_prepare(&t);

	memset(&p, 0, sizeof(p));
	p.interactive = o.launch.interactive;
	/* Only a guest that takes its settings after the handoff can. */
	p.snapshots = t.is_kernel && t.snapshot && argv_control(&t);
	/* A restored guest has run its boot code: nothing to break in. */
	p.snapshots = p.snapshots && !t.gdb;
	p.accel = accel_choose(o.accel, t.arch, !o.print_argv);
	if (t.is_kernel)
		p.initrd = t.initrd != NULL ? t.initrd : o.print_argv ? NULL :
		    (initrd = initrd_build(&t));
	if (o.print_argv)
		return report_argv(&t, &p, o.launch.rundir_arg, o.shell);

	if (!o.launch.detach)
		watch_parent();
	/* stdout is the guest's console, or the command's, or the line's. */
	if (report_open(&r, o.report, !o.run && !o.launch.interactive) < 0)
		return EXIT_LOCAL;
	launch_block_signals();
	if (launch_rundir(&o.launch) < 0)	/* --rundir's fault, or ours */
		return o.launch.rundir_arg != NULL ? EXIT_USAGE : EXIT_LOCAL;
	if (!o.launch.detach && !o.keep)
		janitor = janitor_start(o.launch.rundir,
		    o.launch.made_rundir, &janitor_pid);
	p.rundir = o.launch.rundir;
	if (t.gdb)
		gdb_hint(&t, o.launch.rundir);
	rc = start_vm(&o.launch, &t, &p, o.accel, &qemu_argv, &o.disk_pid,
	    &snap);
	if (rc == EXIT_OK && !report_ready(&r, &o.launch, &t, &p, &qemu_argv,
	    o.disk_pid))
		rc = EXIT_LOCAL;
	/* The guest's own settings go over the control channel. */
	if (rc == EXIT_OK && argv_control(&t)) {
		config = handoff_config(&t, &p);
		/* A cold boot is saved at the handoff, a restore waits there. */
		if ((handoff = handoff_start(&o.launch, config, !p.restored,
		    p.snapshots && !p.restored ? snapshot_save : NULL,
		    &snap)) < 0)
			rc = EXIT_LOCAL;
		free(config);
	}
	if (rc == EXIT_OK && o.launch.detach) {
		/* QEMU is the caller's now, and so is the disk's server. */
		o.launch.pid = 0;
		free(o.launch.rundir);
	} else {
		if (rc == EXIT_OK)
			rc = own(&o, &r, janitor_pid);
		else {
			failed.status = rc;
			report_end(&r, &failed);
		}
		/* The server ends with QEMU's connection, or now. */
		launch_stop(&o.launch, o.run ? CAPTIVE_GRACE_MS : STOP_GRACE_MS);
		disk_stop(o.disk_pid);
		handoff_stop(handoff);
		if (o.keep) {
			/* Stop QEMU, but leave its directory for a look. */
			free(o.launch.rundir);
			o.launch.rundir = NULL;
		}
		launch_cleanup(&o.launch);
	}
	janitor_dismiss(janitor);
	report_close(&r);
	strv_free(&qemu_argv);
	free(initrd);
	kernel_free(&t);
	snapshot_free(&snap);
	target_free(&t);
	target_free(&o.flags);
	config_free(&c);
	return rc;
}
