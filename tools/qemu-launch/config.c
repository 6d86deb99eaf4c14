/*
 * config: the INI file.  libinih splits lines into keys and values; a
 * line reader in front of it counts the lines, so that every message
 * names file:line (Debian's libinih hands its handler no line number),
 * and sorts each line first: section headers, continuation lines and
 * lines libinih would reject are ours to judge, so that an empty section
 * still counts and every bad line is reported, not only the first.
 */
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "inifeed.h"
#include "ascii.h"
#include "config.h"
#include "configtoml.h"
#include "diag.h"
#include "xalloc.h"

#define MAX_LINE 60000		/* well inside ini_max_line below */

struct reader {
	struct config *c;
	FILE *f;
	unsigned lineno;
	char *line;		/* the current line, as libinih gets it */
	size_t linelen, served, cap;
	char *buf;		/* getline()'s */
	size_t bufcap;
	int errors;

	struct target *cur;	/* NULL before a section or in a bad one */
	bool in_section;	/* after a header, good or bad */
	bool continuation;	/* the current line continues prev */
	enum key prev;		/* the last key line's key; KEY_COUNT if bad */
	bool have_prev;		/* libinih's prev_name is set */
	unsigned first[KEY_COUNT];	/* where cur's keys were first set */
};

static void fail(struct reader *, const char *, ...)
	__attribute__((format(printf, 2, 3)));

static void
fail(struct reader *r, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	error_msg("%s:%u: %s", r->c->path, r->lineno, msg);
	r->errors++;
}

/* Appends code point cp to o as UTF-8; returns the end. */
static char *
put_utf8(char *o, unsigned long cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xc0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xe0 | cp >> 12);
		*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xf0 | cp >> 18);
		*o++ = (char)(0x80 | (cp >> 12 & 0x3f));
		*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}

/*
 * A quoted name, as a TOML basic string: s[0..n) starts after the
 * opening quote.  The text goes to out (n bytes are enough: no escape is
 * shorter than what it stands for) with its length in *outlen, and
 * *used is how much of s the closing quote ends.  Returns NULL or what
 * is wrong.
 */
static const char *
unquote(const char *s, size_t n, char *out, size_t *outlen, size_t *used)
{
	static const char simple[] = "\"\"\\\\b\bt\tn\nf\fr\r";
	unsigned long cp;
	size_t i, k, digits;
	const char *e;
	char *o = out;

	for (i = 0; i < n; i++) {
		if (s[i] == '"') {
			*outlen = (size_t)(o - out);
			*used = i + 1;
			return NULL;
		}
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
			return "a control character in a quoted name is "
			    "written as an escape (\\n, \\u0007...)";
		if (s[i] == 0x7f)
			return "DEL in a quoted name is written \\u007F";
		if (s[i] != '\\') {
			*o++ = s[i];
			continue;
		}
		if (++i == n)
			break;
		for (e = simple; *e != '\0' && *e != s[i]; e += 2)
			;
		if (*e != '\0') {
			*o++ = e[1];
			continue;
		}
		if (s[i] != 'u' && s[i] != 'U')
			return "a backslash escapes \\\" \\\\ \\b \\t \\n \\f "
			    "\\r \\uXXXX or \\UXXXXXXXX";
		digits = s[i] == 'u' ? 4 : 8;
		for (cp = 0, k = 1; k <= digits; k++) {
			if (i + k >= n || ascii_hex_value(s[i + k]) < 0)
				return "\\u takes 4 hex digits, \\U 8";
			cp = cp * 16 + (unsigned long)ascii_hex_value(s[i + k]);
		}
		if (cp == 0)
			return "a name cannot hold NUL";
		if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return "an escape that is not a Unicode character "
			    "(a surrogate, or past U+10FFFF)";
		o = put_utf8(o, cp);
		i += digits;
	}
	return "the quote is not closed";
}

/*
 * NAME of "[target NAME]" (len bytes, blanks at both ends trimmed) into
 * text, which has len + 1 bytes.  It is any UTF-8 text but NUL, as
 * vmtest.toml's name = "..." may be.  Bare, it is taken as it is, inner
 * blanks and all ([target uefi image boots]), and holds no ']', no
 * control character but a tab, and starts with no '"'.  Quoted, it is a
 * TOML basic string ([target "a]b"]), for what the bare form cannot
 * hold.  libinih never sees a header: its own ends at the first ']'.
 * Returns NULL or what is wrong.
 */
