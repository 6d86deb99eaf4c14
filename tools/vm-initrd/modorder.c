#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modorder.h"
#include "xalloc.h"

#define STR(x) #x
#define XSTR(x) STR(x)

static bool
ends_with(const char *s, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* Why the n bytes of a line are not a module's path, or NULL. */
static const char *
refuse(const char *s, size_t n)
{
	size_t i, start = 0, clen;

	if (n > MODORDER_PATH_MAX)
		return "longer than " XSTR(MODORDER_PATH_MAX) " bytes";
	if (s[0] == '/')
		return "an absolute path";
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return "a blank, a control character or a NUL";
	/* Each component: not empty, not "." nor "..". */
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '/')
			continue;
		clen = i - start;
		if (clen == 0)
			return "an empty component";
		if ((clen == 1 && s[start] == '.') || (clen == 2 &&
		    s[start] == '.' && s[start + 1] == '.'))
			return "a \".\" or \"..\" component";
		if (i == n && ((ends_with(s + start, clen, ".o") && clen > 2) ||
		    (ends_with(s + start, clen, ".ko") && clen > 3)))
			return NULL;
		start = i + 1;
	}
	return "no name ending in .o or .ko";
}

/* Sorting indexes by path, then line: the first of equals comes first. */
static int
by_path(const void *a, const void *b, void *base)
{
	const struct modorder_entry *e = base;
	const struct modorder_entry *x = &e[*(const size_t *)a];
	const struct modorder_entry *y = &e[*(const size_t *)b];
	int c = strcmp(x->path, y->path);

	return c != 0 ? c : x->line < y->line ? -1 : x->line > y->line;
}

/* Drops the later of equal paths, keeping the file's order. */
static void
drop_repeats(struct modorder *mo)
{
	size_t *idx, i, k;
	bool *dup;

	if (mo->n < 2)
		return;
	idx = xreallocarray(NULL, mo->n, sizeof(*idx));
	dup = xcalloc(mo->n, sizeof(*dup));
	for (i = 0; i < mo->n; i++)
		idx[i] = i;
	qsort_r(idx, mo->n, sizeof(*idx), by_path, mo->e);
	for (i = 1; i < mo->n; i++)
		if (strcmp(mo->e[idx[i]].path, mo->e[idx[i - 1]].path) == 0)
			dup[idx[i]] = true;
	for (i = k = 0; i < mo->n; i++) {
		if (dup[i])
			free(mo->e[i].path);
		else
			mo->e[k++] = mo->e[i];
	}
	mo->n = k;
	free(dup);
	free(idx);
}

int
modorder_parse(const char *text, size_t len, const char *name,
    struct modorder *mo, char *why, size_t whylen)
{
	const char *p = text, *end = text + len, *nl, *bad;
	size_t n, line = 0;
	char *path;

	memset(mo, 0, sizeof(*mo));
	/* At most one entry a line: one allocation. */
	for (n = 1; p < end && (nl = memchr(p, '\n', (size_t)(end - p))) !=
	    NULL; p = nl + 1)
		n++;
	mo->e = xreallocarray(NULL, n, sizeof(*mo->e));
	p = text;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		line++;
		if (n > 0) {
			if ((bad = refuse(p, n)) != NULL) {
				snprintf(why, whylen, "%s:%zu: not the path of a "
				    "module: %s", name, line, bad);
				modorder_free(mo);
				return -1;
			}
			/* "x.o" becomes "x.ko": room for one more byte. */
			path = xmalloc(n + 2);
			memcpy(path, p, n);
			path[n] = '\0';
			if (ends_with(path, n, ".o"))
				strcpy(path + n - 2, ".ko");
			mo->e[mo->n].path = path;
			mo->e[mo->n++].line = line;
		}
		p += n + 1;
	}
	drop_repeats(mo);
	return 0;
}

void
modorder_free(struct modorder *mo)
{
	size_t i;

	for (i = 0; i < mo->n; i++)
		free(mo->e[i].path);
	free(mo->e);
	memset(mo, 0, sizeof(*mo));
}
