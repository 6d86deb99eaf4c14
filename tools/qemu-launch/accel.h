/*
 * accel: KVM or TCG.  --accel auto takes KVM only when it really works:
 * /dev/kvm opens, the guest is of the host's arch, and a test vCPU runs
 * guest code at hardware speed.  The verdict is kept for the boot.
 */
#ifndef QEMU_LAUNCH_ACCEL_H
#define QEMU_LAUNCH_ACCEL_H

#include <stdbool.h>
#include <stddef.h>

#include "argv.h"
#include "target.h"

enum accel_mode {
	ACCEL_AUTO,
	ACCEL_ONLY_KVM,
	ACCEL_ONLY_TCG,
};

/*
 * Chooses the accelerator for arch.  Under auto, a KVM that does not
 * work is reported in one line, "kvm does not work here (REASON); using
 * tcg", and the verdict is cached unless save is false (--print-argv
 * changes nothing).  --accel kvm where it cannot be exits 69 (or 2 for
 * a foreign arch).
 */
enum accel accel_choose(enum accel_mode mode, enum arch arch, bool save);

#endif
