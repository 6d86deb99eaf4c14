/*
 * Fuzzes vmtest-report from its input on: each line through the result
 * parser, then what it accepted through the summary and the JUnit writer,
 * into memory.  Whatever the bytes, the report must be well-formed UTF-8
 * with no character XML forbids and no markup but its own, and every
 * time in it must read back as the number it was.  Output files are never
 * opened: their paths come from the input.
 */
#include <float.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tools/vmtest-report/junit.h"
#include "../tools/vmtest-report/number.h"
#include "../tools/vmtest-report/result.h"
#include "../tools/vmtest-report/summary.h"
#include "../tools/vmtest-report/utf8.h"

/* Every character is one XML 1.0 allows (and jq's filter kept). */
static void
check_chars(const char *s, size_t len)
{
	uint32_t cp;
	size_t n;

	if (!utf8_valid(s, len))
		abort();
	for (; len > 0; s += n, len -= n) {
		n = utf8_next(s, len, &cp);
		if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
		    cp == 0x7f || cp == 0xfffe || cp == 0xffff)
			abort();
	}
}

/*
 * The report's tags are its own: five around the testcases, two for
 * each, and one more for a failure or an error.  A '<' escaped wrongly
 * would add to the count.
 */
static void
check_tags(const char *s, size_t len, const struct result_list *l)
{
	size_t i, want = 5, got = 0;

	for (i = 0; i < l->n; i++)
		want += 2 + (l->v[i].status != RS_PASS);
	for (i = 0; i < len; i++)
		got += s[i] == '<';
	if (got != want)
		abort();
}

static void
check_number(double x)
{
	char buf[NUMBER_SIZE];

	if (x >= -DBL_MAX && x <= DBL_MAX &&
	    strtod(number_text(x, buf), NULL) != x)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct junit_options jo = { .timestamp = "2026-12-07T00:00:00",
	    .max_output = 64, .read_outputs = false };
	const char *p = (const char *)data, *end = p + size, *nl;
	struct result_list l = { 0 };
	char err[512], *buf = NULL;
	struct result r;
	size_t len = 0, i;
	FILE *mem;

	/* Each line, the last one too when it has no newline. */
	for (;;) {
		nl = memchr(p, '\n', (size_t)(end - p));
		err[0] = '\0';
		switch (result_parse(p, (size_t)((nl != NULL ? nl : end) - p),
		    &r, err, sizeof(err))) {
		case RESULT_OK:
			if (result_list_push(&l, &r) < 0)
				abort();
			break;
		case RESULT_BAD:
			/* Every refusal says why. */
			if (err[0] == '\0')
				abort();
			break;
		default:
			break;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	for (i = 0; i < l.n; i++)
		check_number(l.v[i].total);

	if ((mem = open_memstream(&buf, &len)) == NULL)
		abort();
	summary_write(mem, &l, true);
	if (fclose(mem) != 0)
		abort();
	free(buf);

	buf = NULL;
	if ((mem = open_memstream(&buf, &len)) == NULL)
		abort();
	if (junit_write(mem, &l, &jo, err, sizeof(err)) != 0 ||
	    fclose(mem) != 0)
		abort();
	check_chars(buf, len);
	check_tags(buf, len, &l);
	free(buf);
	result_list_free(&l);
	return 0;
}
