#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ascii.h"
#include "cmdline.h"
#include "parse.h"

void
cmdline_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->root_tag = DEFAULT_ROOT_TAG;
	c->share_tag = DEFAULT_SHARE_TAG;
	c->hostname = DEFAULT_HOSTNAME;
}

/* The next word of *p, unquoted in place, or NULL at the end. */
static char *
next_word(char **p)
{
	char *s = *p, *w, *out;
	bool quoted = false;

	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	if (*s == '\0') {
		*p = s;
		return NULL;
	}
	w = out = s;
	for (; *s != '\0'; s++) {
		if (*s == '"') {
			quoted = !quoted;
			continue;
		}
		if (!quoted && (*s == ' ' || *s == '\t' || *s == '\n'))
			break;
		*out++ = *s;
	}
	if (*s != '\0')
		s++;
	*out = '\0';
	*p = s;
	return w;
}

static int
parse_bool(const char *v, bool *b)
{
	static const char *const yes[] = { "1", "y", "yes", "on", "true" };
	static const char *const no[] = { "0", "n", "no", "off", "false" };
	size_t i;

	if (v == NULL) {	/* a bare "vm.debug" */
		*b = true;
		return 0;
	}
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(v, yes[i]) == 0) {
			*b = true;
			return 0;
		}
		if (strcmp(v, no[i]) == 0) {
			*b = false;
			return 0;
		}
	}
	return -1;
}

/*
 * What is wrong with the %HH escapes of a value, or NULL.  Checked on
 * the whole value before any of it is split or decoded, so that a
 * message can show the word as it was.
 */
static const char *
escape_problem(const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v != '%')
			continue;
		if (ascii_hex_value(v[1]) < 0 || ascii_hex_value(v[2]) < 0)
			return "'%' must be followed by two hex digits";
		if (v[1] == '0' && v[2] == '0')
			return "%00 would be a NUL byte";
		v += 2;
	}
	return NULL;
}

/*
 * Decodes %HH in place.  qemu-launch encodes every byte of a path that
 * the command line could not carry as it is: blanks and quotes split
 * words, and the kernel takes more bytes for blanks than we do (0xA0,
 * Latin-1's no-break space); '%' and ':' too, so that a path may hold
 * them.  The escapes were checked.
 */
static void
decode(char *s)
{
	char *o = s;

	for (; *s != '\0'; s++) {
		if (*s == '%') {
			*o++ = (char)(ascii_hex_value(s[1]) * 16 + ascii_hex_value(s[2]));
			s += 2;
		} else
			*o++ = *s;
	}
	*o = '\0';
}

/*
 * TAG:PATH[:ro|:rw], PATH absolute.  Split at the literal colons first,
 * then each part decoded: a colon in the tag or path is %3A, so a path
 * that ends in ":ro" is not taken for the mode.
 */
static int
parse_mount(char *v, struct share *m)
{
	char *colon, *end;
	size_t len;

	colon = strchr(v, ':');
	if (colon == NULL || colon == v)
		return -1;
	*colon = '\0';
	m->tag = v;
	m->path = colon + 1;
	m->ro = false;
	len = strlen(m->path);
	if (len > 3) {
		end = colon + 1 + len - 3;
		if (strcmp(end, ":ro") == 0 || strcmp(end, ":rw") == 0) {
			m->ro = end[2] == 'o';
			*end = '\0';
		}
	}
	decode(v);
	decode(colon + 1);
	if (m->path[0] != '/')
		return -1;
	return 0;
}

static int
add_mount(struct config *c, char *v)
{
	struct share m, *grown;

	if (parse_mount(v, &m) < 0)
		return -1;
	grown = realloc(c->mounts, sizeof(*grown) * (c->nmounts + 1));
	if (grown == NULL)
		return -1;
	c->mounts = grown;
	c->mounts[c->nmounts++] = m;
	return 0;
}

static int
parse_msize(const char *v, uint32_t *msize)
{
	uint64_t n;

	if (v == NULL || parse_size(v, &n) < 0)
		return -1;
	/* The kernel's own floor; the ceiling is the 32-bit wire field. */
	if (n < 4096 || n > UINT32_MAX)
		return -1;
	*msize = (uint32_t)n;
	return 0;
}

static int
parse_key(struct config *c, const char *key, char *v)
{
	if (strcmp(key, "root") == 0) {
		if (v == NULL || *v == '\0')
			return -1;
		c->root_tag = v;
	} else if (strcmp(key, "msize") == 0) {
		return parse_msize(v, &c->msize);
	} else if (strcmp(key, "share") == 0) {
		c->share_tag = v != NULL ? v : "";
		c->share_given = true;
	} else if (strcmp(key, "mount") == 0) {
		if (v == NULL)
			return -1;
		return add_mount(c, v);
	} else if (strcmp(key, "interactive") == 0) {
		return parse_bool(v, &c->interactive);
	} else if (strcmp(key, "debug") == 0) {
		return parse_bool(v, &c->debug);
	} else if (strcmp(key, "qga") == 0) {
		if (v == NULL || *v != '/')
			return -1;
		c->qga = v;
	} else if (strcmp(key, "hostname") == 0) {
		/* Empty leaves the kernel's "(none)". */
		if (v == NULL || strlen(v) > 64)
			return -1;
		c->hostname = v;
	} else {
		return -2;
	}
	return 0;
}

int
cmdline_parse(char *text, struct config *c, cmdline_report *report)
{
	char *p = text, *w, *v;
	const char *why;
	int problems = 0, r;

	while ((w = next_word(&p)) != NULL) {
		if (strcmp(w, "--") == 0)
			break;
		/* As for the kernel's own root: the last one wins. */
		if (strcmp(w, "ro") == 0) {
			c->root_ro = true;
			continue;
		}
		if (strcmp(w, "rw") == 0) {
			c->root_ro = false;
			continue;
		}
		if (strncmp(w, "vm.", 3) != 0)
			continue;
		v = strchr(w, '=');
		if (v != NULL)
			*v++ = '\0';
		if (v != NULL && (why = escape_problem(v)) != NULL) {
			report("bad escape on the kernel command line: %s=%s: "
			    "%s", w, v, why);
			problems++;
			continue;
		}
		/* A mount's value is split before it is decoded. */
		if (v != NULL && strcmp(w, "vm.mount") != 0)
			decode(v);
		r = parse_key(c, w + 3, v);
		if (r == -2) {
			report("unknown key %s on the kernel command line", w);
			problems++;
		} else if (r < 0) {
			report("bad value on the kernel command line: %s=%s",
			    w, v != NULL ? v : "");
			problems++;
		}
	}
	return problems;
}
