/*
 * configtoml: the JSON lines toml-targets.py prints for a vmtest.toml,
 * judged as vmtest 0.18 judges the file (its keys, their types, the
 * fields it requires) and fed to target_set() with their file:line.
 * Unknown keys are ignored, as vmtest ignores them, but each is warned
 * about once.  Lines this reader cannot make sense of mean the reader
 * and qemu-launch disagree: one error, never a guess.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "configtoml.h"
#include "diag.h"
#include "jsonl.h"
#include "tomlkeys.h"
#include "tomlrun.h"
#include "xalloc.h"

/* One of vm.mounts, gathered from its values. */
struct entry {
	char *guest, *host;
	bool writable;
	unsigned line, host_line;
};

struct feed {
	struct config *c;
	int errors;
	bool ended, broke;
	struct target *cur;
	unsigned name_line, command_line;	/* where they are, or 0 */
	bool name_set;		/* and the name is good */
	bool target_said;	/* a target outside [[target]] reported */
	struct entry *mounts;
	size_t nmounts;
	char *warned;		/* the unknown key warned about last */
};

static void fail(struct feed *, unsigned, const char *, ...)
	__attribute__((format(printf, 3, 4)));

/* A problem at line (0: the file as a whole). */
static void
fail(struct feed *f, unsigned line, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		error_msg("%s:%u: %s", f->c->path, line, msg);
	else
		error_msg("%s: %s", f->c->path, msg);
	f->errors++;
}

/* The reader said what we cannot read: one message, the rest ignored. */
static void
broke(struct feed *f, const char *what, const char *line, size_t len)
{
	char ex[128];

	if (!f->broke)
		fail(f, 0, "python3's TOML reader said what qemu-launch cannot "
		    "read: %s%s%s", what, len > 0 ? ": " : "", len > 0 ?
		    jsonl_excerpt(line, len, ex, sizeof(ex)) : "");
	f->broke = true;
}

/* A line number, 1 and up; 0 if absent or wrong. */
static unsigned
line_of(const json_t *j)
{
	json_int_t n;

	if (!json_is_integer(j))
		return 0;
	n = json_integer_value(j);
	return n > 0 && n <= UINT_MAX ? (unsigned)n : 0;
}

static const char *
article(const char *type)
{
	return strchr("aeiou", type[0]) != NULL ? "an" : "a";
}

/*
 * Warns about the unknown key key[0..n) once.  in_target: it is a
 * target's, where our own name for a key of vmtest's [target.vm] is
 * worth a hint.
 */
static void
unknown(struct feed *f, const json_t *key, size_t n, unsigned line,
    bool in_target)
{
	const char *first = toml_text(json_array_get(key, 0));
	bool hint = in_target && n == 1 && first != NULL &&
	    key_lookup(first) != KEY_COUNT;
	char *name = toml_dotted(key, n), *id;

	/* The values of one unknown table come one after the other. */
	id = xasprintf("%zu %s", in_target ? f->c->n : 0, name);
	if (f->warned != NULL && strcmp(f->warned, id) == 0) {
		free(name);
		free(id);
		return;
	}
	note("%s:%u: warning: unknown key '%s' ignored, as vmtest ignores "
	    "it%s%s%s", f->c->path, line, name, hint ? " (vmtest reads "
	    "vm." : "", hint ? first : "", hint ? ")" : "");
	free(f->warned);
	f->warned = id;
	free(name);
}

/* The mount of vm.mounts.GUEST.*, made at line if new; NULL on a NUL. */
static struct entry *
mount_entry(struct feed *f, const json_t *key, unsigned line)
{
	const char *guest = toml_text(json_array_get(key, 2));
	size_t i;

	if (guest == NULL) {
		fail(f, line, "vm.mounts: a guest path that holds NUL");
		return NULL;
	}
	for (i = 0; i < f->nmounts; i++)
		if (strcmp(f->mounts[i].guest, guest) == 0)
			return &f->mounts[i];
	f->mounts = xreallocarray(f->mounts, f->nmounts + 1,
	    sizeof(*f->mounts));
	memset(&f->mounts[f->nmounts], 0, sizeof(*f->mounts));
	f->mounts[f->nmounts].guest = xstrdup(guest);
	f->mounts[f->nmounts].line = line;
	return &f->mounts[f->nmounts++];
}

static struct origin
at(struct feed *f, unsigned line)
{
	return (struct origin){ f->c->path, line, NULL };
}

static void
set_extra_args(struct feed *f, const json_t *v, unsigned line)
{
	const char *s;
	char *word;
	size_t i;

	for (i = 0; i < json_array_size(v); i++) {
		if ((s = toml_text(json_array_get(v, i))) == NULL) {
			fail(f, line, "vm.extra_args: item %zu: invalid type, "
			    "expected a string", i + 1);
			continue;
		}
		word = toml_one_word(s);
		target_set(f->cur, KEY_EXTRA_ARGS, word, at(f, line));
		free(word);
	}
}

/*
 * A value of a type the field takes (checked), as target_set() takes
 * it: type is the value's own.
 */