static const char *
target_name(const char *name, size_t len, char *text)
{
	const char *problem;
	size_t n, used, i;
	json_t *utf8;

	if (name[0] == '"') {
		if ((problem = unquote(name + 1, len - 1, text, &n,
		    &used)) != NULL)
			return problem;
		if (used + 1 < len)
			return "text after the closing quote";
	} else {
		for (i = 0; i < len; i++) {
			if (name[i] == ']')
				return "a ']' needs the quoted form, "
				    "[target \"...\"]";
			if (((unsigned char)name[i] < 0x20 &&
			    name[i] != '\t') || name[i] == 0x7f)
				return "a control character needs the quoted "
				    "form, [target \"...\"], and an escape";
		}
		memcpy(text, name, len);
		n = len;
	}
	text[n] = '\0';
	if (n == 0)
		return "empty (a target needs a name)";
	/* --list prints it as a JSON string, which must be UTF-8. */
	if ((utf8 = json_stringn(text, n)) == NULL)
		return "not UTF-8";
	json_decref(utf8);
	return NULL;
}

/* "[target NAME]", blanks allowed around; see target_name(). */
static void
header(struct reader *r, const char *t, size_t n)
{
	const char *name, *problem;
	size_t len, i;
	char *text;

	r->in_section = true;
	r->cur = NULL;
	r->have_prev = false;
	r->prev = KEY_COUNT;
	memset(r->first, 0, sizeof(r->first));
	if (t[n - 1] != ']') {
		fail(r, "a section header must end with ']'");
		return;
	}
	t++;
	n -= 2;
	while (n > 0 && ascii_is_space(*t)) {
		t++;
		n--;
	}
	while (n > 0 && ascii_is_space(t[n - 1]))
		n--;
	if (n == 6 && strncmp(t, "target", 6) == 0) {
		fail(r, "[target] needs a name: [target NAME]");
		return;
	}
	if (n < 7 || strncmp(t, "target", 6) != 0 || !ascii_is_space(t[6])) {
		fail(r, "unknown section [%.*s] (sections are [target NAME])",
		    (int)n, t);
		return;
	}
	for (name = t + 6; ascii_is_space(*name); name++)
		;
	len = n - (size_t)(name - t);
	text = xmalloc(len + 1);
	if ((problem = target_name(name, len, text)) != NULL) {
		fail(r, "target name %.*s: %s", (int)len, name, problem);
		free(text);
		return;
	}
	for (i = 0; i < r->c->n; i++) {
		if (strcmp(r->c->targets[i].name, text) == 0) {
			fail(r, "target %s is defined twice (first at line "
			    "%u)", text, r->c->targets[i].at.line);
			free(text);
			return;
		}
	}
	r->c->targets = xreallocarray(r->c->targets, r->c->n + 1,
	    sizeof(*r->c->targets));
	r->cur = &r->c->targets[r->c->n++];
	target_init(r->cur, text, r->c->dir);
	free(text);
	r->cur->at.file = r->c->path;
	r->cur->at.line = r->lineno;
}

/*
 * Sorts one line as libinih will and keeps what libinih would complain
 * about from it: such a line is reported here and served blank.
 * Returns the text libinih gets (without the newline).
 */
static void
sort_line(struct reader *r, const char *s, size_t n, const char **out,
    size_t *outlen)
{
	size_t indent = 0, end = n, k;
	const char *t;

	*out = s;
	*outlen = n;
	r->continuation = false;
	while (indent < n && ascii_is_space(s[indent]))
		indent++;
	while (end > indent && ascii_is_space(s[end - 1]))
		end--;
	t = s + indent;
	n = end - indent;
	if (n == 0 || t[0] == '#' || t[0] == ';')
		return;
	/* libinih: an indented line after a key continues its value. */
	if (indent > 0 && r->have_prev) {
		r->continuation = true;
		return;
	}
	if (t[0] == '[') {
		header(r, t, n);
		/* libinih must see a section start too, or it would take
		 * the next indented line for a continuation. */
		*out = "[-]";
		*outlen = 3;
		return;
	}
	for (k = 0; k < n && t[k] != '=' && t[k] != ':'; k++)
		;
	if (k == n || k == 0) {
		fail(r, k == 0 ? "a value without a key" : "expected KEY = "
		    "VALUE, a [target NAME] header or a comment");
		*outlen = 0;
		return;
	}
	if (!r->in_section) {
		fail(r, "a key before the first [target NAME] section");
		*outlen = 0;
		return;
	}
	/* libinih has the key now, and its prev_name with it. */
	r->have_prev = true;
}

/* Takes the next line off the file: false at its end. */
static bool
next_line(struct reader *r)
{
	const char *text;
	size_t textlen;
	ssize_t n;

	if ((n = getline(&r->buf, &r->bufcap, r->f)) < 0)
		return false;
	r->lineno++;
	if (n > 0 && r->buf[n - 1] == '\n')
		n--;
	if (n > 0 && r->buf[n - 1] == '\r')
		n--;
	text = r->buf;
	if (r->lineno == 1 && n >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;
		n -= 3;
	}
	if (memchr(text, '\0', (size_t)n) != NULL) {
		fail(r, "a NUL byte");
		n = 0;
	} else if (n > MAX_LINE) {
		fail(r, "a line longer than %d bytes", MAX_LINE);
		n = 0;
	}
	sort_line(r, text, (size_t)n, &text, &textlen);
	if (textlen + 2 > r->cap) {
		r->cap = textlen + 2;
		r->line = xrealloc(r->line, r->cap);
	}
	memcpy(r->line, text, textlen);
	r->line[textlen] = '\n';
	r->linelen = textlen + 1;
	r->served = 0;
	return true;
}

