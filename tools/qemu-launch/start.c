/*
 * start: only if TCG does better than KVM is KVM to blame: a bad kernel
 * dies under both and is reported as such, without a word about KVM.
 * Likewise a snapshot QEMU cannot restore is the snapshot's fault: the
 * run boots cold instead, and saves a new one.
 */
#include <stdbool.h>
#include <sys/wait.h>

#include "diag.h"
#include "disk.h"
#include "firmware.h"
#include "parse.h"
#include "start.h"

/*
 * A QEMU that restores: ready once the state is in and the guest runs.
 * START_DIED if QEMU could not take the state.
 */
static enum start_result
restore(struct launch *l, const struct strv *argv)
{
	enum start_result r = launch_start(l, argv);

	if (r != START_READY)
		return r;
	switch (snapshot_resume(l, l->start_timeout_ms < 0 ? 60000 :
	    l->start_timeout_ms)) {
	case 0:
		return START_READY;
	case -2:
		launch_stop(l, STOP_GRACE_MS);
		return START_SIGNAL;
	default:
		launch_stop(l, STOP_GRACE_MS);
		return START_DIED;
	}
}

/* The snapshot to restore, if p->snapshots and one is there. */
static void
find_snapshot(struct launch *l, const struct target *t, struct plan *p,
    struct snapshot *snap)
{
	snapshot_free(snap);
	p->incoming_fd = 0;
	p->snapshot = NULL;
	if (!p->snapshots)
		return;
	if (!snapshot_find(snap, t, p))
		p->snapshots = false;
	snap->rundir = l->rundir;
	p->snapshot = snap->path;
}

int
start_vm(struct launch *l, const struct target *t, struct plan *p,
    enum accel_mode mode, struct strv *argv, pid_t *disk_pid,
    struct snapshot *snap)
{
	char kvm_error[512], why[512], limit[32];
	bool retried = false, rejected = false;
	enum start_result r;
	int status;

	for (;;) {
		if (!rejected)
			find_snapshot(l, t, p, snap);
		l->pass_fd = p->incoming_fd;
		argv_build(t, p, argv);
		/* Each start, fresh variables: nothing of a failed one. */
		if (t->uefi && t->bios_vars != NULL &&
		    firmware_copy_vars(t, l->rundir) < 0)
			return EXIT_LOCAL;
		/* QEMU connects to the disk as it starts: the server first. */
		if (t->has_disk &&
		    (*disk_pid = disk_start(t, l->rundir, l->detach)) < 0) {
			*disk_pid = 0;
			return EXIT_UNREACHABLE;
		}
		r = p->incoming_fd > 0 ? restore(l, argv) : launch_start(l, argv);
		/* QEMU has its own copy, or is gone. */
		snapshot_release(snap);
		switch (r) {
		case START_READY:
			p->restored = p->incoming_fd > 0;
			if (retried)
				note("kvm does not work here (QEMU under KVM: "
				    "%s); using tcg", *kvm_error ? kvm_error :
				    "it died");
			return EXIT_OK;
		case START_FAILED:
			return EXIT_UNREACHABLE;
		case START_SIGNAL:
			return 128 + l->signal;
		case START_TIMEOUT:
			launch_show_errors(l);
			error_msg("QEMU did not answer on %s/%s within %s",
			    l->rundir, RUN_QMP, format_duration_ms(
			    l->start_timeout_ms, limit, sizeof(limit)));
			return EXIT_TIMEOUT;
		case START_DIED:
			break;
		}
		/* It served its one connection: a new QEMU needs a new one. */
		disk_stop(*disk_pid);
		*disk_pid = 0;
		if (p->incoming_fd > 0) {
			launch_first_error(l, why, sizeof(why));
			snapshot_reject(snap, why);
			rejected = true;
			p->incoming_fd = 0;
			launch_reset(l);
			strv_free(argv);
			continue;
		}
		if (p->accel == ACCEL_KVM && mode == ACCEL_AUTO) {
			launch_first_error(l, kvm_error, sizeof(kvm_error));
			p->accel = ACCEL_TCG;
			retried = true;
			rejected = false;
			launch_reset(l);
			strv_free(argv);
			continue;
		}
		launch_show_errors(l);
		status = l->status;
		if (WIFSIGNALED(status))
			error_msg("QEMU was killed by signal %d while starting",
			    WTERMSIG(status));
		else
			error_msg("QEMU exited with status %d while starting",
			    WEXITSTATUS(status));
		return EXIT_UNREACHABLE;
	}
}
