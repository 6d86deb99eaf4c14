/*
 * output: where the guest command's bytes go: straight to one of our
 * file descriptors, byte for byte, or collected in memory for --json.
 */
#ifndef QGA_EXEC_OUTPUT_H
#define QGA_EXEC_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

struct sink {
	int fd;			/* -1 when collecting */
	unsigned char *buf;	/* collected bytes */
	size_t len, cap;
};

void sink_init(struct sink *s, int fd, bool collect);
void sink_free(struct sink *s);

/* Writes or collects; -1 with errno (EPIPE: nobody reads) on failure. */
int sink_put(struct sink *s, const void *data, size_t len);

#endif
