/*
 * junit.c: the XML of bin/vmtest's write_junit, element for element and
 * attribute for attribute, so that CI set up for vmtest's reports reads
 * these the same: failures are fail and timeout, errors are error and
 * panic, times are seconds as jq wrote them, and every target's output
 * (a passing one's too) goes into its system-out.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "junit.h"
#include "number.h"
#include "xml.h"
#include "xalloc.h"

/* The end of an output file, and how much of it came before. */
struct tail {
	char *buf;
	const char *text;	/* in buf: where the kept part starts */
	size_t len;
	uint64_t left_out;
};

static int
tail_fail(struct tail *t, int fd, const char *path, const char *why,
    char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", path, why);
	if (fd >= 0)
		close(fd);
	free(t->buf);
	t->buf = NULL;
	return -1;
}

/*
 * Reads the last max bytes of the regular file at path.  O_NONBLOCK
 * keeps a FIFO's open from waiting for a writer; it is refused after.
 */
static int
read_tail(const char *path, uint64_t max, struct tail *t, char *err,
    size_t errlen)
{
	uint64_t start, want;
	struct stat st;
	ssize_t n;
	int fd;

	memset(t, 0, sizeof(*t));
	t->text = "";
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	/* A target that printed nothing may have left no file. */
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0)
		return tail_fail(t, fd, path, strerror(errno), err, errlen);
	if (!S_ISREG(st.st_mode))
		return tail_fail(t, fd, path, "not a regular file", err, errlen);
	start = (uint64_t)st.st_size > max ? (uint64_t)st.st_size - max : 0;
	want = (uint64_t)st.st_size - start;
	/* A --max-output beyond the address space is as much memory. */
	if (want >= SIZE_MAX)
		xalloc_die();
	t->buf = xmalloc((size_t)want + 1);
	while (t->len < want) {
		n = pread(fd, t->buf + t->len, (size_t)want - t->len,
		    (off_t)(start + t->len));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return tail_fail(t, fd, path, strerror(errno), err,
			    errlen);
		if (n == 0)
			break;		/* it shrank meanwhile */
		t->len += (size_t)n;
	}
	close(fd);
	t->text = t->buf;
	/* A cut inside a character would begin the text with a U+FFFD. */
	while (start > 0 && t->len > 0 && t->text - t->buf < 3 &&
	    (*t->text & 0xc0) == 0x80) {
		t->text++;
		t->len--;
	}
	t->left_out = start + (uint64_t)(t->text - t->buf);
	return 0;
}

static void
attr(FILE *out, const char *name, const char *value, size_t len)
{
	fprintf(out, " %s=\"", name);
	xml_escape(out, value, len, true);
	putc('"', out);
}

static int
testcase(FILE *out, const struct result *r, const struct junit_options *o,
    char *err, size_t errlen)
{
	const char *msg = r->message != NULL ? r->message : "";
	char num[NUMBER_SIZE];
	struct tail t = { .text = "" };

	if (o->read_outputs && r->output != NULL &&
	    read_tail(r->output, o->max_output, &t, err, errlen) < 0)
		return -1;
	fputs("    <testcase classname=\"vmtest\"", out);
	attr(out, "name", r->name, r->name_len);
	fprintf(out, " time=\"%s\">\n", number_text(r->total, num));
	if (r->status != RS_PASS) {
		fprintf(out, "      <%s type=\"%s\"", r->status == RS_FAIL ||
		    r->status == RS_TIMEOUT ? "failure" : "error",
		    result_status_name(r->status));
		attr(out, "message", msg, r->message_len);
		fputs("/>\n", out);
	}
	if (t.left_out > 0 || t.len > 0) {
		fputs("      <system-out>", out);
		if (t.left_out > 0)
			fprintf(out, "[the first %" PRIu64 " bytes are left "
			    "out]\n", t.left_out);
		xml_escape(out, t.text, t.len, false);
		fputs("</system-out>\n", out);
	}
	fputs("    </testcase>\n", out);
	free(t.buf);
	return 0;
}

int
junit_write(FILE *out, const struct result_list *l,
    const struct junit_options *o, char *err, size_t errlen)
{
	size_t i, failures = 0, errors = 0;
	char secs[NUMBER_SIZE];
	double total = 0;

	for (i = 0; i < l->n; i++) {
		if (l->v[i].status == RS_FAIL || l->v[i].status == RS_TIMEOUT)
			failures++;
		else if (l->v[i].status != RS_PASS)
			errors++;
		total += l->v[i].total;
	}
	number_text(total, secs);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	fprintf(out, "<testsuites tests=\"%zu\" failures=\"%zu\" errors=\"%zu\""
	    " time=\"%s\">\n", l->n, failures, errors, secs);
	fprintf(out, "  <testsuite name=\"vmtest\" tests=\"%zu\" failures=\"%zu\""
	    " errors=\"%zu\" skipped=\"0\" time=\"%s\" timestamp=\"%s\">\n",
	    l->n, failures, errors, secs, o->timestamp);
	for (i = 0; i < l->n; i++)
		if (testcase(out, &l->v[i], o, err, errlen) < 0)
			return -1;
	fputs("  </testsuite>\n</testsuites>\n", out);
	return 0;
}
