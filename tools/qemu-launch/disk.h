/*
 * disk: a target's NBD disk, served by nbd-fault with the target's rules
 * from a socket in the run directory, for QEMU to attach as virtio-blk.
 */
#ifndef QEMU_LAUNCH_DISK_H
#define QEMU_LAUNCH_DISK_H

#include <stdbool.h>
#include <sys/types.h>

#include "target.h"

/* How long nbd-fault may take to listen. */
#define DISK_START_TIMEOUT_MS 10000

/*
 * Starts nbd-fault for t's disk in rundir and returns its pid once it
 * listens, or -1 after saying why (its own error included).  It serves
 * one connection (--once), so it ends when QEMU's ends, in a session of
 * its own; it outlives a detaching qemu-launch, and dies with any other.
 */
pid_t disk_start(const struct target *t, const char *rundir, bool detach);

/* Stops it if it still runs (SIGTERM, SIGKILL after a grace), and reaps it. */
void disk_stop(pid_t pid);

#endif
