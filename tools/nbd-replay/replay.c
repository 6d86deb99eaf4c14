/*
 * replay.c: walking nbd-fault's write log.  Operations gather in an epoch
 * until a flush (which makes all of them durable, in order) or a power
 * cut (which made the ones it lists durable, with the FUA writes); the
 * disk at a boundary is what the epochs before it left.  A crash at the
 * end of an epoch keeps a chosen part of it, the way nbd-fault's lose=
 * would, so a test can walk the states a real power cut could leave.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "replay.h"
#include "writelog.h"
#include "xalloc.h"

#define CHUNK (1u << 20)

struct walk {
	const char *path;
	FILE *log;
	int data_fd, image_fd;
	struct wl_header h;
	char *line;
	size_t cap;
	unsigned long lineno;
	struct wl_entry *epoch;		/* the operations since the boundary */
	size_t n, ecap;
	unsigned char *buf;
};

static int
bad_log(struct walk *w, const char *what)
{
	error_msg("%s:%lu: %s", w->path, w->lineno, what);
	return EXIT_USAGE;
}

/* The next line, without its newline: 1, 0 at the end, or -1. */
static int
next_line(struct walk *w, size_t *len)
{
	ssize_t n;

	errno = 0;
	if ((n = getline(&w->line, &w->cap, w->log)) < 0) {
		/* getline allocates the line: its ENOMEM is ours. */
		if (errno == ENOMEM)
			xalloc_die();
		return errno != 0 ? -1 : 0;
	}
	w->lineno++;
	if (n > 0 && w->line[n - 1] == '\n')
		n--;
	*len = (size_t)n;
	return 1;
}

static int
open_log(struct walk *w, const char *path)
{
	char err[256], *dir, *data;
	size_t len;
	int r;

	memset(w, 0, sizeof(*w));
	w->path = path;
	w->data_fd = -1;
	if ((w->log = fopen(path, "re")) == NULL) {
		error_errno("%s", path);
		return EXIT_USAGE;
	}
	if ((r = next_line(w, &len)) < 0) {
		error_errno("%s", path);
		return EXIT_USAGE;
	}
	if (r == 0)
		return bad_log(w, "empty: no header");
	if (wl_parse_header(w->line, len, &w->h, err, sizeof(err)) < 0)
		return bad_log(w, err);
	dir = xstrdup(path);
	data = xasprintf("%s/%s", dirname(dir), w->h.data);
	free(dir);
	w->data_fd = open(data, O_RDONLY | O_CLOEXEC);
	if (w->data_fd < 0) {
		error_errno("the log's data %s", data);
		free(data);
		return EXIT_USAGE;
	}
	free(data);
	return 0;
}

static void drop_epoch(struct walk *w);

static void
close_log(struct walk *w)
{
	drop_epoch(w);
	free(w->epoch);
	free(w->line);
	free(w->buf);
	wl_header_free(&w->h);
	if (w->log != NULL)
		fclose(w->log);
	if (w->data_fd >= 0)
		close(w->data_fd);
}

static int
zero_range(struct walk *w, uint64_t offset, uint64_t len)
{
	uint64_t n;

	if (fallocate(w->image_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	    (off_t)offset, (off_t)len) == 0)
		return 0;
	memset(w->buf, 0, CHUNK);
	for (; len > 0; len -= n, offset += n) {
		n = len < CHUNK ? len : CHUNK;
		if (pwrite(w->image_fd, w->buf, n, (off_t)offset) != (ssize_t)n)
			return -1;
	}
	return 0;
}

/* One operation onto the image: 0, or an exit status with a message. */
static int
apply(struct walk *w, const struct wl_entry *e)
{
	uint64_t done, n;
	ssize_t got;

	if (e->op != WL_WRITE) {
		if (zero_range(w, e->offset, e->length) == 0)
			return 0;
		error_errno("the image");
		return EXIT_LOCAL;
	}
	for (done = 0; done < e->length; done += n) {
		n = e->length - done < CHUNK ? e->length - done : CHUNK;
		got = pread(w->data_fd, w->buf, n, (off_t)(e->data + done));
		if (got != (ssize_t)n) {
			error_msg("%s: write %" PRIu64 " wants %" PRIu64 " bytes "
			    "at %" PRIu64 " of %s, which is shorter", w->path,
			    e->seq, e->length, e->data, w->h.data);
			return EXIT_USAGE;
		}
		if (pwrite(w->image_fd, w->buf, n, (off_t)(e->offset + done)) !=
		    (ssize_t)n) {
			error_errno("the image");
			return EXIT_LOCAL;
		}
	}
	return 0;
}

