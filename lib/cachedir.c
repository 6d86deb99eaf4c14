#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cachedir.h"
#include "xalloc.h"

/*
 * What outfile.h's temporary files begin with, in every version: they
 * were ".tmp-vm-initrd-" before outfile moved to lib/.
 */
#define TMP_PREFIX ".tmp-"

/* mkdir -p, new directories private. */
static int
make_dirs(char *path)
{
	struct stat st;
	char *p;

	if (path[0] == '\0') {
		errno = ENOENT;
		return -1;
	}
	for (p = path + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		if (p[-1] != '/') {
			char c = *p;

			*p = '\0';
			if (mkdir(path, 0700) < 0 && errno != EEXIST) {
				*p = c;
				return -1;
			}
			*p = c;
		}
		if (*p == '\0')
			break;
	}
	if (stat(path, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

char *
cachedir(const char *given, const char *sub, char *why, size_t whylen)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	struct passwd *pw;
	char *dir;

	if (given != NULL)
		dir = xstrdup(given);
	/* The XDG specification says to ignore a relative path. */
	else if (xdg != NULL && xdg[0] == '/')
		dir = xasprintf("%s/vmtest-tools/%s", xdg, sub);
	else {
		if ((home == NULL || home[0] != '/') &&
		    (pw = getpwuid(getuid())) != NULL)
			home = pw->pw_dir;
		if (home == NULL || home[0] != '/') {
			snprintf(why, whylen, "no cache directory: neither "
			    "XDG_CACHE_HOME nor HOME is set");
			return NULL;
		}
		dir = xasprintf("%s/.cache/vmtest-tools/%s", home, sub);
	}
	if (make_dirs(dir) < 0) {
		snprintf(why, whylen, "%s: %s", dir, strerror(errno));
		free(dir);
		return NULL;
	}
	return dir;
}

struct aged {
	char *name;
	time_t mtime;
};

static int
newest_first(const void *a, const void *b)
{
	const struct aged *x = a, *y = b;

	return x->mtime < y->mtime ? 1 : x->mtime > y->mtime ? -1 :
	    strcmp(x->name, y->name);
}

static bool
has_affixes(const char *name, const char *prefix, const char *suffix)
{
	size_t n = strlen(name), p = strlen(prefix), s = strlen(suffix);

	return n >= p + s && strncmp(name, prefix, p) == 0 &&
	    strcmp(name + n - s, suffix) == 0;
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	remove(path);
	return 0;
}

void
cachedir_remove(const char *path)
{
	nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Removes name in d: a file, or a directory with what it holds. */
static void
remove_entry(DIR *d, const char *dir, const char *name, bool is_dir)
{
	char *path;

	if (!is_dir) {
		unlinkat(dirfd(d), name, 0);
		return;
	}
	path = xasprintf("%s/%s", dir, name);
	cachedir_remove(path);
	free(path);
}

static void
prune(const char *dir, const char *prefix, const char *suffix, bool dirs,
    size_t keep, int max_age_days)
{
	time_t now = time(NULL);
	struct aged *entries = NULL;
	size_t n = 0, i;
	struct dirent *de;
	struct stat st;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) <
		    0 || (dirs ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) ||
		    strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (has_affixes(de->d_name, TMP_PREFIX, "")) {
			if (st.st_mtime < now - CACHEDIR_STALE_TMP_SECONDS)
				remove_entry(d, dir, de->d_name, dirs);
			continue;
		}
		if (!has_affixes(de->d_name, prefix, suffix))
			continue;
		entries = xreallocarray(entries, n + 1, sizeof(*entries));
		entries[n].name = xstrdup(de->d_name);
		entries[n++].mtime = st.st_mtime;
	}
	if (n > 0)
		qsort(entries, n, sizeof(*entries), newest_first);
	for (i = 0; i < n; i++) {
		if (i >= keep || (max_age_days > 0 &&
		    entries[i].mtime < now - max_age_days * 86400L))
			remove_entry(d, dir, entries[i].name, dirs);
		free(entries[i].name);
	}
	free(entries);
	closedir(d);
}

void
cachedir_prune(const char *dir, const char *prefix, const char *suffix,
    size_t keep, int max_age_days)
{
	prune(dir, prefix, suffix, false, keep, max_age_days);
}

void
cachedir_prune_dirs(const char *dir, const char *prefix, size_t keep,
    int max_age_days)
{
	prune(dir, prefix, "", true, keep, max_age_days);
}
