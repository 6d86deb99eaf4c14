/*
 * check.h: the few lines the C unit tests under tests/unit share.  Each
 * test program checks one lib/ file, prints every failed check as
 * "file:line: expression", and exits 1 if any failed.
 */
#ifndef VT_CHECK_H
#define VT_CHECK_H

#include <stdio.h>

static int check_failures;

#define CHECK(expr)							\
	do {								\
		if (!(expr)) {						\
			fprintf(stderr, "%s:%d: check failed: %s\n",	\
			    __FILE__, __LINE__, #expr);			\
			check_failures++;				\
		}							\
	} while (0)

static inline int
check_result(void)
{
	return check_failures == 0 ? 0 : 1;
}

#endif
