/*
 * result: the --json result line: the command's status, output and
 * duration in one JSON object.
 */
#include <stdio.h>
#include <stdlib.h>

#include "base64.h"
#include "jsonl.h"
#include "run.h"

/*
 * Output that is not UTF-8 cannot be a JSON string: it is null, with the
 * exact bytes in base64 beside it.
 */
static int
add_output(json_t *result, const char *key, const struct sink *s)
{
	char b64key[32];
	json_t *text;
	char *b64;
	int rc;

	text = json_stringn((const char *)s->buf, s->len);
	if (text != NULL || s->len == 0)
		return json_object_set_new(result, key, text ? text :
		    json_string(""));
	b64 = base64_encode(s->buf, s->len, NULL);
	if (b64 == NULL)
		return -1;
	snprintf(b64key, sizeof(b64key), "%s_base64", key);
	rc = json_object_set_new(result, key, json_null()) |
	    json_object_set_new(result, b64key, json_string(b64));
	free(b64);
	return rc;
}

int
run_print_result(const struct run_result *res)
{
	json_t *result = json_object();
	int rc;

	rc = result == NULL ||
	    json_object_set_new(result, "exitcode", res->has_exitcode ?
	    json_integer(res->exitcode) : json_null()) < 0 ||
	    json_object_set_new(result, "signal", res->has_signal ?
	    json_integer(res->signal) : json_null()) < 0 ||
	    add_output(result, "stdout", &res->out) < 0 ||
	    add_output(result, "stderr", &res->err) < 0 ||
	    json_object_set_new(result, "truncated",
	    json_boolean(res->truncated)) < 0 ||
	    json_object_set_new(result, "duration_ms",
	    json_integer(res->duration_ms)) < 0 ? -1 :
	    jsonl_write(stdout, result, false);
	json_decref(result);
	return rc;
}
