/*
 * backend: what an nbd-fault export serves.  zero reads zeros and discards
 * writes (the injector's disk), memory is a sparse RAM disk, file a real
 * file or block device, pattern (read-only) holds in each 8 bytes their own
 * offset, big-endian, as nbdkit's pattern plugin.  Every call is safe from
 * many connection threads at once.
 */
#ifndef NBD_FAULT_BACKEND_H
#define NBD_FAULT_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "powercut.h"

struct backend;

/*
 * Opens "zero", "memory", "pattern" or "file:PATH".  size is the export
 * size (for file, 0 means the file's own size; a larger size is refused).
 * Returns NULL with one line in err.
 */
struct backend *backend_open(const char *spec, uint64_t size, bool readonly,
    char *err, size_t errlen);
void backend_close(struct backend *b);

/*
 * Puts a volatile write cache of at most max bytes over lower (see
 * backend-volatile.c): writes, trims and zeroes reach lower only at a
 * flush, FUA writes at once.  On failure closes lower and returns NULL
 * with one line in err.
 */
struct backend *backend_volatile(struct backend *lower, uint64_t max,
    char *err, size_t errlen);

/*
 * Logs every change made through it to path, and the data to path.data
 * (see backend-log.c).  On failure closes lower and returns NULL with one
 * line in err.
 */
struct backend *backend_log(struct backend *lower, const char *path,
    char *err, size_t errlen);

/* What a volatile cache holds unflushed (not durable); 0 for the rest. */
void backend_pending(struct backend *b, uint64_t *ops, uint64_t *bytes);

struct power_cut {
	uint64_t kept_ops, kept_bytes, lost_ops, lost_bytes;
	/* Each unflushed operation, in order, and whether it was kept. */
	struct cut_op {
		uint64_t offset, length;
		bool kept;
	} *ops;
	size_t n;
};

/*
 * Cuts the power of a volatile cache: what lose keeps reaches the backend
 * below, in order, with the durable writes; the rest is gone, and the
 * cache is empty, as after a reboot.  seed draws the random choices.  Any
 * other backend has nothing to lose.  Returns 0 or an errno.
 */
int backend_power_cut(struct backend *b, enum lose lose, uint64_t seed,
    struct power_cut *pc);
void power_cut_free(struct power_cut *pc);

uint64_t backend_size(const struct backend *b);
bool backend_readonly(const struct backend *b);	/* pattern always is */
bool backend_is_zero(const struct backend *b);	/* reads are all zeros */

/*
 * The operations return 0, or a host errno (EIO, ENOSPC, ...).  Callers
 * have checked the range against the size.
 */
int backend_read(struct backend *b, void *buf, uint64_t offset, size_t len);
int backend_write(struct backend *b, const void *buf, uint64_t offset,
    size_t len, bool fua);
int backend_flush(struct backend *b);
int backend_trim(struct backend *b, uint64_t offset, uint64_t len);
int backend_zero(struct backend *b, uint64_t offset, uint64_t len,
    bool may_trim);

/*
 * Block status for base:allocation: the extent starting at offset (at most
 * len bytes): its length, and whether it is a hole and/or reads as zeros
 * (NBD_STATE_HOLE = 1, NBD_STATE_ZERO = 2).
 */
int backend_extent(struct backend *b, uint64_t offset, uint64_t len,
    uint64_t *extent_len, uint32_t *flags);

#endif
