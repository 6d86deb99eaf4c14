/*
 * Fuzzes what a peer's bytes go through: the line reader (with CRLF,
 * the maximum line size and the 0xFF sentinel skip), JSON parsing, and
 * QMP's sorting of messages into events, replies and protocol errors.
 * The input is served from a memfd so the reader's real read(2) path runs.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonl.h"
#include "linereader.h"
#include "qmp.h"

static int
memfd_with(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size ||
	    lseek(fd, 0, SEEK_SET) != 0)
		abort();
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *class, *desc;
	struct line_reader lr;
	enum lr_status st;
	enum qmp_status qs;
	struct qmp q;
	json_t *m;
	char *line;
	size_t len;
	int fd;

	/* As QMP reads it: messages until the input ends or breaks. */
	qmp_init(&q, memfd_with(data, size));
	q.in.max_line = 4096;
	while ((qs = qmp_read_message(&q, DEADLINE_NEVER, &m)) == QMP_OK) {
		/* Whatever the peer sent, an error reply has words to print. */
		if (qmp_reply_error(m, &class, &desc) && (!class || !desc))
			abort();
		if (qmp_is_event(m) && json_string_value(json_object_get(m,
		    "event")) == NULL)
			abort();
		json_decref(m);
	}
	/* Whatever the peer sent, a failed read has words to print. */
	if (q.why[0] == '\0' || qs == QMP_STOPPED || qmp_exit_status(qs) == 0)
		abort();
	qmp_close(&q);

	/* As QGA reads it: skip to each sentinel, then parse one line. */
	fd = memfd_with(data, size);
	lr_init(&lr, fd, 64);
	while ((st = lr_skip_past(&lr, 0xff, DEADLINE_NEVER)) == LR_LINE) {
		st = lr_read_line(&lr, DEADLINE_NEVER, &line, &len);
		if (st != LR_LINE)
			break;
		if (line[len] != '\0' || memchr(line, '\n', len) != NULL)
			abort();
		json_decref(jsonl_parse(line, len, &(json_error_t){ 0 }));
	}
	/* Nothing catches stop signals here: no read is ever "stopped". */
	if (st == LR_STOPPED)
		abort();
	if (lr_take_rest(&lr, &line, &len) == LR_LINE && line[len] != '\0')
		abort();
	lr_free(&lr);
	close(fd);
	return 0;
}
