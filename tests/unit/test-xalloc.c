/*
 * test-xalloc: lib/xalloc.c, and the lib/diag.c messages its failure is
 * made of.  What must end the process runs in a child whose stderr and
 * exit status are checked: one line "test-xalloc: error: out of memory"
 * and 71, through exit(3) so that atexit handlers still run.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../lib/diag.h"
#include "../../lib/xalloc.h"
#include "check.h"

/*
 * Under AddressSanitizer an impossible malloc would be reported and
 * abort the test rather than return NULL as libc's does: ask for libc's
 * behaviour, which is what xalloc handles.  ASan still warns of each
 * such request, in a report file that would fail `make check`; the
 * children send their reports to their stderr instead, where the one
 * expected warning is taken out and anything else fails the test.
 */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

void __sanitizer_set_report_path(const char *path) __attribute__((weak));

/* Takes out ASan's "==PID==WARNING: AddressSanitizer failed to allocate". */
static void
drop_asan_warning(char *out)
{
	static const char warning[] = "WARNING: AddressSanitizer failed to "
	    "allocate ";
	char *line = out, *end, *w;

	while ((end = strchr(line, '\n')) != NULL) {
		w = strstr(line, warning);
		if (strncmp(line, "==", 2) == 0 && w != NULL && w < end)
			memmove(line, end + 1, strlen(end + 1) + 1);
		else
			line = end + 1;
	}
}

/* Big enough that no malloc can give it, small enough not to overflow. */
#define IMPOSSIBLE (SIZE_MAX / 2)

static char output[8192];

static void
say_atexit(void)
{
	fputs("atexit ran\n", stderr);
}

/*
 * Runs fn in a child with stderr into output; returns its wait status.
 * fn exits with 0 if what it checks itself held.
 */
static int
run(void (*fn)(void))
{
	int p[2], status = -1;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	memset(output, 0, sizeof(output));
	if (pipe(p) < 0 || (pid = fork()) < 0) {
		perror("run");
		exit(2);
	}
	if (pid == 0) {
		close(p[0]);
		dup2(p[1], 2);
		close(p[1]);
		if (__sanitizer_set_report_path != NULL)
			__sanitizer_set_report_path("stderr");
		atexit(say_atexit);
		fn();
		exit(0);
	}
	close(p[1]);
	while (got < sizeof(output) - 1 &&
	    (n = read(p[0], output + got, sizeof(output) - 1 - got)) > 0)
		got += (size_t)n;
	close(p[0]);
	waitpid(pid, &status, 0);
	drop_asan_warning(output);
	return status;
}

static bool
exited(int status, int code)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == code;
}

static const char oom[] = "test-xalloc: error: out of memory\natexit ran\n";

static void
malloc_fails(void)
{
	xmalloc(IMPOSSIBLE);
}

static void
calloc_fails(void)
{
	xcalloc(IMPOSSIBLE, 4);
}

/*
 * Still reachable when the process ends, which LeakSanitizer checks:
 * volatile, or the compiler drops a store that nothing reads.
 */
static void *volatile kept;

static void
realloc_fails(void)
{
	kept = xmalloc(16);
	xrealloc(kept, IMPOSSIBLE);
}

static void
reallocarray_overflows(void)
{
	/* The product wraps to 0 modulo 2^64; unchecked it would succeed. */
	xreallocarray(NULL, (SIZE_MAX >> 1) + 1, 2);
}

static void
dies(void)
{
	xalloc_die();
}

/* Each leaves errno as it was: the test exits 0 only if it did. */
static void
says_error_errno(void)
{
	errno = ENOENT;
	error_errno("%s", "/no/such");
	exit(errno == ENOENT ? 0 : 9);
}

static void
says_note_errno(void)
{
	errno = EACCES;
	note_errno("cache %s", "/c");
	exit(errno == EACCES ? 0 : 9);
}

static void
says_error_msg(void)
{
	errno = EPIPE;
	error_msg("plain %d", 1);
	note("note %d", 2);
	exit(errno == EPIPE ? 0 : 9);
}

