/*
 * cachedir: the per-user cache the tools share, and keeping it small.
 *
 * Each tool keeps its entries in a directory of its own under
 * ${XDG_CACHE_HOME:-$HOME/.cache}/vmtest-tools/ (vm-initrd's "initrd",
 * qemu-launch's "kernels").  Entries are written all or nothing
 * (outfile.h) and used least recently used first: a hit refreshes an
 * entry's mtime, and a prune keeps only the most recent ones.
 */
#ifndef VT_CACHEDIR_H
#define VT_CACHEDIR_H

#include <stddef.h>

/* A temporary file older than this was left by a run that died. */
#define CACHEDIR_STALE_TMP_SECONDS 3600

/*
 * The cache directory, made (mode 0700, with its parents) if missing:
 * given as is, or $XDG_CACHE_HOME/vmtest-tools/SUB, or
 * $HOME/.cache/vmtest-tools/SUB (HOME from the password database if
 * unset).  Returns a malloc'd path, or NULL with a reason.
 */
char *cachedir(const char *given, const char *sub, char *why,
    size_t whylen);

/*
 * In dir: removes the entries (regular files named PREFIX...SUFFIX)
 * beyond the keep most recently used, and those unused for max_age_days
 * (0: no age limit); and temporary files that runs left behind.
 */
void cachedir_prune(const char *dir, const char *prefix, const char *suffix,
    size_t keep, int max_age_days);

/*
 * The same for entries that are directories (named PREFIX...), removed
 * with all they hold, symbolic links not followed; and temporary
 * directories (".tmp-...") that runs left behind.
 */
void cachedir_prune_dirs(const char *dir, const char *prefix, size_t keep,
    int max_age_days);

/* Removes path and all it holds, symbolic links not followed, as it can. */
void cachedir_remove(const char *path);

#endif
