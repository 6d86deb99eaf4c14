#include <stdbool.h>

#include <ini.h>

#include "inifeed.h"

int
ini_feed_parse(ini_reader reader, void *stream, ini_handler handler,
    void *user, bool stop_on_first_error)
{
	static char comment_prefixes[] = "#;";
	bool multiline = ini_allow_multiline, bom = ini_allow_bom;
	bool inline_comments = ini_allow_inline_comments;
	bool use_stack = ini_use_stack, allow_realloc = ini_allow_realloc;
	bool stop = ini_stop_on_first_error, no_value = ini_allow_no_value;
	char *prefixes = ini_start_comment_prefixes;
	int max_line = ini_max_line, rc;

	ini_allow_multiline = true;
	ini_allow_bom = false;
	ini_allow_inline_comments = false;
	ini_start_comment_prefixes = comment_prefixes;
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = 65536;
	ini_stop_on_first_error = stop_on_first_error;
	ini_allow_no_value = false;
	rc = ini_parse_stream(reader, stream, handler, user);
	ini_allow_multiline = multiline;
	ini_allow_bom = bom;
	ini_allow_inline_comments = inline_comments;
	ini_start_comment_prefixes = prefixes;
	ini_use_stack = use_stack;
	ini_allow_realloc = allow_realloc;
	ini_max_line = max_line;
	ini_stop_on_first_error = stop;
	ini_allow_no_value = no_value;
	return rc;
}
