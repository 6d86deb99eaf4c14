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

/*
 * SECONDS[.FRACTION], the fraction up to nine digits (nanoseconds).  The
 * ceiling is far beyond any clock, and clock_settime() refuses what the
 * kernel cannot hold.
 */
static int
parse_time(const char *v, struct timespec *ts)
{
	char secs[16];
	const char *dot;
	uint64_t s;
	size_t n;
	long ns = 0;
	int digits = 0;

	if (v == NULL)
		return -1;
	dot = strchr(v, '.');
	n = dot != NULL ? (size_t)(dot - v) : strlen(v);
	if (n == 0 || n >= sizeof(secs))
		return -1;
	memcpy(secs, v, n);
	secs[n] = '\0';
	if (parse_uint(secs, 0, 9999999999ULL, &s) < 0)
		return -1;
	if (dot != NULL) {
		for (v = dot + 1; *v != '\0'; v++, digits++) {
			if (!ascii_is_digit(*v) || digits == 9)
				return -1;
			ns = ns * 10 + (*v - '0');
		}
		if (digits == 0)
			return -1;
		for (; digits < 9; digits++)
			ns *= 10;
	}
	ts->tv_sec = (time_t)s;
	ts->tv_nsec = ns;
	return 0;
}

/* Hex digits, two a byte, decoded in place. */
static int
parse_entropy(char *v, struct config *c)
{
	unsigned char *out = (unsigned char *)v;
	size_t n, i;

	if (v == NULL)
		return -1;
	n = strlen(v);
	if (n % 2 != 0 || n < 2 * ENTROPY_MIN || n > 2 * ENTROPY_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if (ascii_hex_value(v[i]) < 0)
			return -1;
	for (i = 0; i < n / 2; i++)
		out[i] = (unsigned char)(ascii_hex_value(v[2 * i]) * 16 +
		    ascii_hex_value(v[2 * i + 1]));
	c->entropy = out;
	c->entropy_len = n / 2;
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
	} else if (strcmp(key, "net") == 0) {
		return parse_bool(v, &c->net);
	} else if (strcmp(key, "qga") == 0) {
		if (v == NULL || *v != '/')
			return -1;
		c->qga = v;
	} else if (strcmp(key, "hostname") == 0) {
		/* Empty leaves the kernel's "(none)". */
		if (v == NULL || strlen(v) > 64)
			return -1;
		c->hostname = v;
	} else if (strcmp(key, "control") == 0) {
		/* A port name, as /dev/virtio-ports/NAME can carry it. */
		if (v == NULL || *v == '\0' || *v == '.' ||
		    strchr(v, '/') != NULL || strlen(v) > 200)
			return -1;
		c->control = v;
	} else if (strcmp(key, "time") == 0) {
		if (parse_time(v, &c->time) < 0)
			return -1;
		c->time_given = true;
	} else if (strcmp(key, "entropy") == 0) {
		return parse_entropy(v, c);
	}
	return 0;
}

/*
 * Where each key may come from.  The channel carries what differs between
 * runs that start from one saved state; what shapes the guest before the
 * handoff (the root, the port to ask) can only be on the command line,
 * and what must be fresh for each run (the time, the random bytes) only
 * over the channel: on the command line it would be stale after a
 * restore, and readable in /proc/cmdline.
 */
#define FROM_CMDLINE 1
#define FROM_CHANNEL 2

static const struct {
	const char *name;
	int from;
} keys[] = {
	{ "root", FROM_CMDLINE },
	{ "msize", FROM_CMDLINE },
	{ "share", FROM_CMDLINE | FROM_CHANNEL },
	{ "mount", FROM_CMDLINE | FROM_CHANNEL },
	{ "interactive", FROM_CMDLINE | FROM_CHANNEL },
	{ "debug", FROM_CMDLINE },
	{ "net", FROM_CMDLINE },
	{ "qga", FROM_CMDLINE },
	{ "hostname", FROM_CMDLINE },
	{ "control", FROM_CMDLINE },
	{ "time", FROM_CHANNEL },
	{ "entropy", FROM_CHANNEL },
};

/* The places key may come from, or 0 for an unknown key. */
static int
key_from(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].name, key) == 0)
			return keys[i].from;
	return 0;
}

static int
parse_words(char *text, struct config *c, cmdline_report *report, int from)
{
	const char *where = from == FROM_CHANNEL ?
	    "over the control channel" : "on the kernel command line";
	char *p = text, *w, *v;
	const char *why;
	int problems = 0, allowed;

	while ((w = next_word(&p)) != NULL) {
		if (from == FROM_CHANNEL && strncmp(w, "vm.", 3) != 0) {
			report("not a vm.KEY=VALUE word %s: %s", where, w);
			problems++;
			continue;
		}
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
		if ((allowed = key_from(w + 3)) == 0) {
			report("unknown key %s %s", w, where);
			problems++;
			continue;
		}
		if ((allowed & from) == 0) {
			report("key %s is not taken %s", w, where);
			problems++;
			continue;
		}
		if (v != NULL && (why = escape_problem(v)) != NULL) {
			report("bad escape %s: %s=%s: %s", where, w, v, why);
			problems++;
			continue;
		}
		/* A mount's value is split before it is decoded. */
		if (v != NULL && strcmp(w, "vm.mount") != 0)
			decode(v);
		if (parse_key(c, w + 3, v) < 0) {
			report("bad value %s: %s=%s", where, w,
			    v != NULL ? v : "");
			problems++;
		}
	}
	return problems;
}

int
cmdline_parse(char *text, struct config *c, cmdline_report *report)
{
	return parse_words(text, c, report, FROM_CMDLINE);
}

int
cmdline_parse_control(char *text, struct config *c, cmdline_report *report)
{
	return parse_words(text, c, report, FROM_CHANNEL);
}

void
cmdline_print(const struct config *c, FILE *f)
{
	const struct share *m;
	size_t i;
	int j;

	fprintf(f, "root=%s\n", c->root_tag);
	fprintf(f, "root-mode=%s\n", c->root_ro ? "ro" : "rw");
	if (c->msize != 0)
		fprintf(f, "msize=%u\n", c->msize);
	else
		fprintf(f, "msize=auto\n");
	fprintf(f, "share=%s\n", c->share_tag != NULL ? c->share_tag : "");
	fprintf(f, "share-required=%d\n", c->share_given &&
	    c->share_tag != NULL && *c->share_tag != '\0');
	for (j = 0; j < c->nmounts; j++) {
		m = &c->mounts[j];
		fprintf(f, "mount=%s:%s:%s\n", m->tag, m->path,
		    m->ro ? "ro" : "rw");
	}
	fprintf(f, "interactive=%d\n", c->interactive);
	fprintf(f, "qga=%s\n", c->qga != NULL ? c->qga : "auto");
	fprintf(f, "hostname=%s\n", c->hostname);
	fprintf(f, "debug=%d\n", c->debug);
	/* Only when given: most command lines have none of them. */
	if (c->control != NULL)
		fprintf(f, "control=%s\n", c->control);
	if (c->net)
		fprintf(f, "net=1\n");
	if (c->time_given)
		fprintf(f, "time=%lld.%09ld\n", (long long)c->time.tv_sec,
		    c->time.tv_nsec);
	if (c->entropy != NULL) {
		fputs("entropy=", f);
		for (i = 0; i < c->entropy_len; i++)
			fprintf(f, "%02x", c->entropy[i]);
		fputc('\n', f);
	}
}
