/*
 * save: a report file replaced whole or not at all.
 */
#ifndef VMTEST_REPORT_SAVE_H
#define VMTEST_REPORT_SAVE_H

#include <stddef.h>

/*
 * Replaces the file at path (through symbolic links) by len bytes of
 * data: written to a temporary file beside it, synced and renamed over
 * it, so that a reader, or a crash, sees the old file or the new one and
 * never a part.  A path that names something else than a regular file
 * (/dev/stdout, a pipe) cannot be replaced and is written in place.
 * Returns 0, or -1 with errno set, the file untouched and no temporary
 * file left.
 */
int save_atomically(const char *path, const char *data, size_t len);

#endif
