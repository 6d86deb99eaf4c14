/*
 * snapfile: an entry written by begin/commit opens and checks; a changed,
 * truncated or foreign one does not; eviction keeps the most recently
 * used entries within the cap and removes what dead runs left.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../tools/qemu-launch/snapfile.h"
#include "check.h"

static char dir[] = "/tmp/vt-snapfile.XXXXXX";

static char *
path_of(const char *name)
{
	static char buf[4][256];
	static int next;

	next = (next + 1) % 4;
	snprintf(buf[next], sizeof(buf[next]), "%s/%s", dir, name);
	return buf[next];
}

/* An entry KEY.snap with n bytes of stream, used at time `used`. */
static void
make_entry(const char *key, size_t n, time_t used)
{
	char why[256], *tmp, name[64];
	struct timespec times[2] = { { used, 0 }, { used, 0 } };
	FILE *f;
	size_t i;

	tmp = snapfile_begin(dir, key, why, sizeof(why));
	CHECK(tmp != NULL);
	if (tmp == NULL)
		return;
	f = fopen(tmp, "a");
	for (i = 0; i < n; i++)
		fputc((int)(i * 7 + key[0]), f);
	fclose(f);
	snprintf(name, sizeof(name), "%s%s", key, SNAPFILE_SUFFIX);
	CHECK(snapfile_commit(tmp, path_of(name), why, sizeof(why)) == 0);
	CHECK(access(tmp, F_OK) < 0);
	utimensat(AT_FDCWD, path_of(name), times, 0);
	free(tmp);
}

static enum snapfile_status
open_entry(const char *name, char *why, size_t size)
{
	enum snapfile_status st;
	char head[8];
	int fd;

	st = snapfile_open(path_of(name), &fd, why, size);
	if (st == SNAPFILE_OK) {
		/* At the stream: what QEMU reads first. */
		CHECK(lseek(fd, 0, SEEK_CUR) == SNAPFILE_HEADER);
		CHECK(read(fd, head, 1) == 1);
		close(fd);
	} else
		CHECK(fd == -1);
	return st;
}

static void
round_trip(void)
{
	char why[256] = "";
	struct stat st;
	int fd;

	make_entry("aaaa", 1000, 1000);
	CHECK(open_entry("aaaa.snap", why, sizeof(why)) == SNAPFILE_OK);
	/* Opening marks it used now. */
	CHECK(stat(path_of("aaaa.snap"), &st) == 0 && st.st_mtime > 1000);
	CHECK(open_entry("none.snap", why, sizeof(why)) == SNAPFILE_NONE);

	/* One byte changed in the stream: corrupt. */
	fd = open(path_of("aaaa.snap"), O_RDWR);
	CHECK(pwrite(fd, "!", 1, SNAPFILE_HEADER + 500) == 1);
	close(fd);
	CHECK(open_entry("aaaa.snap", why, sizeof(why)) == SNAPFILE_BAD);
	CHECK(strstr(why, "checksum") != NULL);

	/* Truncated. */
	make_entry("bbbb", 1000, 1000);
	CHECK(truncate(path_of("bbbb.snap"), SNAPFILE_HEADER + 999) == 0);
	CHECK(open_entry("bbbb.snap", why, sizeof(why)) == SNAPFILE_BAD);
	CHECK(strstr(why, "truncated") != NULL);

	/* Not ours at all. */
	fd = open(path_of("cccc.snap"), O_WRONLY | O_CREAT, 0600);
	CHECK(write(fd, "QEVM\0\0\0\3", 8) == 8);
	close(fd);
	CHECK(open_entry("cccc.snap", why, sizeof(why)) == SNAPFILE_BAD);
	CHECK(open_entry("short.snap", why, sizeof(why)) == SNAPFILE_NONE);
	unlink(path_of("aaaa.snap"));
	unlink(path_of("bbbb.snap"));
	unlink(path_of("cccc.snap"));

	/* An empty stream is no snapshot. */
	{
		char *tmp = snapfile_begin(dir, "dddd", why, sizeof(why));

		CHECK(snapfile_commit(tmp, path_of("dddd.snap"), why,
		    sizeof(why)) < 0);
		CHECK(access(tmp, F_OK) < 0 && access(path_of("dddd.snap"),
		    F_OK) < 0);
		free(tmp);
	}
}

static void
eviction(void)
{
	struct snapfile_entry *e;
	int fd, held;
	size_t n;

	/* Three entries of 1000 + 32 bytes, oldest first. */
	make_entry("k1", 1000, 1000);
	make_entry("k2", 1000, 2000);
	make_entry("k3", 1000, 3000);
	n = snapfile_entries(dir, &e);
	CHECK(n == 3 && strcmp(e[0].name, "k3.snap") == 0 &&
	    strcmp(e[2].name, "k1.snap") == 0);
	snapfile_entries_free(e, n);

	/* A dead run's temporary file (pid 1 is alive: use a huge one). */
	fd = open(path_of(".tmp-snap-k9-999999999"), O_WRONLY | O_CREAT,
	    0600);
	close(fd);
	/* A live one's: ours. */
	{
		char live[64];

		snprintf(live, sizeof(live), ".tmp-snap-k8-%ld",
		    (long)getpid());
		fd = open(path_of(live), O_WRONLY | O_CREAT, 0600);
		close(fd);
		/* A lock without its entry, and one a save holds. */
		fd = open(path_of("gone.lock"), O_WRONLY | O_CREAT, 0600);
		close(fd);
		held = open(path_of("k7.lock"), O_RDWR | O_CREAT, 0600);
		CHECK(flock(held, LOCK_EX) == 0);

		CHECK(snapfile_evict(dir, 2100) == 0);
		CHECK(access(path_of("k1.snap"), F_OK) < 0);
		CHECK(access(path_of("k2.snap"), F_OK) == 0);
		CHECK(access(path_of("k3.snap"), F_OK) == 0);
		CHECK(access(path_of(".tmp-snap-k9-999999999"), F_OK) < 0);
		CHECK(access(path_of(live), F_OK) == 0);
		CHECK(access(path_of("gone.lock"), F_OK) < 0);
		CHECK(access(path_of("k7.lock"), F_OK) == 0);

		/* Clearing: every entry, but not what a live save holds. */
		CHECK(snapfile_evict(dir, 0) == 0);
		n = snapfile_entries(dir, &e);
		CHECK(n == 0);
		snapfile_entries_free(e, n);
		CHECK(access(path_of("k7.lock"), F_OK) == 0);
		close(held);
		CHECK(snapfile_evict(dir, 0) == 0);
		CHECK(access(path_of("k7.lock"), F_OK) < 0);
		unlink(path_of(live));
	}
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 2;
	round_trip();
	eviction();
	rmdir(dir);
	return check_result();
}
