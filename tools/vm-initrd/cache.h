/*
 * cache: where built initramfs images are kept, and what names them.
 *
 * An entry is named by the kernel release and a 64-bit key, the CRC-64 of
 * a description of everything the archive's bytes are made of: the tool
 * and its format, the release, each module's place in the archive and
 * its file's identity (device, inode, size, mtime and ctime), and the
 * init's own bytes.  A CRC is no defence against forgery, but needs none
 * here: whoever can write the inputs or the cache can boot what they
 * like anyway; against accidents it is as good as any 64-bit hash.
 *
 * Entries are used least recently used first: a hit refreshes an entry's
 * mtime, and a build removes entries unused for CACHE_MAX_AGE_DAYS and
 * all but the CACHE_KEEP most recent.
 */
#ifndef VM_INITRD_CACHE_H
#define VM_INITRD_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CACHE_KEEP 32
#define CACHE_MAX_AGE_DAYS 30

struct cache_key {
	uint64_t crc;
};

void cache_key_init(struct cache_key *k);

/* Adds one line of description. */
void cache_key_line(struct cache_key *k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Adds "label LENGTH CRC" for the bytes. */
void cache_key_bytes(struct cache_key *k, const char *label,
    const void *data, size_t len);

/* Adds "label PATH" and the file's identity; -1 with errno if no stat. */
int cache_key_file(struct cache_key *k, const char *label, const char *path);

/*
 * The cache directory (cachedir.h's "initrd"): given, or
 * $XDG_CACHE_HOME/vmtest-tools/initrd, or ~/.cache/vmtest-tools/initrd.
 * Returns a malloc'd path, or NULL with a reason.
 */
char *cache_dir(const char *given, char *why, size_t whylen);

/* DIR/initrd-RELEASE-KEY.img, malloc'd. */
char *cache_entry(const char *dir, const char *release,
    const struct cache_key *k);

/* Whether entry holds a complete archive; if so, marks it used. */
bool cache_hit(const char *entry);

/* Removes old entries, and temporary files that runs left behind. */
void cache_prune(const char *dir);

#endif
