/*
 * writelog.c: nbd-fault's write log, line by line, with jansson.  Every
 * field is checked for its type and range, so that replaying can trust an
 * entry: an operation lies inside the export, a write names its data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "writelog.h"
#include "xalloc.h"

static const char *const op_names[] = {
	[WL_WRITE] = "write", [WL_TRIM] = "trim", [WL_ZERO] = "zero",
	[WL_FLUSH] = "flush", [WL_POWER_CUT] = "power-cut",
};

static json_t *
load(const char *line, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);

	if (j == NULL)
		snprintf(err, errlen, "not JSON: %s", je.text);
	else if (!json_is_object(j)) {
		snprintf(err, errlen, "not a JSON object");
		json_decref(j);
		j = NULL;
	}
	return j;
}

/* A field that must be a whole number from 0 to INT64_MAX. */
static int
number(json_t *j, const char *key, uint64_t *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(j, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		snprintf(err, errlen, "\"%s\" is %s", key, v == NULL ?
		    "missing" : "not a whole number from 0");
		return -1;
	}
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

int
wl_parse_header(const char *line, size_t len, struct wl_header *h,
    char *err, size_t errlen)
{
	json_t *j = load(line, len, err, errlen), *v;
	int ret = -1;

	memset(h, 0, sizeof(*h));
	if (j == NULL)
		return -1;
	v = json_object_get(j, "log");
	if (!json_is_string(v) ||
	    strcmp(json_string_value(v), "nbd-fault write log") != 0)
		snprintf(err, errlen, "not an nbd-fault write log (no \"log\" "
		    "header)");
	else if (!json_is_integer(json_object_get(j, "version")) ||
	    json_integer_value(json_object_get(j, "version")) != 1)
		snprintf(err, errlen, "a version of the log this nbd-replay "
		    "does not know");
	else if (number(j, "size", &h->size, err, errlen) == 0) {
		v = json_object_get(j, "data");
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    strchr(json_string_value(v), '/') != NULL ||
		    strlen(json_string_value(v)) != json_string_length(v))
			snprintf(err, errlen, "\"data\" is not a file name");
		else {
			h->data = xstrdup(json_string_value(v));
			ret = 0;
		}
	}
	json_decref(j);
	return ret;
}

static int
parse_kept(json_t *j, struct wl_entry *e, char *err, size_t errlen)
{
	json_t *a = json_object_get(j, "kept"), *v;
	size_t i;

	if (!json_is_array(a)) {
		snprintf(err, errlen, "a power cut without its \"kept\" list");
		return -1;
	}
	e->nkept = json_array_size(a);
	if (e->nkept > 0)
		e->kept = xcalloc(e->nkept, sizeof(*e->kept));
	json_array_foreach(a, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
		    (uint64_t)json_integer_value(v) >= e->seq) {
			snprintf(err, errlen, "\"kept\" holds something not an "
			    "earlier operation");
			return -1;
		}
		e->kept[i] = (uint64_t)json_integer_value(v);
	}
	return 0;
}

int
wl_parse_entry(const char *line, size_t len, uint64_t size,
    struct wl_entry *e, char *err, size_t errlen)
{
	json_t *j = load(line, len, err, errlen), *v;
	const char *op;
	unsigned k;
	int ret = -1;

	memset(e, 0, sizeof(*e));
	if (j == NULL)
		return -1;
	v = json_object_get(j, "op");
	op = json_is_string(v) ? json_string_value(v) : "";
	for (k = 0; k < sizeof(op_names) / sizeof(op_names[0]); k++)
		if (strcmp(op, op_names[k]) == 0)
			break;
	if (k == sizeof(op_names) / sizeof(op_names[0])) {
		snprintf(err, errlen, "\"op\" is not write, trim, zero, flush "
		    "or power-cut");
		goto out;
	}
	e->op = (enum wl_op)k;
	if (number(j, "seq", &e->seq, err, errlen) < 0 ||
	    number(j, "flush", &e->flush, err, errlen) < 0)
		goto out;
	if (e->op == WL_FLUSH) {
		ret = 0;
		goto out;
	}
	if (e->op == WL_POWER_CUT) {
		ret = parse_kept(j, e, err, errlen);
		goto out;
	}
	if (number(j, "offset", &e->offset, err, errlen) < 0 ||
	    number(j, "length", &e->length, err, errlen) < 0)
		goto out;
	if (e->offset > size || e->length > size - e->offset) {
		snprintf(err, errlen, "%s at %llu+%llu lies outside the %llu "
		    "bytes of the export", op, (unsigned long long)e->offset,
		    (unsigned long long)e->length, (unsigned long long)size);
		goto out;
	}
	v = json_object_get(j, "fua");
	if (!json_is_boolean(v)) {
		snprintf(err, errlen, "\"fua\" is not true or false");
		goto out;
	}
	e->fua = json_is_true(v);
	if (e->op == WL_WRITE && number(j, "data", &e->data, err, errlen) < 0)
		goto out;
	ret = 0;
out:
	json_decref(j);
	if (ret < 0)
		wl_entry_free(e);
	return ret;
}

void
wl_header_free(struct wl_header *h)
{
	free(h->data);
	h->data = NULL;
}

void
wl_entry_free(struct wl_entry *e)
{
	free(e->kept);
	e->kept = NULL;
	e->nkept = 0;
}

bool
wl_kept(const struct wl_entry *cut, uint64_t seq)
{
	size_t i;

	for (i = 0; i < cut->nkept; i++)
		if (cut->kept[i] == seq)
			return true;
	return false;
}
