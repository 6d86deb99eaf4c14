/*
 * backend-log.c: --write-log FILE, every change a client makes, as
 * dm-log-writes records it: one JSON line per write, trim, write-zeroes,
 * flush and power cut, in the order the backend below took them, and the
 * written data in FILE.data.  nbd-replay(1) rebuilds the disk from it as
 * it stood at any flush, or at any state a power cut could have left.
 *
 *   {"log":"nbd-fault write log","version":1,"size":N,"data":"FILE.data"}
 *   {"seq":1,"op":"write","offset":O,"length":L,"fua":false,"flush":F,"data":D}
 *   {"seq":2,"op":"trim","offset":O,"length":L,"fua":false,"flush":F}
 *   {"seq":3,"op":"zero","offset":O,"length":L,"fua":false,"flush":F}
 *   {"seq":4,"op":"flush","flush":F+1}
 *   {"seq":5,"op":"power-cut","flush":F+2,"kept":[SEQ,...]}
 *
 * "flush" counts the flushes and power cuts before an operation; a flush
 * or a power cut carries the count it makes.  D is where the data starts
 * in FILE.data.  A power cut lists the unflushed operations it kept (FUA
 * writes are durable and stay anyway).  Only what succeeded is logged.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "backend-impl.h"
#include "fdio.h"
#include "jsonl.h"
#include "xalloc.h"

struct logb {
	struct backend b;
	struct backend *lower;
	FILE *log;
	int data_fd;
	uint64_t data_off, seq, flushes;
	/* The unflushed operations that are not durable, by seq. */
	uint64_t *unflushed;
	size_t n, cap;
	bool broken;		/* the log could not be written */
	pthread_mutex_t lock;
};

static struct logb *
log_of(struct backend *b)
{
	return (struct logb *)b;
}

/* Ends a line; a log that cannot be written fails every later change. */
static int
line_done(struct logb *l)
{
	if (fflush(l->log) != 0 || ferror(l->log)) {
		l->broken = true;
		return EIO;
	}
	return 0;
}

static int
remember(struct logb *l, uint64_t seq)
{
	uint64_t *grown;
	size_t cap;

	if (l->n == l->cap) {
		cap = l->cap ? 2 * l->cap : 64;
		if ((grown = realloc(l->unflushed, cap * sizeof(*grown))) == NULL)
			return ENOMEM;
		l->unflushed = grown;
		l->cap = cap;
	}
	l->unflushed[l->n++] = seq;
	return 0;
}

/* Logs a change the backend below has taken. */
static int
log_change(struct logb *l, const char *op, uint64_t offset, uint64_t len,
    bool fua, const void *data)
{
	uint64_t seq = ++l->seq;

	if (!fua && remember(l, seq) != 0)
		return ENOMEM;
	fprintf(l->log, "{\"seq\":%" PRIu64 ",\"op\":\"%s\",\"offset\":%" PRIu64
	    ",\"length\":%" PRIu64 ",\"fua\":%s,\"flush\":%" PRIu64, seq, op,
	    offset, len, fua ? "true" : "false", l->flushes);
	if (data != NULL) {
		if (fd_write_all(l->data_fd, data, len) < 0) {
			l->broken = true;
			return EIO;
		}
		fprintf(l->log, ",\"data\":%" PRIu64, l->data_off);
		l->data_off += len;
	}
	fputs("}\n", l->log);
	return line_done(l);
}

static int
log_write(struct backend *b, const void *buf, uint64_t offset, size_t len,
    bool fua)
{
	struct logb *l = log_of(b);
	int e;

	pthread_mutex_lock(&l->lock);
	e = l->broken ? EIO : backend_write(l->lower, buf, offset, len, fua);
	if (e == 0)
		e = log_change(l, "write", offset, len, fua, buf);
	pthread_mutex_unlock(&l->lock);
	return e;
}

static int
log_trim(struct backend *b, uint64_t offset, uint64_t len)
{
	struct logb *l = log_of(b);
	int e;

	pthread_mutex_lock(&l->lock);
	e = l->broken ? EIO : backend_trim(l->lower, offset, len);
	if (e == 0)
		e = log_change(l, "trim", offset, len, false, NULL);
	pthread_mutex_unlock(&l->lock);
	return e;
}

