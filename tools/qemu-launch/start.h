/*
 * start: QEMU (and the disk's server first) started and ready, under KVM
 * if it really works, else under TCG.
 */
#ifndef QEMU_LAUNCH_START_H
#define QEMU_LAUNCH_START_H

#include <sys/types.h>

#include "accel.h"
#include "argv.h"
#include "launch.h"
#include "snapshot.h"
#include "target.h"

/*
 * Builds argv for p and starts it in l's run directory; returns 0 once
 * QEMU is ready, else the exit status after a message.  If QEMU dies
 * under a KVM that auto chose, it starts again under TCG.  *disk_pid is
 * the disk's server, or 0.  With p->snapshots, a snapshot of the setup
 * is restored if there is one (p->restored), and snap says which; one
 * that QEMU refuses is removed and the run boots cold.
 */
int start_vm(struct launch *l, const struct target *t, struct plan *p,
    enum accel_mode mode, struct strv *argv, pid_t *disk_pid,
    struct snapshot *snap);

#endif
