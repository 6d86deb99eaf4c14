/*
 * cwd: the path goes to vm-init as a mount like any other, so it may
 * hold any byte a path can.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cwd.h"
#include "xalloc.h"

/* The guest mounts its own file systems here (vm-init). */
static const char *const guest_own[] = { "/tmp", "/run", "/mnt", "/dev/shm" };

static bool
under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '/' ||
	    path[n] == '\0' || strcmp(dir, "/") == 0);
}

/* The kernel's own reading of its command line: the last ro or rw wins. */
static bool
read_only(const char *args)
{
	const char *w = args;
	bool ro = false;
	size_t n;

	while (w != NULL && *w != '\0') {
		w += strspn(w, " \t\n");
		n = strcspn(w, " \t\n");
		if (n == 2 && strncmp(w, "ro", 2) == 0)
			ro = true;
		else if (n == 2 && strncmp(w, "rw", 2) == 0)
			ro = false;
		w += n;
	}
	return ro;
}

void
cwd_share(struct target *t)
{
	char cwd[PATH_MAX];
	struct mount m;
	size_t i, at;

	if (!t->is_kernel || strcmp(t->rootfs, "/") != 0 ||
	    getcwd(cwd, sizeof(cwd)) == NULL)
		return;
	for (i = 0; i < sizeof(guest_own) / sizeof(guest_own[0]); i++)
		if (under(cwd, guest_own[i]))
			break;
	if (i == sizeof(guest_own) / sizeof(guest_own[0]))
		return;
	for (i = 0; i < t->nmount; i++)
		if (under(cwd, t->mount[i].guest))
			return;		/* a mount of the target shows it */
	memset(&m, 0, sizeof(m));
	m.host = xstrdup(cwd);
	m.guest = xstrdup(cwd);
	m.writable = !read_only(t->set[KEY_KERNEL_ARGS].value);
	m.at.flag = "--share-cwd";
	/* Mounts stay sorted by guest path: a parent before its children. */
	for (at = 0; at < t->nmount && strcmp(t->mount[at].guest, cwd) < 0;
	    at++)
		;
	t->mount = xreallocarray(t->mount, t->nmount + 1, sizeof(*t->mount));
	memmove(&t->mount[at + 1], &t->mount[at],
	    (t->nmount - at) * sizeof(*t->mount));
	t->mount[at] = m;
	t->nmount++;
}
