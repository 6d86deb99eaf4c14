/*
 * summary.c: the table bin/vmtest's summary() printed with jq, column for
 * column, except that names are measured in terminal columns (a CJK
 * character takes two, a combining accent none) where jq counted code
 * points, so that the status column lines up under any name.
 */
#include <inttypes.h>
#include <string.h>

#include "number.h"
#include "summary.h"
#include "utf8.h"

/* bin/vmtest's C_HEAD, C_PASS, C_FAIL and C_OFF. */
#define BOLD "\033[1m"
#define GREEN "\033[32m"
#define BOLD_RED "\033[1;31m"
#define OFF "\033[0m"

#define STATUS_WIDTH 16

static void
pad(FILE *out, size_t width, size_t to)
{
	for (; width < to; width++)
		putc(' ', out);
}

/*
 * jq's round(. * 10) / 10: halves away from zero, as round(3), which is
 * not ours to call: the tools link no libm.
 */
static double
tenths(double seconds)
{
	double x = seconds * 10, whole;

	/* From 2^52 on (and for NaN and infinities) x is its own round. */
	if (!(x > -4503599627370496.0 && x < 4503599627370496.0))
		return x / 10;
	whole = (double)(long long)x;
	if (x - whole >= 0.5)
		whole += 1;
	else if (whole - x >= 0.5)
		whole -= 1;
	if (whole == 0 && x < 0)
		whole = -0.0;
	return whole / 10;
}

/* "PASS", "FAILED (exit 3)", "TIMEOUT": the status column's words. */
static const char *
status_text(const struct result *r, char *buf, size_t size)
{
	const char *name = result_status_name(r->status);
	size_t i;

	if (r->status == RS_PASS)
		return "PASS";
	if (r->status == RS_FAIL && !r->has_exit_code)
		return "FAILED";
	if (r->status == RS_FAIL) {
		snprintf(buf, size, "FAILED (exit %" PRIdMAX ")",
		    (intmax_t)r->exit_code);
		return buf;
	}
	for (i = 0; name[i] != '\0' && i + 1 < size; i++)
		buf[i] = (char)(name[i] - 'a' + 'A');
	buf[i] = '\0';
	return buf;
}

void
summary_write(FILE *out, const struct result_list *l, bool color)
{
	char buf[48], num[NUMBER_SIZE];
	const struct result *r;
	size_t i, w, widest = 0;
	const char *st;

	for (i = 0; i < l->n; i++)
		if ((w = utf8_width(l->v[i].name, l->v[i].name_len)) > widest)
			widest = w;
	fprintf(out, "%s=> Summary%s\n", color ? BOLD : "", color ? OFF : "");
	for (i = 0; i < l->n; i++) {
		r = &l->v[i];
		fputs("   ", out);
		fwrite(r->name, 1, r->name_len, out);
		pad(out, utf8_width(r->name, r->name_len), widest + 2);
		st = status_text(r, buf, sizeof(buf));
		if (color)
			fprintf(out, "%s%s%s", r->status == RS_PASS ? GREEN :
			    BOLD_RED, st, OFF);
		else
			fputs(st, out);
		/* A status wider than its column keeps one space before
		 * the seconds, where jq left none. */
		w = strlen(st);
		pad(out, w, w < STATUS_WIDTH + 2 ? STATUS_WIDTH + 2 : w + 1);
		fprintf(out, "%s s\n", number_text(tenths(r->total),
		    num));
	}
}
