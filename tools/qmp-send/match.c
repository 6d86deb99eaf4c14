#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "xalloc.h"
#include "match.h"

struct field_match {
	char *path;		/* dotted path into "data" */
	char *text;		/* VALUE as written */
	json_t *typed;		/* VALUE as typed */
};

struct event_match {
	char *name;
	struct field_match *fields;
	size_t count;
};

struct event_match *
match_new(const char *event_name)
{
	struct event_match *m = xcalloc(1, sizeof(*m));

	m->name = xstrdup(event_name);
	return m;
}

int
match_add(struct event_match *m, const char *word, char *why, size_t whylen)
{
	const char *eq = strchr(word, '=');
	struct field_match *f;
	char reason[256];

	if (eq == NULL || eq == word) {
		snprintf(why, whylen, "--match '%s': expected KEY=VALUE", word);
		return -1;
	}
	m->fields = xreallocarray(m->fields, m->count + 1, sizeof(*m->fields));
	f = &m->fields[m->count];
	f->typed = args_typed_value(eq + 1, reason, sizeof(reason));
	if (f->typed == NULL) {
		snprintf(why, whylen, "--match '%s': %s", word, reason);
		return -1;
	}
	f->path = xstrndup(word, eq - word);
	f->text = xstrdup(eq + 1);
	m->count++;
	return 0;
}

static const json_t *
lookup(const json_t *data, const char *path)
{
	const char *dot;
	char key[256];
	size_t len;

	while (data != NULL && (dot = strchr(path, '.')) != NULL) {
		len = dot - path;
		if (len >= sizeof(key))
			return NULL;
		memcpy(key, path, len);
		key[len] = '\0';
		data = json_object_get(data, key);
		path = dot + 1;
	}
	return data != NULL ? json_object_get(data, path) : NULL;
}

bool
match_event(const struct event_match *m, const json_t *event)
{
	const json_t *data = json_object_get(event, "data"), *v;
	const char *name = json_string_value(json_object_get(event, "event"));
	size_t i;

	if (name == NULL || strcmp(name, m->name) != 0)
		return false;
	for (i = 0; i < m->count; i++) {
		v = lookup(data, m->fields[i].path);
		if (v == NULL)
			return false;
		if (json_equal(v, m->fields[i].typed))
			continue;
		if (json_is_string(v) &&
		    strcmp(json_string_value(v), m->fields[i].text) == 0)
			continue;
		return false;
	}
	return true;
}

const char *
match_name(const struct event_match *m)
{
	return m->name;
}

void
match_free(struct event_match *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->count; i++) {
		free(m->fields[i].path);
		free(m->fields[i].text);
		json_decref(m->fields[i].typed);
	}
	free(m->fields);
	free(m->name);
	free(m);
}
