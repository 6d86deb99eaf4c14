/*
 * result.c: a result line, with jansson.  Every key this tool knows is
 * checked for its type, so that the writers can trust a result; keys it
 * does not know are left alone, since vmtest adds keys as it grows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "result.h"
#include "utf8.h"
#include "xalloc.h"

static const char *const status_names[] = {
	[RS_PASS] = "pass", [RS_FAIL] = "fail", [RS_TIMEOUT] = "timeout",
	[RS_PANIC] = "panic", [RS_ERROR] = "error",
};

const char *
result_status_name(enum result_status s)
{
	return status_names[s];
}

static bool
blank(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (strchr(" \t\r\f\v", line[i]) == NULL || line[i] == '\0')
			return false;
	return true;
}

/*
 * Ill-formed UTF-8 is repaired before parsing rather than refused: jq,
 * which read these lines before us, did the same, and a name is worth
 * more with a U+FFFD in it than a report that is not written.
 */
static json_t *
load(const char *line, size_t len, json_error_t *je)
{
	char *fixed = NULL;
	json_t *j;

	if (!utf8_valid(line, len)) {
		fixed = utf8_repair(line, len, &len);
		line = fixed;
	}
	j = json_loadb(line, len, JSON_DECODE_ANY | JSON_ALLOW_NUL |
	    JSON_REJECT_DUPLICATES, je);
	/* jansson's own allocations: out of memory as ours would be. */
	if (j == NULL && json_error_code(je) == json_error_out_of_memory)
		xalloc_die();
	free(fixed);
	return j;
}

/* A copy of a JSON string, NUL-terminated, NULs inside kept. */
static char *
copy(json_t *s, size_t *len)
{
	size_t n = json_string_length(s);
	char *c = xmalloc(n + 1);

	memcpy(c, json_string_value(s), n);
	c[n] = '\0';
	if (len != NULL)
		*len = n;
	return c;
}

static bool
optional(json_t *v, json_type type)
{
	return v == NULL || json_is_null(v) || json_typeof(v) == type ||
	    (type == JSON_REAL && json_is_integer(v));
}

/* Checks the keys that hold no strings; a sentence in err if one is bad. */
static bool
check_types(json_t *j, struct result *r, char *err, size_t errlen)
{
	static const char *const times[] = { "boot", "setup", "command",
	    "total" };
	json_t *seconds = json_object_get(j, "seconds"), *v;
	size_t i;

	v = json_object_get(j, "exit_code");
	if (!optional(v, JSON_INTEGER)) {
		snprintf(err, errlen, "\"exit_code\" is not a whole number");
		return false;
	}
	r->has_exit_code = json_is_integer(v);
	r->exit_code = json_integer_value(v);
	if (!optional(json_object_get(j, "faults"), JSON_INTEGER)) {
		snprintf(err, errlen, "\"faults\" is not a whole number");
		return false;
	}
	if (!optional(seconds, JSON_OBJECT)) {
		snprintf(err, errlen, "\"seconds\" is not an object");
		return false;
	}
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++)
		if (!optional(json_object_get(seconds, times[i]), JSON_REAL)) {
			snprintf(err, errlen, "\"seconds.%s\" is not a number",
			    times[i]);
			return false;
		}
	r->total = json_number_value(json_object_get(seconds, "total"));
	if (!optional(json_object_get(j, "start"), JSON_STRING)) {
		snprintf(err, errlen, "\"start\" is not a string");
		return false;
	}
	return true;
}

static enum result_parse
fill(json_t *j, struct result *r, char *err, size_t errlen)
{
	json_t *name = json_object_get(j, "name"), *status, *v;
	char excerpt[80];
	size_t i;

	if (!json_is_string(name)) {
		snprintf(err, errlen, "\"name\" is %s", name == NULL ?
		    "missing" : "not a string");
		return RESULT_BAD;
	}
	status = json_object_get(j, "status");
	if (!json_is_string(status)) {
		snprintf(err, errlen, "\"status\" is %s", status == NULL ?
		    "missing" : "not a string");
		return RESULT_BAD;
	}
	for (i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (strcmp(json_string_value(status), status_names[i]) == 0)
			break;
	if (i == sizeof(status_names) / sizeof(status_names[0]) ||
	    strlen(json_string_value(status)) != json_string_length(status)) {
		snprintf(err, errlen, "\"status\" is \"%s\", not pass, fail, "
		    "timeout, panic or error", jsonl_excerpt(json_string_value(
		    status), json_string_length(status), excerpt,
		    sizeof(excerpt)));
		return RESULT_BAD;
	}
	r->status = (enum result_status)i;
	if (!check_types(j, r, err, errlen))
		return RESULT_BAD;
	v = json_object_get(j, "message");
	if (!optional(v, JSON_STRING)) {
		snprintf(err, errlen, "\"message\" is not a string");
		return RESULT_BAD;
	}
	if (json_is_string(v))
		r->message = copy(v, &r->message_len);
	v = json_object_get(j, "output");
	if (!optional(v, JSON_STRING) || (json_is_string(v) &&
	    (json_string_length(v) == 0 ||
	    strlen(json_string_value(v)) != json_string_length(v)))) {
		snprintf(err, errlen, "\"output\" is not a file's path");
		return RESULT_BAD;
	}
	if (json_is_string(v))
		r->output = copy(v, NULL);
	r->name = copy(name, &r->name_len);
	return RESULT_OK;
}

static void
result_free(struct result *r)
{
	free(r->name);
	free(r->message);
	free(r->output);
	memset(r, 0, sizeof(*r));
}

enum result_parse
result_parse(const char *line, size_t len, struct result *r, char *err,
    size_t errlen)
{
	enum result_parse st;
	char why[JSON_ERROR_TEXT_LENGTH + 32];
	json_error_t je;
	json_t *j;

	memset(r, 0, sizeof(*r));
	if (blank(line, len))
		return RESULT_BLANK;
	if ((j = load(line, len, &je)) == NULL) {
		snprintf(err, errlen, "not JSON: %s",
		    jsonl_error_text(&je, why, sizeof(why)));
		return RESULT_BAD;
	}
	if (!json_is_object(j)) {
		snprintf(err, errlen, "not a JSON object");
		st = RESULT_BAD;
	} else
		st = fill(j, r, err, errlen);
	json_decref(j);
	if (st != RESULT_OK)
		result_free(r);
	return st;
}

int
result_list_push(struct result_list *l, struct result *r)
{
	struct result *grown;
	size_t cap;

	if (l->n == l->cap) {
		cap = l->cap == 0 ? 16 : l->cap * 2;
		grown = realloc(l->v, cap * sizeof(*grown));
		if (grown == NULL)
			return -1;
		l->v = grown;
		l->cap = cap;
	}
	l->v[l->n++] = *r;
	memset(r, 0, sizeof(*r));
	return 0;
}

void
result_list_free(struct result_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		result_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}