static int
log_zero(struct backend *b, uint64_t offset, uint64_t len, bool may_trim)
{
	struct logb *l = log_of(b);
	int e;

	pthread_mutex_lock(&l->lock);
	e = l->broken ? EIO : backend_zero(l->lower, offset, len, may_trim);
	if (e == 0)
		e = log_change(l, "zero", offset, len, false, NULL);
	pthread_mutex_unlock(&l->lock);
	return e;
}

static int
log_flush(struct backend *b)
{
	struct logb *l = log_of(b);
	int e;

	pthread_mutex_lock(&l->lock);
	e = l->broken ? EIO : backend_flush(l->lower);
	if (e == 0) {
		l->n = 0;
		fprintf(l->log, "{\"seq\":%" PRIu64 ",\"op\":\"flush\","
		    "\"flush\":%" PRIu64 "}\n", ++l->seq, ++l->flushes);
		e = line_done(l);
	}
	pthread_mutex_unlock(&l->lock);
	return e;
}

static int
log_power_cut(struct backend *b, enum lose lose, uint64_t seed,
    struct power_cut *pc)
{
	struct logb *l = log_of(b);
	const char *sep = "";
	size_t k;
	int e;

	pthread_mutex_lock(&l->lock);
	e = backend_power_cut(l->lower, lose, seed, pc);
	fprintf(l->log, "{\"seq\":%" PRIu64 ",\"op\":\"power-cut\",\"flush\":%"
	    PRIu64 ",\"kept\":[", ++l->seq, ++l->flushes);
	/* The cache's unflushed operations are ours, in the same order. */
	for (k = 0; k < pc->n && k < l->n; k++) {
		if (!pc->ops[k].kept)
			continue;
		fprintf(l->log, "%s%" PRIu64, sep, l->unflushed[k]);
		sep = ",";
	}
	fputs("]}\n", l->log);
	l->n = 0;
	if (line_done(l) != 0 && e == 0)
		e = EIO;
	pthread_mutex_unlock(&l->lock);
	return e;
}

static int
log_read(struct backend *b, void *buf, uint64_t offset, size_t len)
{
	return backend_read(log_of(b)->lower, buf, offset, len);
}

static int
log_extent(struct backend *b, uint64_t offset, uint64_t len,
    uint64_t *extent_len, uint32_t *flags)
{
	return backend_extent(log_of(b)->lower, offset, len, extent_len, flags);
}

static void
log_pending(struct backend *b, uint64_t *ops, uint64_t *bytes)
{
	backend_pending(log_of(b)->lower, ops, bytes);
}

static void
log_close(struct backend *b)
{
	struct logb *l = log_of(b);

	backend_close(l->lower);
	fclose(l->log);
	close(l->data_fd);
	free(l->unflushed);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

static const struct backend_ops log_ops = {
	.read = log_read,
	.write = log_write,
	.flush = log_flush,
	.trim = log_trim,
	.zero = log_zero,
	.extent = log_extent,
	.close = log_close,
	.pending = log_pending,
	.power_cut = log_power_cut,
};

struct backend *
backend_log(struct backend *lower, const char *path, char *err,
    size_t errlen)
{
	struct logb *l = xcalloc(1, sizeof(*l));
	char *data_path = xasprintf("%s.data", path), *header;
	const char *base;
	json_t *j;

	l->data_fd = -1;
	if ((l->log = fopen(path, "we")) == NULL ||
	    (l->data_fd = open(data_path, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0644)) < 0) {
		snprintf(err, errlen, "%s: %s", l->log == NULL ? path :
		    data_path, strerror(errno));
		goto fail;
	}
	l->b.ops = &log_ops;
	l->b.size = lower->size;
	l->b.readonly = lower->readonly;
	l->b.is_zero = lower->is_zero;
	l->lower = lower;
	pthread_mutex_init(&l->lock, NULL);
	/* The data file is named relative to the log, which may move. */
	base = strrchr(data_path, '/') != NULL ? strrchr(data_path, '/') + 1 :
	    data_path;
	j = json_pack("{s:s,s:i,s:I,s:s}", "log", "nbd-fault write log",
	    "version", 1, "size", (json_int_t)lower->size, "data", base);
	header = j != NULL ? jsonl_encode(j, NULL) : NULL;
	json_decref(j);
	free(data_path);
	if (header == NULL || fputs(header, l->log) < 0 || line_done(l) != 0) {
		free(header);
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		log_close(&l->b);
		return NULL;
	}
	free(header);
	return &l->b;
fail:
	if (l->log != NULL)
		fclose(l->log);
	free(data_path);
	free(l);
	backend_close(lower);
	return NULL;
}
