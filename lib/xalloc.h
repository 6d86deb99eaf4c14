/*
 * xalloc: allocation that succeeds or ends the tool.
 *
 * A tool that runs out of memory has nothing better to do than say so and
 * stop, and a NULL check at every call hides the real work and tempts
 * each caller to pick its own message and exit status.  Here the failure
 * is one line, "tool: error: out of memory", and exit status 71
 * (EXIT_LOCAL); exit(3) runs the tool's atexit handlers, so a run
 * directory still goes.
 *
 * None of these returns NULL, also not for a size of 0.  vm-init does not
 * link this file (its PID 1 must not exit).
 */
#ifndef VT_XALLOC_H
#define VT_XALLOC_H

#include <stdarg.h>
#include <stddef.h>
#include <stdnoreturn.h>

/* Says "out of memory" and exits 71: for allocators not wrapped here. */
noreturn void xalloc_die(void);

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);

/* n elements of size bytes; n * size overflowing is out of memory too. */
void *xreallocarray(void *p, size_t n, size_t size);

char *xstrdup(const char *s);

/* At most n bytes of s, always NUL-terminated. */
char *xstrndup(const char *s, size_t n);

char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap)
	__attribute__((format(printf, 1, 0)));

#endif
