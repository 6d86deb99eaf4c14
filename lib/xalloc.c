#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "xalloc.h"

void
xalloc_die(void)
{
	die(EXIT_LOCAL, "out of memory");
}

/*
 * malloc(0) may return NULL and realloc(p, 0) frees p and returns NULL,
 * either of which would read as a failure: ask for one byte instead.
 */
static size_t
nonzero(size_t size)
{
	return size != 0 ? size : 1;
}

void *
xmalloc(size_t size)
{
	void *p = malloc(nonzero(size));

	if (p == NULL)
		xalloc_die();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p;

	if (n == 0 || size == 0)
		n = size = 1;
	/* calloc checks n * size itself. */
	if ((p = calloc(n, size)) == NULL)
		xalloc_die();
	return p;
}

void *
xrealloc(void *p, size_t size)
{
	if ((p = realloc(p, nonzero(size))) == NULL)
		xalloc_die();
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	size_t total;

	if (__builtin_mul_overflow(n, size, &total))
		xalloc_die();
	return xrealloc(p, total);
}

char *
xstrdup(const char *s)
{
	char *copy = strdup(s);

	if (copy == NULL)
		xalloc_die();
	return copy;
}

char *
xstrndup(const char *s, size_t n)
{
	char *copy = strndup(s, n);

	if (copy == NULL)
		xalloc_die();
	return copy;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	/* The only other failure, a result over INT_MAX, is as fatal. */
	if (vasprintf(&s, fmt, ap) < 0)
		xalloc_die();
	return s;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}