static void
set_value(struct feed *f, const struct toml_field *fd, const json_t *key,
    const char *name, const char *type, const json_t *v, unsigned line)
{
	const char *s = NULL;
	char num[32];
	struct entry *e;

	if (strcmp(type, "boolean") == 0 && json_is_boolean(v))
		s = json_is_true(v) ? "true" : "false";
	else if (strcmp(type, "integer") == 0 && json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		s = num;
	} else if (strcmp(type, "string") == 0 && json_is_string(v)) {
		if ((s = toml_text(v)) == NULL) {
			fail(f, line, "%s: a string that holds NUL", name);
			return;
		}
	} else if (strcmp(type, "array") == 0 && json_is_array(v)) {
		set_extra_args(f, v, line);	/* the only array */
		return;
	} else if (strcmp(type, "table") != 0 || !json_is_object(v)) {
		fail(f, line, "%s: python3's TOML reader gave a value that is "
		    "not its type, %s", name, type);
		return;
	}
	switch (fd->role) {
	case ROLE_KEY:
		target_set(f->cur, fd->key, s, at(f, line));
		break;
	case ROLE_NAME:
		free(f->cur->name);
		f->cur->name = xstrdup(s);
		f->name_set = true;
		break;
	case ROLE_TABLE:
		break;
	case ROLE_MOUNT:
	case ROLE_HOST:
	case ROLE_WRITABLE:
		if ((e = mount_entry(f, key, line)) == NULL)
			return;
		if (fd->role == ROLE_HOST) {
			free(e->host);
			e->host = xstrdup(s);
			e->host_line = line;
		} else if (fd->role == ROLE_WRITABLE)
			e->writable = strcmp(s, "true") == 0;
		break;
	}
}

/* {"target": I, "key": [...], "lines": [...], "type": T, "value": V} */
static void
target_value(struct feed *f, const json_t *j, const char *line,
    size_t len)
{
	const json_t *key = json_object_get(j, "key"),
	    *lines = json_object_get(j, "lines");
	const char *type = toml_text(json_object_get(j, "type"));
	const struct toml_field *fd = NULL;
	struct toml_field ext;
	size_t n = json_array_size(key), m, i;
	unsigned at_line[TOML_DEPTH + 1];
	char *name;

	if (n == 0 || json_array_size(lines) != n || type == NULL) {
		broke(f, "a value without its key, lines or type", line, len);
		return;
	}
	for (i = 0; i < n && i <= TOML_DEPTH; i++)
		if ((at_line[i] = line_of(json_array_get(lines, i))) == 0) {
			broke(f, "a line number that is none", line, len);
			return;
		}
	fd = toml_field(key, n, &m, &ext);
	if (fd == NULL || (m < n && strcmp(fd->type, "table") == 0)) {
		/* A mount of only unknown keys still lacks its host_path. */
		if (fd != NULL && fd->role == ROLE_MOUNT)
			mount_entry(f, key, at_line[m - 1]);
		unknown(f, key, m + 1, at_line[m], true);
		return;
	}
	name = toml_dotted(key, m);
	if (fd->role == ROLE_NAME)
		f->name_line = at_line[0];
	if (fd->role == ROLE_KEY && fd->key == KEY_COMMAND)
		f->command_line = at_line[0];
	if (m < n)
		fail(f, at_line[m - 1], "%s: invalid type: table, expected "
		    "%s %s", name, article(fd->type), fd->type);
	else if (!toml_type_fits(fd, type))
		fail(f, at_line[n - 1], "%s: invalid type: %s, expected %s %s",
		    name, type, article(fd->type), strcmp(fd->type, "scalar") ==
		    0 ? "string, boolean or integer" : fd->type);
	else
		set_value(f, fd, key, name, type, json_object_get(j, "value"),
		    at_line[n - 1]);
	free(name);
}

/* The current target is whole: its mounts set, its fields checked. */
static void
finish(struct feed *f)
{
	struct target *t = f->cur;
	struct entry *e;
	char *guest, *spec;
	json_t *g;
	size_t i;

	for (i = 0; t != NULL && i < f->nmounts; i++) {
		e = &f->mounts[i];
		if (e->host == NULL) {
			g = json_text(e->guest);
			guest = json_dumps(g, JSON_ENCODE_ANY);
			fail(f, e->line, "vm.mounts.%s: missing field "
			    "`host_path`", guest != NULL ? guest : "?");
			free(guest);
			json_decref(g);
			continue;
		}
		spec = toml_mount_spec(e->host, e->guest, e->writable);
		target_set(t, KEY_MOUNTS, spec, at(f, e->host_line));
		free(spec);
	}
	for (i = 0; i < f->nmounts; i++) {
		free(f->mounts[i].guest);
		free(f->mounts[i].host);
	}
	free(f->mounts);
	f->mounts = NULL;
	f->nmounts = 0;
	if (t == NULL)
		return;
	if (f->name_line == 0)
		fail(f, t->at.line, "missing field `name`");
	else if (f->name_set && t->name[0] == '\0')
		fail(f, f->name_line, "Target index=%zu name empty",
		    f->c->n - 1);
	for (i = 0; t->name[0] != '\0' && i + 1 < f->c->n; i++)
		if (strcmp(f->c->targets[i].name, t->name) == 0) {
			fail(f, f->name_line, "target %s is defined twice "
			    "(first at line %u)", t->name,
			    f->c->targets[i].at.line);
			break;
		}
	/* vmtest runs an image with a rootfs, which it does not use. */
	if (t->set[KEY_ROOTFS].value != NULL && t->set[KEY_IMAGE].value !=
	    NULL && t->set[KEY_KERNEL].value == NULL) {
		note("%s:%u: warning: rootfs is not used by an image target: "
		    "ignored, as vmtest ignores it", f->c->path,
		    t->set[KEY_ROOTFS].at.line);
		free(t->set[KEY_ROOTFS].value);
		t->set[KEY_ROOTFS].value = NULL;
	}
	if (f->command_line == 0)
		fail(f, t->at.line, "missing field `command`");
	else if (t->set[KEY_COMMAND].value != NULL &&
	    t->set[KEY_COMMAND].value[0] == '\0')
		fail(f, f->command_line, "Target '%s' has empty command",
		    t->name);
	f->cur = NULL;
	f->name_line = f->command_line = 0;
	f->name_set = false;
}

