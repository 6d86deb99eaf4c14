/*
 * backend-impl.h: what backend.c shares with the backends it dispatches to.
 * Not for the rest of nbd-fault, which sees only backend.h.
 *
 * Each backend embeds struct backend as its first member and fills in an
 * ops table.  backend.c checks read-only exports and ranges once, so the
 * ops see only requests they must serve.
 */
#ifndef NBD_FAULT_BACKEND_IMPL_H
#define NBD_FAULT_BACKEND_IMPL_H

#include "backend.h"

/* base:allocation flags, as on the wire. */
#define BACKEND_HOLE	1u
#define BACKEND_ZERO	2u

struct backend_ops {
	int (*read)(struct backend *, void *, uint64_t, size_t);
	int (*write)(struct backend *, const void *, uint64_t, size_t, bool);
	int (*flush)(struct backend *);
	int (*trim)(struct backend *, uint64_t, uint64_t);
	int (*zero)(struct backend *, uint64_t, uint64_t, bool);
	int (*extent)(struct backend *, uint64_t, uint64_t, uint64_t *,
	    uint32_t *);
	void (*close)(struct backend *);
	/* Only where writes can be lost (volatile) or are watched (log). */
	void (*pending)(struct backend *, uint64_t *, uint64_t *);
	int (*power_cut)(struct backend *, enum lose, uint64_t,
	    struct power_cut *);
};

struct backend {
	const struct backend_ops *ops;
	uint64_t size;
	bool readonly;
	bool is_zero;
};

struct backend *memory_open(uint64_t size, bool readonly, char *err,
    size_t errlen);
struct backend *file_open(const char *path, uint64_t size, bool readonly,
    char *err, size_t errlen);

#endif
