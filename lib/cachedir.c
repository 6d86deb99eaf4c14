#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

void
cachedir_prune(const char *dir, const char *prefix, const char *suffix,
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
		    0 || !S_ISREG(st.st_mode))
			continue;
		if (has_affixes(de->d_name, TMP_PREFIX, "")) {
			if (st.st_mtime < now - CACHEDIR_STALE_TMP_SECONDS)
				unlinkat(dirfd(d), de->d_name, 0);
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
			unlinkat(dirfd(d), entries[i].name, 0);
		free(entries[i].name);
	}
	free(entries);
	closedir(d);
}
