/*
 * snapshot: a kernel target's booted state, saved once at the handoff
 * (modules loaded, nothing mounted) and restored by later runs of the
 * same setup instead of a boot.
 *
 * An entry is DIR/KEY.snap: a 32-byte header (magic, the CRC-64 and
 * length of what follows) and then QEMU's migration stream, as QEMU wrote
 * it.  KEY is the CRC-64 of everything that shapes the guest before the
 * handoff: the QEMU command line with what is only the host's masked
 * (paths of sockets, logs and 9p exports), the kernel's and initrd's
 * content, the QEMU binary's identity, and under KVM the host CPU.
 * An entry is written to a temporary file and renamed into place, so a
 * reader sees a whole one or none; a lock file lets one run save while
 * others boot cold without saving.  A hit refreshes the entry's mtime,
 * and saving evicts the least recently used entries over the size cap.
 */
#ifndef QEMU_LAUNCH_SNAPSHOT_H
#define QEMU_LAUNCH_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

#include "argv.h"
#include "launch.h"
#include "target.h"

#define SNAPSHOT_SUBDIR "snapshots"
/* The cache's size cap, unless VMTEST_SNAPSHOT_CACHE_MAX says otherwise. */
#define SNAPSHOT_CACHE_MAX ((uint64_t)2 << 30)

struct snapshot {
	char *dir;		/* the cache directory, or NULL: none */
	char key[17];		/* hex CRC-64 */
	char *path;		/* DIR/KEY.snap */
	int fd;			/* an entry that checked out, at its stream; -1 */
	bool restored;		/* the guest runs from it */
	const char *rundir;	/* where the private monitor is, for the save */
};

/*
 * Finds the entry for t as p will launch it: computes the key, and if an
 * entry exists and its checksum holds, opens it for -incoming (s->fd,
 * and p->incoming_fd).  A corrupt entry is removed, with one warning.
 * Returns false if snapshots cannot be used at all (no cache directory:
 * one warning), and the run boots cold without saving.
 */
bool snapshot_find(struct snapshot *s, const struct target *t,
    struct plan *p);

/*
 * The restore did not take: says so once (why: QEMU's first error line)
 * and removes the entry, which the cold boot that follows saves anew.
 */
void snapshot_reject(struct snapshot *s, const char *why);

/* Closes s->fd once QEMU holds its own copy. */
void snapshot_release(struct snapshot *s);

/*
 * Saves the guest, which waits at the handoff, through the private QMP
 * monitor in s->rundir: stop, migrate into a temporary file, checksum,
 * rename, continue.  Skips (0) if another run is saving the same key.
 * A handoff_save_fn: it runs in the handoff process.  -1 after a warning.
 */
int snapshot_save(void *s);

/*
 * A restored guest comes up paused once QEMU has read the whole state:
 * waits for that through the private monitor and continues it.  0 once
 * it runs; -1 if QEMU failed (it exits: the caller sees it go); -2 if
 * a stop signal came first (in l->signal).
 */
int snapshot_resume(struct launch *l, int64_t timeout_ms);

/* --snapshots: one JSON line per entry; --clear-snapshots: removes all. */
int snapshot_list(void);
int snapshot_clear(void);

void snapshot_free(struct snapshot *s);

/* The cache's cap: $VMTEST_SNAPSHOT_CACHE_MAX, or SNAPSHOT_CACHE_MAX. */
uint64_t snapshot_cache_max(void);

#endif