/* {"line": L, "target": I}: target I begins, the next of the file. */
static void
target_header(struct feed *f, const json_t *j, const char *line,
    size_t len)
{
	unsigned l = line_of(json_object_get(j, "line"));
	json_t *i = json_object_get(j, "target");

	if (l == 0 || !json_is_integer(i) || json_integer_value(i) !=
	    (json_int_t)f->c->n) {
		broke(f, "a target out of order", line, len);
		return;
	}
	finish(f);
	f->c->targets = xreallocarray(f->c->targets, f->c->n + 1,
	    sizeof(*f->c->targets));
	f->cur = &f->c->targets[f->c->n++];
	target_init(f->cur, "", f->c->dir);
	f->cur->at = at(f, l);
}

/* {"key": [...], ...} outside [[target]], where vmtest reads target. */
static void
outside_value(struct feed *f, const json_t *j)
{
	const json_t *key = json_object_get(j, "key");
	const char *first = toml_text(json_array_get(key, 0)),
	    *type = toml_text(json_object_get(j, "type"));
	unsigned line = line_of(json_array_get(json_object_get(j, "lines"),
	    0));

	if (first == NULL || strcmp(first, "target") != 0) {
		unknown(f, key, 1, line, false);
		return;
	}
	if (!f->target_said)
		fail(f, line, "target: invalid type: %s, expected an array of "
		    "tables ([[target]])", json_array_size(key) > 1 ? "table" :
		    type != NULL ? type : "?");
	f->target_said = true;
}

static void
feed_line(struct feed *f, const char *line, size_t len)
{
	json_error_t err;
	json_t *j, *target;
	const char *msg;

	if ((j = jsonl_parse(line, len, &err)) == NULL || !json_is_object(j)) {
		broke(f, "not a JSON object", line, len);
		json_decref(j);
		return;
	}
	target = json_object_get(j, "target");
	if (f->ended)
		broke(f, "a line after the end", line, len);
	else if ((msg = toml_text(json_object_get(j, "error"))) != NULL)
		fail(f, line_of(json_object_get(j, "line")), "%s", msg);
	else if (json_is_true(json_object_get(j, "end")))
		f->ended = true;
	else if (target != NULL && json_object_get(j, "key") == NULL)
		target_header(f, j, line, len);
	else if (target != NULL && (f->cur == NULL || !json_is_integer(target)
	    || json_integer_value(target) != (json_int_t)f->c->n - 1))
		broke(f, "a value of a target not begun", line, len);
	else if (target != NULL)
		target_value(f, j, line, len);
	else if (json_array_size(json_object_get(j, "key")) > 0)
		outside_value(f, j);
	else
		broke(f, "a line of no known kind", line, len);
	json_decref(j);
}

int
config_toml_feed(struct config *c, const char *text, size_t len)
{
	struct feed f;
	const char *nl;
	size_t n;

	memset(&f, 0, sizeof(f));
	f.c = c;
	while (len > 0) {
		nl = memchr(text, '\n', len);
		n = nl != NULL ? (size_t)(nl - text) : len;
		if (n > 0)
			feed_line(&f, text, n);
		if (nl == NULL)
			break;
		text += n + 1;
		len -= n + 1;
	}
	finish(&f);
	free(f.warned);
	if (!f.ended && !f.broke)
		broke(&f, "its output ends early", "", 0);
	if (f.errors == 0 && c->n == 0)
		fail(&f, 0, "missing field `target` (a vmtest.toml has a "
		    "[[target]] table per target)");
	return f.errors;
}

bool
config_is_toml(const char *path)
{
	size_t n = strlen(path);

	return n >= 5 && strcmp(path + n - 5, ".toml") == 0;
}

int
config_toml_read(struct config *c)
{
	char *out;
	size_t len;
	int errors;

	if (toml_run(c->path, &out, &len) < 0)
		return 1;
	errors = config_toml_feed(c, out, len);
	free(out);
	return errors;
}
