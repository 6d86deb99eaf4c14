/*
 * linereader: a buffered reader of '\n'-terminated lines from a socket,
 * pipe or file, where every read is bounded by a deadline and every line
 * by a maximum size.
 *
 * A line is returned without its '\n' and without one '\r' before it
 * (QMP ends lines with CRLF, QGA with LF), NUL-terminated, and stays valid
 * until the next call on the reader.  It may contain NUL bytes: the length
 * is what counts.  The reader owns its buffer; the caller owns the fd.
 *
 * Every wait is stop_poll()'s, so a stop signal ends it at once with
 * LR_STOPPED; what was read stays buffered for a later call.
 */
#ifndef VT_LINEREADER_H
#define VT_LINEREADER_H

#include <stdbool.h>
#include <stddef.h>

#include "deadline.h"

enum lr_status {
	LR_LINE,	/* a line (or, for lr_skip_past, the sentinel) */
	LR_EOF,		/* the peer closed; lr_pending() bytes had no '\n' */
	LR_TIMEOUT,	/* the deadline passed first */
	LR_TOO_LONG,	/* a line exceeded the maximum; the reader is spent */
	LR_ERROR,	/* read(2) failed; errno says why */
	LR_STOPPED,	/* a stop came first (stop.h); nothing is lost */
};

struct line_reader {
	int fd;
	char *buf;
	size_t cap;		/* bytes allocated */
	size_t start;		/* first byte not yet returned */
	size_t end;		/* one past the last byte read */
	size_t scanned;		/* bytes after start known to hold no '\n' */
	size_t max_line;
	bool eof;
};

void lr_init(struct line_reader *lr, int fd, size_t max_line);
void lr_free(struct line_reader *lr);

enum lr_status lr_read_line(struct line_reader *lr, struct deadline d,
    char **line, size_t *len);

/*
 * Discards input up to and including the next byte equal to sentinel,
 * however much comes before it (QGA's 0xFF sync marker), holding no more
 * than one read's worth in memory.
 */
enum lr_status lr_skip_past(struct line_reader *lr, unsigned char sentinel,
    struct deadline d);

/*
 * After LR_EOF: returns the bytes after the last '\n' as a final line,
 * for input that does not end its last line (printf '{...}' | tool).
 * LR_EOF if there are none.
 */
enum lr_status lr_take_rest(struct line_reader *lr, char **line,
    size_t *len);

/* True when a whole line is already buffered: reading it will not block. */
bool lr_has_line(struct line_reader *lr);

/* Bytes read from the fd but not yet returned. */
size_t lr_pending(const struct line_reader *lr);

#endif