static void
dies_errno(void)
{
	errno = ECONNREFUSED;
	die_errno(EXIT_UNREACHABLE, "%s", "qmp.sock");
}

/* A message too long for one line loses its end, never the reason. */
static void
says_long(void)
{
	static char path[6000];

	memset(path, 'p', sizeof(path) - 1);
	errno = ENOSPC;
	error_errno("%s", path);
}

int
main(int argc, char **argv)
{
	char *s, *t, *u, *v;
	int *a;
	size_t i, len;

	(void)argc;
	diag_init(argv[0]);

	/* Sizes of 0 still give memory, never NULL. */
	s = xmalloc(0);
	CHECK(s != NULL);
	s = xrealloc(s, 0);
	CHECK(s != NULL);
	free(s);
	s = xcalloc(0, 8);
	CHECK(s != NULL);
	free(s);
	s = xcalloc(8, 0);
	CHECK(s != NULL);
	free(s);

	/* calloc's memory is zero; reallocarray keeps what was there. */
	a = xcalloc(100, sizeof(*a));
	for (i = 0; i < 100; i++)
		CHECK(a[i] == 0);
	for (i = 0; i < 100; i++)
		a[i] = (int)i;
	a = xreallocarray(a, 100000, sizeof(*a));
	for (i = 0; i < 100; i++)
		CHECK(a[i] == (int)i);
	a[99999] = 1;
	free(a);

	/* Strings. */
	s = xstrdup("hello");
	t = xstrndup("hello", 3);
	u = xstrndup("hi", 10);
	v = xasprintf("%s-%d-%zu", "a", -5, (size_t)7);
	CHECK(strcmp(s, "hello") == 0);
	CHECK(strcmp(t, "hel") == 0);
	CHECK(strcmp(u, "hi") == 0);
	CHECK(strcmp(v, "a--5-7") == 0);
	free(s);
	free(t);
	free(u);
	free(v);
	s = xstrndup("", 0);
	CHECK(strcmp(s, "") == 0);
	free(s);

	/* Every failure: one line, status 71, atexit handlers run. */
	CHECK(exited(run(malloc_fails), EXIT_LOCAL));
	CHECK(strcmp(output, oom) == 0);
	CHECK(exited(run(calloc_fails), EXIT_LOCAL));
	CHECK(strcmp(output, oom) == 0);
	CHECK(exited(run(realloc_fails), EXIT_LOCAL));
	CHECK(strcmp(output, oom) == 0);
	CHECK(exited(run(reallocarray_overflows), EXIT_LOCAL));
	CHECK(strcmp(output, oom) == 0);
	CHECK(exited(run(dies), EXIT_LOCAL));
	CHECK(strcmp(output, oom) == 0);

	/* diag: errno's reason after the message; errno left alone. */
	CHECK(exited(run(says_error_errno), 0));
	CHECK(strcmp(output, "test-xalloc: error: /no/such: No such file or "
	    "directory\natexit ran\n") == 0);
	CHECK(exited(run(says_note_errno), 0));
	CHECK(strcmp(output, "test-xalloc: cache /c: Permission denied\n"
	    "atexit ran\n") == 0);
	CHECK(exited(run(says_error_msg), 0));
	CHECK(strcmp(output, "test-xalloc: error: plain 1\ntest-xalloc: note 2\n"
	    "atexit ran\n") == 0);
	CHECK(exited(run(dies_errno), EXIT_UNREACHABLE));
	CHECK(strcmp(output, "test-xalloc: error: qmp.sock: Connection "
	    "refused\natexit ran\n") == 0);
	CHECK(exited(run(says_long), 0));
	len = strlen(output);
	CHECK(strncmp(output, "test-xalloc: error: pppp", 24) == 0);
	CHECK(len > 40 && strcmp(output + len - 40, "ppp: No space left on "
	    "device\natexit ran\n") == 0);
	/* The whole line fills diag's buffer of 4096 with its NUL. */
	CHECK(strchr(output, '\n') == output + 4095);

	return check_result();
}
