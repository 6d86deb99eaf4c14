#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "args.h"
#include "xalloc.h"
#include "jsonl.h"

static bool
looks_like_json_number(const char *s)
{
	/* JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		s += strspn(s, "0123456789");
	else
		return false;
	if (*s == '.') {
		s++;
		if (strspn(s, "0123456789") == 0)
			return false;
		s += strspn(s, "0123456789");
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (strspn(s, "0123456789") == 0)
			return false;
		s += strspn(s, "0123456789");
	}
	return *s == '\0';
}

static json_t *
parse_json_literal(const char *text, char *why, size_t whylen)
{
	json_error_t jerr;
	char reason[256];
	json_t *v;

	v = jsonl_parse(text, strlen(text), &jerr);
	if (v == NULL)
		snprintf(why, whylen, "invalid JSON (%s)",
		    jsonl_error_text(&jerr, reason, sizeof(reason)));
	return v;
}

json_t *
args_typed_value(const char *text, char *why, size_t whylen)
{
	json_t *v;

	if (looks_like_json_number(text) || strcmp(text, "null") == 0 ||
	    text[0] == '{' || text[0] == '[') {
		v = parse_json_literal(text, why, whylen);
		if (v == NULL && looks_like_json_number(text))
			snprintf(why, whylen, "number out of range");
		return v;
	}
	if (strcasecmp(text, "true") == 0)
		return json_true();
	if (strcasecmp(text, "false") == 0)
		return json_false();
	v = json_string(text);
	if (v == NULL)
		snprintf(why, whylen, "not valid UTF-8");
	return v;
}

/*
 * Puts value at the dotted path key inside args, creating the objects on
 * the way.  A path may not be both a leaf and a branch, nor set twice.
 */
static int
set_path(json_t *args, char *key, json_t *value, char *why, size_t whylen)
{
	json_t *parent = args, *child;
	char *dot, *name = key;

	while ((dot = strchr(name, '.')) != NULL) {
		*dot = '\0';
		if (*name == '\0')
			goto bad_name;
		child = json_object_get(parent, name);
		if (child == NULL) {
			child = json_object();
			if (json_object_set_new(parent, name, child) < 0)
				goto bad_name;
		} else if (!json_is_object(child)) {
			snprintf(why, whylen,
			    "'%s' is used both as a value and as an object", key);
			goto fail;
		}
		*dot = '.';
		parent = child;
		name = dot + 1;
	}
	if (json_object_get(parent, name) != NULL) {
		snprintf(why, whylen, "'%s' is set more than once", key);
		goto fail;
	}
	if (*name == '\0' || json_object_set_new(parent, name, value) < 0) {
		value = NULL;
		goto bad_name;
	}
	return 0;
bad_name:
	snprintf(why, whylen, "bad argument name");
fail:
	json_decref(value);
	return -1;
}

json_t *
args_build(char **words, int count, char *why, size_t whylen)
{
	char reason[300], *key, *eq;
	json_t *args, *value;
	bool literal;
	int i;

	args = json_object();
	if (args == NULL)
		xalloc_die();
	for (i = 0; i < count; i++) {
		eq = strchr(words[i], '=');
		if (eq == NULL || eq == words[i]) {
			snprintf(why, whylen,
			    "'%s': expected ARG=VALUE or ARG:=JSON", words[i]);
			goto fail;
		}
		literal = eq[-1] == ':';
		key = xstrndup(words[i], eq - words[i] - (literal ? 1 : 0));
		value = literal ?
		    parse_json_literal(eq + 1, reason, sizeof(reason)) :
		    args_typed_value(eq + 1, reason, sizeof(reason));
		if (value == NULL ||
		    set_path(args, key, value, reason, sizeof(reason)) < 0) {
			snprintf(why, whylen, "'%s': %s", words[i], reason);
			free(key);
			goto fail;
		}
		free(key);
	}
	return args;
fail:
	json_decref(args);
	return NULL;
}
