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
	const char *name;	/* "stdout", "stderr": for messages */
	unsigned char *buf;	/* collected bytes */
	size_t len, cap;
	int error;		/* errno of the write that failed, or 0 */
	int tee;		/* --tee's file, or -1 */
};

void sink_init(struct sink *s, int fd, const char *name, bool collect);

/*
 * --tee FILE: the file every sink also appends what it puts to, both
 * streams in the order they came; exits 2 if it cannot be opened.
 */
int tee_open(const char *path);
void sink_free(struct sink *s);

/*
 * Writes or collects len bytes; *done says how many went.  Returns 0, or
 * -1 with errno: EINTR when a stop came while the reader was not reading
 * (the rest may be put again), anything else a failure that s->error
 * keeps (EPIPE: nobody reads; ENOSPC; ENOMEM when collecting).  Once s
 * has failed, what is put is dropped.  What went is also appended to
 * s->tee; a tee that fails is said once and dropped, the run goes on.
 */
int sink_put(struct sink *s, const void *data, size_t len, size_t *done);

#endif
