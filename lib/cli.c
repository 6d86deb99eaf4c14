#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "diag.h"
#include "parse.h"
#include "xalloc.h"

void
cli_usage(const char *usage_text)
{
	fputs(usage_text, stderr);
	exit(EXIT_USAGE);
}

int64_t
cli_duration(const char *flag, const char *text)
{
	int64_t ms;

	if (parse_duration_ms(text, &ms) < 0)
		die(EXIT_USAGE, "%s: invalid duration '%s' (as 500ms, 5s, 2m)",
		    flag, text);
	return ms;
}

uint64_t
cli_uint(const char *flag, const char *text, uint64_t min, uint64_t max)
{
	uint64_t v;

	if (parse_uint(text, min, max, &v) < 0)
		die(EXIT_USAGE, "%s: '%s' is not a number from %" PRIu64
		    " to %" PRIu64, flag, text, min, max);
	return v;
}

void
cli_push(char ***list, int *count, char *item)
{
	*list = xreallocarray(*list, (size_t)*count + 1, sizeof(**list));
	(*list)[(*count)++] = item;
}
