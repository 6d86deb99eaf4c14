/*
 * rules-parse: reading a rule file.  Its grammar is Python configparser's
 * (a RawConfigParser), because the files of QEMU's nbd-fault-injector.py
 * must keep their meaning.  libinih splits the lines into keys and values;
 * the line reader below sees each line first, counts it, and makes
 * libinih agree with configparser where the two differ: sections without
 * keys, continuation lines, section and key names longer than libinih's 49
 * bytes, duplicates, and lone CRs.  rules-keys.c gives the keys meaning.
 */
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ascii.h"
#include "inifeed.h"
#include "rules-file.h"
#include "rules.h"
#include "xalloc.h"

/* Longest line we take, well inside libinih's ini_max_line buffer. */
#define MAX_LINE 65000
/* Largest rule file: far more rules than anyone writes. */
#define MAX_FILE (16 * 1024 * 1024)
#define NO_OPT SIZE_MAX

/*
 * libinih did what configparser would not.  The reader's rewriting of the
 * lines should make that impossible; the fuzz target looks for this text.
 */
static const char disagree[] = "libinih and configparser disagree on "
    "this line";

struct ini {
	struct rule_file *f;
	const char *text;	/* the input, and where its next line starts */
	size_t len, pos;
	unsigned lineno;
	char *line;		/* the current line as libinih gets it */
	size_t linelen, served, linecap;

	/* configparser's state between lines. */
	struct section *cur;	/* NULL before the first header */
	size_t opt;		/* cur's key that indented lines continue */
	size_t indent;		/* of the last header or key line */
	unsigned blanks;	/* blank lines since opt's last line */
	bool continuation;	/* the current line continues opt */
};

static int fail(struct ini *, unsigned, const char *, ...)
	__attribute__((format(printf, 3, 4)));

static void
vfail(struct rule_file *f, unsigned line, bool python, const char *fmt,
    va_list ap)
{
	int n = 0;

	/* The first error is the one to fix; later ones may follow from it. */
	if (f->failed)
		return;
	f->failed = true;
	if (f->errlen == 0)
		return;
	if (!python || !f->compat)
		n = snprintf(f->err, f->errlen, "%s:%u: ", f->path, line);
	if (n < 0 || (size_t)n >= f->errlen)
		return;
	vsnprintf(f->err + n, f->errlen - (size_t)n, fmt, ap);
}

int
rf_error(struct rule_file *f, unsigned line, bool python, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(f, line, python, fmt, ap);
	va_end(ap);
	return -1;
}

/* An error in the grammar: "FILE:LINE: message" in both modes. */
static int
fail(struct ini *p, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(p->f, line, false, fmt, ap);
	va_end(ap);
	return -1;
}

static void
section_free(struct section *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->kv[i].key);
		free(s->kv[i].value);
	}
	free(s->kv);
	free(s->name);
}

struct kv *
rf_find(const struct section *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->kv[i].key, key) == 0)
			return &s->kv[i];
	return NULL;
}

/* Hands libinih the line text[0..n) with a newline. */
static int
serve(struct ini *p, const char *indent, const char *text, size_t n)
{
	size_t in = strlen(indent);

	if (in + n + 2 > p->linecap) {
		p->line = xrealloc(p->line, in + n + 2);
		p->linecap = in + n + 2;
	}
	memcpy(p->line, indent, in);
	memcpy(p->line + in, text, n);
	p->line[in + n] = '\n';
	p->linelen = in + n + 1;
	p->served = 0;
	return 0;
}

/*
 * A header, its name t[1..close).  configparser takes the name up to the
 * last ']' and ignores what follows; [DEFAULT] may come back, other
 * names may not.
 */
static int
header(struct ini *p, const char *t, size_t n, size_t close)
{
	struct section *s;
	size_t i;
	char *name;

	name = xstrndup(t + 1, close - 1);
	if (strcmp(name, "DEFAULT") == 0) {
		if (p->f->defaults.name == NULL) {
			p->f->defaults.name = name;
			p->f->defaults.line = p->lineno;
		} else
			free(name);
		p->cur = &p->f->defaults;
		return serve(p, "", t, n);
	}
	for (i = 0; i < p->f->nsec; i++) {
		if (strcmp(p->f->sec[i].name, name) == 0) {
			fail(p, p->lineno, "duplicate section %s", name);
			free(name);
			return -1;
		}
	}
	if (p->f->nsec == p->f->seccap) {
		p->f->sec = xreallocarray(p->f->sec, p->f->seccap * 2 + 4,
		    sizeof(*p->f->sec));
		p->f->seccap = p->f->seccap * 2 + 4;
	}
	s = &p->f->sec[p->f->nsec++];
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->line = p->lineno;
	p->cur = s;
	return serve(p, "", t, n);
}

