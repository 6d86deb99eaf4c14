/*
 * start: only if TCG does better than KVM is KVM to blame: a bad kernel
 * dies under both and is reported as such, without a word about KVM.
 */
#include <stdbool.h>
#include <sys/wait.h>

#include "diag.h"
#include "disk.h"
#include "parse.h"
#include "start.h"

int
start_vm(struct launch *l, const struct target *t, struct plan *p,
    enum accel_mode mode, struct strv *argv, pid_t *disk_pid)
{
	char kvm_error[512], limit[32];
	bool retried = false;
	int status;

	for (;;) {
		argv_build(t, p, argv);
		/* QEMU connects to the disk as it starts: the server first. */
		if (t->has_disk &&
		    (*disk_pid = disk_start(t, l->rundir, l->detach)) < 0) {
			*disk_pid = 0;
			return EXIT_UNREACHABLE;
		}
		switch (launch_start(l, argv)) {
		case START_READY:
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
		if (p->accel == ACCEL_KVM && mode == ACCEL_AUTO) {
			launch_first_error(l, kvm_error, sizeof(kvm_error));
			p->accel = ACCEL_TCG;
			retried = true;
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
