/*
 * writelog: the lines of nbd-fault's --write-log (see nbd-fault(1) and
 * tools/nbd-fault/backend-log.c), parsed and checked, one at a time.
 */
#ifndef NBD_REPLAY_WRITELOG_H
#define NBD_REPLAY_WRITELOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum wl_op { WL_WRITE, WL_TRIM, WL_ZERO, WL_FLUSH, WL_POWER_CUT };

struct wl_header {
	uint64_t size;
	char *data;		/* the data file, relative to the log */
};

struct wl_entry {
	enum wl_op op;
	uint64_t seq, offset, length, flush, data;
	bool fua;
	uint64_t *kept;		/* WL_POWER_CUT: the seqs it kept */
	size_t nkept;
};

/*
 * Parse one line (without its newline).  Each returns 0, or -1 with one
 * sentence in err saying what is wrong.  An entry is checked against the
 * export's size; wl_entry_free frees what a parsed entry holds.
 */
int wl_parse_header(const char *line, size_t len, struct wl_header *h,
    char *err, size_t errlen);
int wl_parse_entry(const char *line, size_t len, uint64_t size,
    struct wl_entry *e, char *err, size_t errlen);
void wl_header_free(struct wl_header *h);
void wl_entry_free(struct wl_entry *e);

/* Whether a power cut's entry kept the operation seq. */
bool wl_kept(const struct wl_entry *cut, uint64_t seq);

#endif
