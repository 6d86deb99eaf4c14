#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "diag.h"
#include "parse.h"

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

void
cli_push(char ***list, int *count, char *item)
{
	char **grown = realloc(*list, (*count + 1) * sizeof(**list));

	if (grown == NULL)
		die(EXIT_USAGE, "out of memory");
	*list = grown;
	(*list)[(*count)++] = item;
}
