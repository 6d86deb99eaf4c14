/*
 * inifeed: libinih for parsers that prepare each line themselves (to
 * count lines, or to make libinih agree with another grammar): running it
 * with the options they need, and handing it a line in as many pieces as
 * its buffer takes.
 */
#ifndef VT_INIFEED_H
#define VT_INIFEED_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <ini.h>

/*
 * Runs ini_parse_stream() with no inline comments, '#' and ';' comment
 * lines, multiline values, no byte-order mark (the reader skips one) and
 * lines up to 64 KiB.  Debian's libinih has its build options as
 * process-wide globals: they are set for this parse and put back after,
 * so parse before starting threads.  Returns what ini_parse_stream does.
 */
int ini_feed_parse(ini_reader reader, void *stream, ini_handler handler,
    void *user, bool stop_on_first_error);

/*
 * Copies the next piece of line (len bytes, *served of them handed over
 * already) into buf, size bytes with the NUL, and returns buf; NULL when
 * nothing is left or buf cannot hold a byte.
 */
static inline char *
ini_feed_piece(const char *line, size_t len, size_t *served, char *buf,
    int size)
{
	size_t n;

	if (size < 2 || *served >= len)
		return NULL;
	n = len - *served;
	if (n > (size_t)size - 1)
		n = (size_t)size - 1;
	memcpy(buf, line + *served, n);
	buf[n] = '\0';
	*served += n;
	return buf;
}

#endif
