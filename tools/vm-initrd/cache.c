#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lzma.h>

#include "cache.h"
#include "cachedir.h"
#include "xalloc.h"

#define ENTRY_PREFIX "initrd-"
#define ENTRY_SUFFIX ".img"

/* A newc trailer entry: header, "TRAILER!!!" and its NUL, padding. */
#define TRAILER_LEN 124

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

char *
cache_dir(const char *given, char *why, size_t whylen)
{
	char *dir;
	size_t n;

	dir = cachedir(given, "initrd", why, whylen);
	if (dir == NULL && given == NULL && strncmp(why, "no cache", 8) == 0) {
		n = strlen(why);
		snprintf(why + n, whylen - n, "; give --cache-dir or -o");
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

void
cache_prune(const char *dir)
{
	cachedir_prune(dir, ENTRY_PREFIX, ENTRY_SUFFIX, CACHE_KEEP,
	    CACHE_MAX_AGE_DAYS);
}
