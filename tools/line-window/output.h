/*
 * output: where line-window puts what it reads.  Every byte goes to
 * --save as it comes; on a terminal the bytes feed the window, drawn at
 * most every OUTPUT_FRAME_MS, anywhere else they pass through unchanged.
 * When stdout fails (its reader went away), the bytes still go to
 * --save, so that the writer upstream is not killed.
 */
#ifndef LINE_WINDOW_OUTPUT_H
#define LINE_WINDOW_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "window.h"

#define OUTPUT_FRAME_MS 40	/* the most frames a second: 25 */

struct output {
	bool tty;		/* stdout is a terminal: draw the window */
	struct window w;
	const char *save_path;
	int save_fd;		/* -1 without --save */
	bool interruptible;	/* a stop signal cuts a stalled stdout short */
	int fd;			/* stdout, or a non-blocking one of its pipe */
	size_t piece;		/* the most one write() of it may take */
	bool out_failed, save_failed;
	int64_t next_frame_ns;	/* no frame before this */
};

/*
 * Creates --save (save may be NULL) and, on a terminal, a window of
 * lines lines; dies with status 2 if --save cannot be created.  With
 * interruptible, a stop signal ends a write to a stalled stdout.
 */
void output_open(struct output *out, const char *save, int lines,
    bool interruptible);

/* Takes bytes read. */
void output_put(struct output *out, const char *p, size_t len);

/* Draws a frame if one is wanted and due, or wanted and now is true. */
void output_frame(struct output *out, bool now);

/* How long a wait may be for the next frame to be on time: -1 forever. */
int output_frame_wait_ms(const struct output *out);

/*
 * Erases the window, or with keep leaves its last frame; closes --save.
 * False if anything could not be written.
 */
bool output_close(struct output *out, bool keep);

#endif
