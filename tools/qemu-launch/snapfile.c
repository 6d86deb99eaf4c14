#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>

#include <lzma.h>

#include "le.h"
#include "snapfile.h"
#include "xalloc.h"

static const unsigned char magic[8] = "VTSNAP\r\n";

enum snapfile_status
snapfile_check(const unsigned char *data, size_t len, char *why,
    size_t whylen)
{
	uint64_t length;

	if (len < SNAPFILE_HEADER || memcmp(data, magic, sizeof(magic)) != 0) {
		snprintf(why, whylen, "not a snapshot (no header)");
		return SNAPFILE_BAD;
	}
	if (le64(data + 8) != SNAPFILE_VERSION) {
		snprintf(why, whylen, "format %llu, not %d", (unsigned long long)
		    le64(data + 8), SNAPFILE_VERSION);
		return SNAPFILE_BAD;
	}
	length = le64(data + 16);
	if (length != len - SNAPFILE_HEADER) {
		snprintf(why, whylen, "%zu bytes where the header says %llu: "
		    "truncated or grown", len - SNAPFILE_HEADER,
		    (unsigned long long)length);
		return SNAPFILE_BAD;
	}
	if (lzma_crc64(data + SNAPFILE_HEADER, length, 0) != le64(data + 24)) {
		snprintf(why, whylen, "checksum mismatch: corrupt");
		return SNAPFILE_BAD;
	}
	return SNAPFILE_OK;
}

enum snapfile_status
snapfile_open(const char *path, int *fdp, char *why, size_t whylen)
{
	enum snapfile_status st;
	struct stat sb;
	void *m;
	int fd;

	*fdp = -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return errno == ENOENT ? SNAPFILE_NONE : SNAPFILE_BAD;
	}
	if (fstat(fd, &sb) < 0 || sb.st_size < SNAPFILE_HEADER) {
		snprintf(why, whylen, "not a snapshot (no header)");
		close(fd);
		return SNAPFILE_BAD;
	}
	m = mmap(NULL, sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED) {
		snprintf(why, whylen, "%s", strerror(errno));
		close(fd);
		return SNAPFILE_BAD;
	}
	st = snapfile_check(m, sb.st_size, why, whylen);
	munmap(m, sb.st_size);
	if (st != SNAPFILE_OK ||
	    lseek(fd, SNAPFILE_HEADER, SEEK_SET) != SNAPFILE_HEADER) {
		close(fd);
		return SNAPFILE_BAD;
	}
	/* Used now: the last to be evicted. */
	futimens(fd, NULL);
	*fdp = fd;
	return SNAPFILE_OK;
}

