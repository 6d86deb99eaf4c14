/*
 * snapfile: the snapshot cache's files.  An entry is a 32-byte header
 * followed by QEMU's migration stream:
 *
 *	"VTSNAP\r\n"	magic (the CR LF catches a text-mode copy)
 *	le32 version, le32 zero
 *	le64 the stream's length
 *	le64 its CRC-64 (xz's polynomial)
 *
 * QEMU checks little of a stream's content (RAM pages not at all), and a
 * flipped bit in the guest's memory would be a wrong result, not an
 * error: hence the checksum, which costs some 30 ms for 150 MB here.
 */
#ifndef QEMU_LAUNCH_SNAPFILE_H
#define QEMU_LAUNCH_SNAPFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define SNAPFILE_VERSION 1
#define SNAPFILE_HEADER 32
#define SNAPFILE_SUFFIX ".snap"
#define SNAPFILE_TMP_PREFIX ".tmp-snap-"
#define SNAPFILE_LOCK_SUFFIX ".lock"	/* KEY.lock: held while KEY is saved */
#define SNAPFILE_NOSAVE_SUFFIX ".nosave" /* KEY.nosave: QEMU refused to */

enum snapfile_status {
	SNAPFILE_OK,
	SNAPFILE_NONE,		/* no such entry */
	SNAPFILE_BAD,		/* there, but not whole: why says how */
};

/*
 * Checks an entry's bytes: its header, its length, its checksum.  Pure,
 * for the fuzzer too.
 */
enum snapfile_status snapfile_check(const unsigned char *data, size_t len,
    char *why, size_t whylen);

/*
 * Opens an entry and checks it; on SNAPFILE_OK *fd is at the stream's
 * start (what QEMU's -incoming fd: reads) and the entry's mtime says it
 * was just used.
 */
enum snapfile_status snapfile_open(const char *path, int *fd, char *why,
    size_t whylen);

/* DIR/.tmp-snap-KEY-PID, malloc'd, made with room for the header. */
char *snapfile_begin(const char *dir, const char *key, char *why,
    size_t whylen);

/* Writes tmp's header (its stream now complete) and renames it to path. */
int snapfile_commit(const char *tmp, const char *path, char *why,
    size_t whylen);

struct snapfile_entry {
	char *name;
	struct stat st;
};

/* The entries of dir, most recently used first; frees with the next. */
size_t snapfile_entries(const char *dir, struct snapfile_entry **entries);
void snapfile_entries_free(struct snapfile_entry *entries, size_t n);

/*
 * Removes the least recently used entries until the rest take at most
 * cap bytes (0: all of them, and the marks of setups QEMU would not
 * save), the temporary files of runs that are gone, and lock files
 * without their entry.  -1 if one could not be removed.
 */
int snapfile_evict(const char *dir, uint64_t cap);

#endif
