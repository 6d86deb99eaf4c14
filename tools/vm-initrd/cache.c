#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lzma.h>

#include "cache.h"
#include "outfile.h"
#include "xalloc.h"

#define ENTRY_PREFIX "initrd-"
#define ENTRY_SUFFIX ".img"

/* A newc trailer entry: header, "TRAILER!!!" and its NUL, padding. */
#define TRAILER_LEN 124

/* A temporary file older than this was left by a run that died. */
#define STALE_TMP_SECONDS 3600

void
cache_key_init(struct cache_key *k)
{
	k->crc = 0;
}

static void
add(struct cache_key *k, const void *data, size_t len)
{
	k->crc = lzma_crc64(data, len, k->crc);
}

void
cache_key_line(struct cache_key *k, const char *fmt, ...)
{
	char *line;
	va_list ap;

	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	add(k, line, strlen(line));
	add(k, "\n", 1);
	free(line);
}

void
cache_key_bytes(struct cache_key *k, const char *label, const void *data,
    size_t len)
{
	cache_key_line(k, "%s %zu %016" PRIx64, label, len,
	    lzma_crc64(data, len, 0));
}

int
cache_key_file(struct cache_key *k, const char *label, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	cache_key_line(k, "%s %s %ju %ju %jd %jd.%09ld %jd.%09ld", label, path,
	    (uintmax_t)st.st_dev, (uintmax_t)st.st_ino,
	    (intmax_t)st.st_size, (intmax_t)st.st_mtim.tv_sec,
	    st.st_mtim.tv_nsec, (intmax_t)st.st_ctim.tv_sec,
	    st.st_ctim.tv_nsec);
	return 0;
}

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
cache_dir(const char *given, char *why, size_t whylen)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	struct passwd *pw;
	char *dir;

	if (given != NULL)
		dir = xstrdup(given);
	/* The XDG specification says to ignore a relative path. */
	else if (xdg != NULL && xdg[0] == '/')
		dir = xasprintf("%s/vmtest-tools/initrd", xdg);
	else {
		if ((home == NULL || home[0] != '/') &&
		    (pw = getpwuid(getuid())) != NULL)
			home = pw->pw_dir;
		if (home == NULL || home[0] != '/') {
			snprintf(why, whylen, "no cache directory: neither "
			    "XDG_CACHE_HOME nor HOME is set; give --cache-dir "
			    "or -o");
			return NULL;
		}
		dir = xasprintf("%s/.cache/vmtest-tools/initrd", home);
	}
	if (make_dirs(dir) < 0) {
		snprintf(why, whylen, "%s: %s", dir, strerror(errno));
		free(dir);
		return NULL;
	}
	return dir;
}

char *
cache_entry(const char *dir, const char *release, const struct cache_key *k)
{
	return xasprintf("%s/" ENTRY_PREFIX "%s-%016" PRIx64 ENTRY_SUFFIX, dir,
	    release, k->crc);
}

bool
cache_hit(const char *entry)
{
	char tail[TRAILER_LEN];
	struct stat st;
	bool whole;
	int fd;

	if ((fd = open(entry, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	/* Renamed into place complete, but check: the cost is one read. */
	whole = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size >= TRAILER_LEN && st.st_size % 4 == 0 &&
	    pread(fd, tail, sizeof(tail), st.st_size - TRAILER_LEN) ==
	    TRAILER_LEN && memcmp(tail, "070701", 6) == 0 &&
	    memcmp(tail + 110, "TRAILER!!!", 11) == 0;
	/* Marks it used; in a read-only cache it merely ages. */
	if (whole)
		futimens(fd, NULL);
	close(fd);
	return whole;
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
cache_prune(const char *dir)
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
		if (has_affixes(de->d_name, OUTFILE_TMP_PREFIX, "")) {
			if (st.st_mtime < now - STALE_TMP_SECONDS)
				unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		if (!has_affixes(de->d_name, ENTRY_PREFIX, ENTRY_SUFFIX))
			continue;
		entries = xreallocarray(entries, n + 1, sizeof(*entries));
		entries[n].name = xstrdup(de->d_name);
		entries[n++].mtime = st.st_mtime;
	}
	if (n > 0)
		qsort(entries, n, sizeof(*entries), newest_first);
	for (i = 0; i < n; i++) {
		if (i >= CACHE_KEEP ||
		    entries[i].mtime < now - CACHE_MAX_AGE_DAYS * 86400L)
			unlinkat(dirfd(d), entries[i].name, 0);
		free(entries[i].name);
	}
	free(entries);
	closedir(d);
}