/*
 * A "key = value" or "key: value" line, k the index of its '=' or ':'.
 * libinih fills in the value.  It gets a stand-in key: ours is whole,
 * and may start with '[' ("[a=1" is configparser's key "[a"), which
 * libinih would take for a bad header.
 */
static int
option(struct ini *p, const char *t, size_t n, size_t k)
{
	struct section *s = p->cur;
	struct kv *kv;
	size_t i;
	char *key;

	for (i = k; i > 0 && ascii_is_space(t[i - 1]); i--)
		;
	if (i == 0)
		return fail(p, p->lineno, "a value without a key");
	key = xstrndup(t, i);
	for (i = 0; key[i] != '\0'; i++)
		key[i] = ascii_to_lower(key[i]);
	if (rf_find(s, key) != NULL) {
		fail(p, p->lineno, "duplicate option %s in %s", key, s->name);
		free(key);
		return -1;
	}
	if (s->n == s->cap) {
		s->kv = xreallocarray(s->kv, s->cap * 2 + 8, sizeof(*s->kv));
		s->cap = s->cap * 2 + 8;
	}
	kv = &s->kv[s->n];
	kv->key = key;
	kv->value = NULL;
	kv->line = p->lineno;
	p->opt = s->n++;
	return serve(p, "k", t + k, n - k);
}

/*
 * Sorts a line as configparser would, updates its view, and prepares
 * what libinih gets.  libinih takes any indented line after a key for a
 * continuation; configparser only a line indented deeper than that key.
 * So lines that continue nothing go to libinih unindented, and those that
 * do with one blank in front.  Blank lines inside a value are kept, as
 * configparser keeps them (but not comment lines).
 */
static int
classify(struct ini *p, const char *s, size_t n)
{
	size_t indent = 0, end = n, close, k = 0;
	const char *t;

	while (indent < n && ascii_is_space(s[indent]))
		indent++;
	while (end > indent && ascii_is_space(s[end - 1]))
		end--;
	t = s + indent;
	n = end - indent;
	p->continuation = false;

	if (n == 0) {
		if (p->opt != NO_OPT)
			p->blanks++;
		return serve(p, "", "", 0);
	}
	if (t[0] == '#' || t[0] == ';')
		return serve(p, "", "", 0);
	if (p->cur != NULL && p->opt != NO_OPT && indent > p->indent) {
		p->continuation = true;
		return serve(p, " ", t, n);
	}
	p->indent = indent;
	p->opt = NO_OPT;
	p->blanks = 0;
	/* configparser: "[" and a name of one character or more, "]". */
	for (close = n - 1; close > 0 && t[close] != ']'; close--)
		;
	if (t[0] == '[' && close >= 2)
		return header(p, t, n, close);
	while (k < n && t[k] != '=' && t[k] != ':')
		k++;
	if (t[0] == '[' && k == n)
		return fail(p, p->lineno, "a malformed section header");
	if (p->cur == NULL)
		return fail(p, p->lineno, "a line before the first [section]");
	if (k == n)
		return fail(p, p->lineno,
		    "expected KEY = VALUE or a [section]: no \"=\" or \":\"");
	return option(p, t, n, k);
}

/* Takes the next line off the input: -1 at the end or on an error. */
static int
next_line(struct ini *p)
{
	const char *s;
	size_t n = 0;

	if (p->pos >= p->len)
		return -1;
	s = p->text + p->pos;
	while (p->pos + n < p->len && s[n] != '\n' && s[n] != '\r')
		n++;
	p->pos += n;
	/* Python's universal newlines: "\n", "\r\n" and a lone "\r". */
	if (p->pos < p->len) {
		if (p->text[p->pos] == '\r' && p->pos + 1 < p->len &&
		    p->text[p->pos + 1] == '\n')
			p->pos++;
		p->pos++;
	}
	p->lineno++;
	/* Our BOM, not libinih's: the line's indentation starts after it. */
	if (p->lineno == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		s += 3;
		n -= 3;
	}
	if (n > MAX_LINE)
		return fail(p, p->lineno, "a line longer than %d bytes",
		    MAX_LINE);
	return classify(p, s, n);
}

/* libinih's fgets(): the current line, in pieces if it must. */
static char *
ini_read(char *buf, int size, void *arg)
{
	struct ini *p = arg;

	if (p->f->failed || size < 2)
		return NULL;
	if (p->served == p->linelen && next_line(p) == -1)
		return NULL;
	return ini_feed_piece(p->line, p->linelen, &p->served, buf, size);
}

/*
 * libinih's handler: a value for the key the reader saw on this line, or
 * one more line of it.  Its section and name are ours already, and whole.
 * It returns 0 on an error, as libinih wants.
 */
