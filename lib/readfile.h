/*
 * readfile: whole files in memory, read into a buffer or mapped, with a
 * size bound.  Failures return -1 with errno set for "path: strerror"
 * messages; a file over the bound is EFBIG.  Running out of memory ends
 * the tool (xalloc.h).
 */
#ifndef VT_READFILE_H
#define VT_READFILE_H

#include <stddef.h>

/* Reads a regular file into a malloc'd buffer (never NULL, even if empty). */
int read_whole(const char *path, size_t limit, unsigned char **data,
    size_t *len);

/*
 * Maps a regular file read-only.  An empty file maps to a non-NULL
 * pointer and length 0; unmap_whole() takes what map_whole() gave.
 */
int map_whole(const char *path, const unsigned char **data, size_t *len);
void unmap_whole(const unsigned char *data, size_t len);

#endif