/* libinih's fgets(): the current line, in pieces if it must. */
static char *
read_for_inih(char *buf, int size, void *arg)
{
	struct reader *r = arg;

	if (size < 2)
		return NULL;
	if (r->served == r->linelen && !next_line(r))
		return NULL;
	return ini_feed_piece(r->line, r->linelen, &r->served, buf, size);
}

static void
continue_value(struct reader *r, const char *value)
{
	struct setting *s;
	char joiner;
	size_t old;

	if (r->cur == NULL || r->prev == KEY_COUNT)
		return;		/* its key was reported already */
	if (key_repeatable(r->prev)) {
		target_set(r->cur, r->prev, value, (struct origin){
		    r->c->path, r->lineno, NULL });
		return;
	}
	if ((joiner = key_joiner(r->prev)) == 0) {
		fail(r, "%s takes one line (this indented line continues "
		    "it; remove the indentation)", key_name(r->prev));
		return;
	}
	s = &r->cur->set[r->prev];
	old = strlen(s->value);
	s->value = xrealloc(s->value, old + strlen(value) + 2);
	s->value[old] = joiner;
	strcpy(s->value + old + 1, value);
}

static int
on_value(void *arg, const char *section, const char *name,
    const char *value)
{
	struct reader *r = arg;
	enum key k;

	(void)section;		/* ours is r->cur, whole and checked */
	if (r->continuation) {
		continue_value(r, value);
		return 1;
	}
	r->prev = k = key_lookup(name);
	if (r->cur == NULL)
		return 1;	/* in a section reported as bad */
	if (k == KEY_COUNT) {
		fail(r, "unknown key '%s' (keys: kernel, image, uefi, "
		    "kernel_args, initrd, rootfs, share, arch, qemu_command, "
		    "num_cpus, memory, mounts, bios, extra_args, kvm_cpu_args, "
		    "command, disk, disk_backend, disk_size, disk_cache, "
		    "snapshot, net, gdb)", name);
		return 1;
	}
	if (!key_repeatable(k) && r->first[k] != 0) {
		fail(r, "%s is set twice in target %s (first at line %u)",
		    name, r->cur->name, r->first[k]);
		r->prev = KEY_COUNT;
		return 1;
	}
	r->first[k] = r->lineno;
	target_set(r->cur, k, value, (struct origin){ r->c->path, r->lineno,
	    NULL });
	return 1;
}

/* Runs libinih over the file, with lib/inifeed.c's options. */
static int
run_inih(struct reader *r)
{
	int rc;

	/*
	 * No inline comments: "make ; make check" is a command, not a
	 * command and a comment.  next_line() skips a byte-order mark.
	 */
	rc = ini_feed_parse(read_for_inih, r, on_value, r, false);
	free(r->line);
	free(r->buf);
	if (rc == -2)
		xalloc_die();
	if (rc > 0 && r->errors == 0) {
		/* The reader should have kept this from libinih. */
		r->lineno = (unsigned)rc;
		fail(r, "libinih could not read this line");
	}
	return r->errors;
}

int
config_read(struct config *c, const char *path)
{
	char dir[PATH_MAX], real[PATH_MAX], *slash;
	struct reader r;
	struct stat st;

	memset(c, 0, sizeof(*c));
	c->path = path;
	memset(&r, 0, sizeof(r));
	r.c = c;
	r.prev = KEY_COUNT;
	if ((r.f = fopen(path, "re")) == NULL) {
		error_errno("%s", path);
		return 1;
	}
	if (fstat(fileno(r.f), &st) == 0 && S_ISDIR(st.st_mode)) {
		error_msg("%s: a directory, not a config file", path);
		fclose(r.f);
		return 1;
	}
	/* Relative paths in the file start from its directory. */
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (realpath(dir, real) == NULL) {
		error_errno("%s", dir);
		fclose(r.f);
		return 1;
	}
	c->dir = xstrdup(real);
	if (config_is_toml(path)) {
		fclose(r.f);
		return config_toml_read(c);
	}
	run_inih(&r);
	if (ferror(r.f)) {
		error_errno("%s", path);
		r.errors++;
	}
	fclose(r.f);
	return r.errors;
}

void
config_free(struct config *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		target_free(&c->targets[i]);
	free(c->targets);
	free(c->dir);
	memset(c, 0, sizeof(*c));
}

struct target *
config_find(struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->targets[i].name, name) == 0)
			return &c->targets[i];
	return NULL;
}