char *
snapfile_begin(const char *dir, const char *key, char *why, size_t whylen)
{
	unsigned char header[SNAPFILE_HEADER] = { 0 };
	char *tmp;
	int fd;

	tmp = xasprintf("%s/%s%s-%ld", dir, SNAPFILE_TMP_PREFIX, key,
	    (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, header, sizeof(header)) != sizeof(header)) {
		snprintf(why, whylen, "%s: %s", tmp, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		return NULL;
	}
	close(fd);
	return tmp;
}

int
snapfile_commit(const char *tmp, const char *path, char *why, size_t whylen)
{
	unsigned char header[SNAPFILE_HEADER] = { 0 };
	struct stat sb;
	uint64_t length;
	void *m;
	int fd;

	if ((fd = open(tmp, O_RDWR | O_CLOEXEC)) < 0 || fstat(fd, &sb) < 0 ||
	    sb.st_size <= SNAPFILE_HEADER) {
		snprintf(why, whylen, "%s: %s", tmp, fd < 0 || errno != 0 ?
		    strerror(errno) : "QEMU wrote nothing");
		goto fail;
	}
	length = sb.st_size - SNAPFILE_HEADER;
	m = mmap(NULL, sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		snprintf(why, whylen, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	memcpy(header, magic, sizeof(magic));
	put_le64(header + 8, SNAPFILE_VERSION);
	put_le64(header + 16, length);
	put_le64(header + 24, lzma_crc64((unsigned char *)m + SNAPFILE_HEADER,
	    length, 0));
	munmap(m, sb.st_size);
	if (pwrite(fd, header, sizeof(header), 0) != sizeof(header) ||
	    fchmod(fd, 0644) < 0 || rename(tmp, path) < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	close(fd);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a > b && strcmp(s + a - b, suffix) == 0;
}

static int
by_recency(const void *a, const void *b)
{
	const struct snapfile_entry *x = a, *y = b;

	if (x->st.st_mtim.tv_sec != y->st.st_mtim.tv_sec)
		return x->st.st_mtim.tv_sec > y->st.st_mtim.tv_sec ? -1 : 1;
	if (x->st.st_mtim.tv_nsec != y->st.st_mtim.tv_nsec)
		return x->st.st_mtim.tv_nsec > y->st.st_mtim.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

size_t
snapfile_entries(const char *dir, struct snapfile_entry **entries)
{
	struct snapfile_entry *e = NULL;
	struct dirent *d;
	size_t n = 0;
	DIR *dp;

	*entries = NULL;
	if ((dp = opendir(dir)) == NULL)
		return 0;
	while ((d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.' || !has_suffix(d->d_name,
		    SNAPFILE_SUFFIX))
			continue;
		e = xreallocarray(e, n + 1, sizeof(*e));
		if (fstatat(dirfd(dp), d->d_name, &e[n].st,
		    AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(e[n].st.st_mode))
			continue;
		e[n++].name = xstrdup(d->d_name);
	}
	closedir(dp);
	if (n > 0)
		qsort(e, n, sizeof(*e), by_recency);
	*entries = e;
	return n;
}

void
snapfile_entries_free(struct snapfile_entry *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(e[i].name);
	free(e);
}

/* A temporary file whose writer (its name's last number) is gone. */
static bool
orphan_temp(const char *name)
{
	const char *dash = strrchr(name, '-');
	long pid;

	if (strncmp(name, SNAPFILE_TMP_PREFIX, strlen(SNAPFILE_TMP_PREFIX))
	    != 0 || dash == NULL)
		return false;
	pid = strtol(dash + 1, NULL, 10);
	return pid <= 0 || (kill(pid, 0) < 0 && errno == ESRCH);
}

/*
 * A lock no save holds (a save takes it without waiting) whose entry is
 * gone, or any idle one if all is going.
 */
static bool
idle_lock(int dfd, const char *name, bool all)
{
	char entry[NAME_MAX + 1];
	size_t len = strlen(name);
	bool idle;
	int fd;

	if (!has_suffix(name, SNAPFILE_LOCK_SUFFIX))
		return false;
	len -= strlen(SNAPFILE_LOCK_SUFFIX);
	snprintf(entry, sizeof(entry), "%.*s%s", (int)len, name,
	    SNAPFILE_SUFFIX);
	if (!all && faccessat(dfd, entry, F_OK, 0) == 0)
		return false;
	if ((fd = openat(dfd, name, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	idle = flock(fd, LOCK_EX | LOCK_NB) == 0;
	close(fd);
	return idle;
}

int
snapfile_evict(const char *dir, uint64_t cap)
{
	struct snapfile_entry *e;
	struct dirent *d;
	uint64_t total = 0;
	size_t n, i;
	int rc = 0;
	DIR *dp;

	if ((dp = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : -1;
	n = snapfile_entries(dir, &e);
	for (i = 0; i < n; i++) {
		total += e[i].st.st_size;
		if ((cap == 0 || total > cap) && unlinkat(dirfd(dp),
		    e[i].name, 0) < 0 && errno != ENOENT)
			rc = -1;
	}
	snapfile_entries_free(e, n);
	while ((d = readdir(dp)) != NULL)
		if ((orphan_temp(d->d_name) || idle_lock(dirfd(dp), d->d_name,
		    cap == 0) || (cap == 0 && has_suffix(d->d_name,
		    SNAPFILE_NOSAVE_SUFFIX))) && unlinkat(dirfd(dp), d->d_name,
		    0) < 0 && errno != ENOENT)
			rc = -1;
	closedir(dp);
	return rc;
}