static void
drop_epoch(struct walk *w)
{
	size_t k;

	for (k = 0; k < w->n; k++)
		wl_entry_free(&w->epoch[k]);
	w->n = 0;
}

/*
 * Ends the epoch: applies, in order, what its end keeps (cut: a power
 * cut's entry, or NULL; t: a crash target, or NULL for a flush).
 */
static int
end_epoch(struct walk *w, const struct wl_entry *cut,
    const struct replay_target *t, struct replay_result *r)
{
	uint64_t volatile_ops = 0;
	struct keep_draw draw;
	struct wl_entry *e;
	bool keep;
	size_t k;
	int st = 0;

	for (k = 0; k < w->n; k++)
		volatile_ops += !w->epoch[k].fua;
	keep_draw_init(&draw, t != NULL ? t->lose : LOSE_NONE,
	    t != NULL ? t->seed : 0, volatile_ops, t != NULL ? t->first : 0);
	for (k = 0; st == 0 && k < w->n; k++) {
		e = &w->epoch[k];
		if (e->fua)
			keep = true;
		else if (cut != NULL)
			keep = wl_kept(cut, e->seq);
		else
			keep = keep_draw_next(&draw);
		if (keep && (st = apply(w, e)) == 0)
			r->applied++;
		if (!e->fua)
			keep ? r->kept++ : r->lost++;
	}
	drop_epoch(w);
	return st;
}

static void
push(struct walk *w, const struct wl_entry *e)
{
	if (w->n == w->ecap) {
		w->ecap = w->ecap ? 2 * w->ecap : 256;
		w->epoch = xreallocarray(w->epoch, w->ecap, sizeof(*w->epoch));
	}
	w->epoch[w->n++] = *e;
}

static const char *
ends(enum wl_op op)
{
	return op == WL_FLUSH ? "flush" : "power-cut";
}

int
replay(const char *log_path, int image_fd, const struct replay_target *t,
    FILE *out, struct replay_result *r)
{
	struct walk w;
	struct wl_entry e;
	char err[256];
	uint64_t last_seq = 0;
	bool crashing = false;
	size_t len;
	int st, got;

	memset(r, 0, sizeof(*r));
	if ((st = open_log(&w, log_path)) != 0)
		goto out;
	w.image_fd = image_fd;
	w.buf = xmalloc(CHUNK);
	if (image_fd >= 0 && !t->to_end && t->flush == 0)
		crashing = t->crash;
	if (image_fd >= 0 && !t->to_end && t->flush == 0 && !t->crash)
		goto out;
	while ((got = next_line(&w, &len)) > 0) {
		if (wl_parse_entry(w.line, len, w.h.size, &e, err,
		    sizeof(err)) < 0) {
			st = bad_log(&w, err);
			goto out;
		}
		if (e.seq <= last_seq) {
			wl_entry_free(&e);
			st = bad_log(&w, "\"seq\" does not grow");
			goto out;
		}
		last_seq = e.seq;
		if (e.op != WL_FLUSH && e.op != WL_POWER_CUT) {
			push(&w, &e);
			continue;
		}
		if (image_fd < 0) {
			fprintf(out, "{\"flush\":%" PRIu64 ",\"operations\":%zu,"
			    "\"ends\":\"%s\"}\n", r->flushes, w.n, ends(e.op));
			drop_epoch(&w);
			wl_entry_free(&e);
			r->flushes++;
			continue;
		}
		if (crashing)
			break;
		st = end_epoch(&w, e.op == WL_POWER_CUT ? &e : NULL, NULL, r);
		wl_entry_free(&e);
		if (st != 0)
			goto out;
		r->flushes++;
		r->kept = r->lost = 0;
		if (!t->to_end && r->flushes == t->flush) {
			if (!t->crash)
				goto out;
			crashing = true;
		}
	}
	if (got < 0) {
		error_errno("%s", log_path);
		st = EXIT_USAGE;
		goto out;
	}
	if (image_fd < 0) {
		fprintf(out, "{\"flush\":%" PRIu64 ",\"operations\":%zu,"
		    "\"ends\":\"end\"}\n", r->flushes, w.n);
		goto out;
	}
	if (!t->to_end && !crashing) {
		error_msg("%s: the log has %" PRIu64 " flushes and power cuts, "
		    "not %" PRIu64, log_path, r->flushes, t->flush);
		st = EXIT_USAGE;
		goto out;
	}
	st = end_epoch(&w, NULL, t->to_end ? NULL : t, r);
out:
	close_log(&w);
	return st;
}

int
replay_size(const char *log_path, uint64_t *size)
{
	struct walk w;
	int st = open_log(&w, log_path);

	*size = w.h.size;
	close_log(&w);
	return st;
}