static int
ini_value(void *arg, const char *section, const char *name,
    const char *value)
{
	struct ini *p = arg;
	struct kv *kv;
	size_t old, i;
	char *t;

	(void)section;
	(void)name;
	if (p->cur == NULL || p->opt == NO_OPT) {
		fail(p, p->lineno, "%s", disagree);
		return 0;
	}
	kv = &p->cur->kv[p->opt];
	if (p->continuation != (kv->value != NULL)) {
		fail(p, p->lineno, "%s", disagree);
		return 0;
	}
	if (!p->continuation) {
		kv->value = xstrdup(value);
		return 1;
	}
	old = strlen(kv->value);
	t = xrealloc(kv->value, old + p->blanks + 1 + strlen(value) + 1);
	for (i = 0; i <= p->blanks; i++)
		t[old + i] = '\n';
	strcpy(t + old + p->blanks + 1, value);
	kv->value = t;
	p->blanks = 0;
	return 1;
}

/* Where the byte at off is, counting lines as next_line() does. */
static unsigned
line_of(const char *text, size_t off)
{
	unsigned line = 1;
	size_t i;

	for (i = 0; i < off; i++)
		if (text[i] == '\n' || (text[i] == '\r' &&
		    (i + 1 >= off || text[i + 1] != '\n')))
			line++;
	return line;
}

/*
 * Runs libinih over the text (lib/inifeed.c sets its options: they are
 * process-wide, so parse rule files before starting threads).
 */
static int
run_inih(struct ini *p)
{
	int rc;
	const char *nul;
	size_t i, j;

	if ((nul = memchr(p->text, '\0', p->len)) != NULL)
		return fail(p, line_of(p->text, (size_t)(nul - p->text)),
		    "a NUL byte");

	/* next_line() skips a byte-order mark. */
	rc = ini_feed_parse(ini_read, p, ini_value, p, true);

	free(p->line);
	if (p->f->failed)
		return -1;
	if (rc == -2)
		xalloc_die();
	if (rc != 0)
		return fail(p, (unsigned)rc, "%s", disagree);
	/* Every key the reader saw must have had its value from libinih. */
	for (i = 0; i <= p->f->nsec; i++) {
		const struct section *s = i < p->f->nsec ? &p->f->sec[i] :
		    &p->f->defaults;

		for (j = 0; j < s->n; j++)
			if (s->kv[j].value == NULL)
				return fail(p, s->kv[j].line, "%s", disagree);
	}
	return 0;
}

/* Reads text into f's sections.  Returns 0, or -1 with f->err set. */
static int
rf_read(struct rule_file *f, const char *text, size_t len)
{
	struct ini p;

	memset(&p, 0, sizeof(p));
	p.f = f;
	p.text = text;
	p.len = len;
	p.opt = NO_OPT;
	return run_inih(&p);
}

static void
rf_free(struct rule_file *f)
{
	size_t i;

	for (i = 0; i < f->nsec; i++)
		section_free(&f->sec[i]);
	free(f->sec);
	section_free(&f->defaults);
}

/* An empty set, which rules_free() takes too: a failed load leaves one. */
static void
set_init(struct rule_set *set)
{
	set->rules = NULL;
	set->n = 0;
	pthread_mutex_init(&set->lock, NULL);
}

int
rules_parse(const char *text, size_t len, const char *name, bool compat,
    struct rule_set *set, char *err, size_t errlen)
{
	struct rule_file f;
	int rc;

	set_init(set);
	if (errlen > 0)
		err[0] = '\0';
	memset(&f, 0, sizeof(f));
	f.path = name;
	f.compat = compat;
	f.err = err;
	f.errlen = errlen;
	rc = rf_read(&f, text, len) == 0 && rf_build(&f, set) == 0 ? 0 : -1;
	rf_free(&f);
	return rc;
}

/* Reads the whole file, or says why not in err. */
static char *
slurp(const char *path, size_t *lenp, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (len == cap) {
			if (cap >= MAX_FILE) {
				snprintf(err, errlen, "%s: larger than %d "
				    "bytes", path, MAX_FILE);
				goto fail;
			}
			cap = cap == 0 ? 4096 : cap * 2;
			buf = xrealloc(buf, cap);
		}
		n = read(fd, buf + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	*lenp = len;
	return buf;

fail:
	close(fd);
	free(buf);
	return NULL;
}

int
rules_load(const char *path, bool compat, struct rule_set *set, char *err,
    size_t errlen)
{
	char *buf;
	size_t len;
	int rc;

	if ((buf = slurp(path, &len, err, errlen)) == NULL) {
		set_init(set);
		return -1;
	}
	rc = rules_parse(buf, len, path, compat, set, err, errlen);
	free(buf);
	return rc;
}

