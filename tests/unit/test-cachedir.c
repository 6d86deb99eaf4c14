#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../lib/cachedir.h"
#include "check.h"

static char base[200];

/* Makes base/name with an mtime age seconds ago. */
static void
make_file(const char *name, time_t age)
{
	char path[256];
	struct timespec t[2];
	int fd;

	snprintf(path, sizeof(path), "%s/c/%s", base, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
		perror(path);
		exit(1);
	}
	t[0].tv_sec = t[1].tv_sec = time(NULL) - age;
	t[0].tv_nsec = t[1].tv_nsec = 0;
	futimens(fd, t);
	close(fd);
}

static int
exists(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/c/%s", base, name);
	return access(path, F_OK) == 0;
}

static void
test_where(void)
{
	char why[256], want[256], *dir;
	struct stat st;

	/* XDG_CACHE_HOME first, made with its parents, private. */
	snprintf(want, sizeof(want), "%s/xdg", base);
	setenv("XDG_CACHE_HOME", want, 1);
	dir = cachedir(NULL, "kernels", why, sizeof(why));
	snprintf(want, sizeof(want), "%s/xdg/vmtest-tools/kernels", base);
	CHECK(dir != NULL && strcmp(dir, want) == 0);
	CHECK(stat(want, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_mode & 0777) == 0700);
	snprintf(want, sizeof(want), "%s/xdg/vmtest-tools", base);
	CHECK(stat(want, &st) == 0 && (st.st_mode & 0777) == 0700);
	free(dir);

	/* A relative XDG_CACHE_HOME is ignored, as the specification says. */
	setenv("XDG_CACHE_HOME", "relative", 1);
	snprintf(want, sizeof(want), "%s/home", base);
	setenv("HOME", want, 1);
	dir = cachedir(NULL, "initrd", why, sizeof(why));
	snprintf(want, sizeof(want), "%s/home/.cache/vmtest-tools/initrd",
	    base);
	CHECK(dir != NULL && strcmp(dir, want) == 0);
	free(dir);

	/* Given: as it is, made too. */
	snprintf(want, sizeof(want), "%s/given/x", base);
	dir = cachedir(want, "kernels", why, sizeof(why));
	CHECK(dir != NULL && strcmp(dir, want) == 0 && access(want, F_OK) ==
	    0);
	free(dir);

	/* A file in the way: NULL, and the reason names the path. */
	snprintf(want, sizeof(want), "%s/c/file", base);
	make_file("file", 0);
	snprintf(want, sizeof(want), "%s/c/file/sub", base);
	dir = cachedir(want, "kernels", why, sizeof(why));
	CHECK(dir == NULL && strstr(why, want) != NULL &&
	    strstr(why, strerror(ENOTDIR)) != NULL);
}

static void
test_prune(void)
{
	char dir[256];

	snprintf(dir, sizeof(dir), "%s/c", base);
	make_file("e-new", 10);
	make_file("e-mid", 100);
	make_file("e-old", 1000);
	make_file("e-ancient", 40L * 86400);
	make_file("other", 50L * 86400);
	make_file(".tmp-vmtest-fresh", 60);
	make_file(".tmp-vm-initrd-stale", 2 * CACHEDIR_STALE_TMP_SECONDS);
	make_file(".tmp-vmtest-stale", 2 * CACHEDIR_STALE_TMP_SECONDS);

	/* The 3 most recent would stay, but not one unused for 30 days. */
	cachedir_prune(dir, "e-", "", 3, 30);
	CHECK(exists("e-new") && exists("e-mid") && exists("e-old"));
	CHECK(!exists("e-ancient"));
	/* Not an entry: never touched. */
	CHECK(exists("other") && exists("file"));
	/* Temporary files: a live run's stays, a dead run's goes. */
	CHECK(exists(".tmp-vmtest-fresh"));
	CHECK(!exists(".tmp-vm-initrd-stale") && !exists(".tmp-vmtest-stale"));

	/* The least recently used go first. */
	cachedir_prune(dir, "e-", "", 1, 0);
	CHECK(exists("e-new") && !exists("e-mid") && !exists("e-old"));
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	char cmd[300];

	snprintf(base, sizeof(base), "%s/test-cachedir.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(base) == NULL) {
		perror(base);
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "%s/c", base);
	mkdir(cmd, 0700);
	test_where();
	test_prune();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	if (system(cmd) != 0)
		check_failures++;
	return check_result();
}
