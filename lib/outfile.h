/*
 * outfile: writing a file all or nothing.  The bytes go to a temporary
 * file in the target's directory, which is synced and renamed over the
 * target only once complete, so that a reader (a parallel run, QEMU)
 * sees the old file, the new one, or none, never half of one.  SIGINT,
 * SIGTERM and SIGHUP remove the temporary file before we die of them,
 * and so does exit(3).  The handlers are there only while a file is
 * open: a tool that takes those signals its own way afterwards
 * (qemu-launch) gets its dispositions back at the commit or the abort.
 * One outfile at a time.
 */
#ifndef VT_OUTFILE_H
#define VT_OUTFILE_H

#include <stdio.h>

/*
 * Temporary files are named so that a cache can tell stale ones
 * (cachedir.h).  Before the file moved to lib/ it was ".tmp-vm-initrd-",
 * which a prune still recognises by the ".tmp-" they share.
 */
#define OUTFILE_TMP_PREFIX ".tmp-vmtest-"

struct outfile {
	char *path;
	char *tmp;
	FILE *fp;		/* write here */
};

/* -1 with a reason naming the directory if it cannot be created. */
int outfile_open(struct outfile *o, const char *path, char *why,
    size_t whylen);

/* Flushes, syncs, makes it 0644 less the umask, renames; -1 if not. */
int outfile_commit(struct outfile *o, char *why, size_t whylen);

/* Removes the temporary file, if any, and frees. */
void outfile_abort(struct outfile *o);

#endif
