/*
 * fdio: writing a whole buffer to a file descriptor, whatever the size of
 * each write(2) and however often a signal interrupts it.
 */
#ifndef VT_FDIO_H
#define VT_FDIO_H

#include <stddef.h>

/* 0 once all of buf is written, or -1 with errno set by the failing write. */
int fd_write_all(int fd, const void *buf, size_t len);

#endif
