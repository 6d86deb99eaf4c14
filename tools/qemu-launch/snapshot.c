/*
 * snapshot: the key of a setup, and the entries of the cache (finding,
 * checking, evicting, listing, clearing).  The QMP side, saving and
 * resuming, is in snapqmp.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <lzma.h>

#include "cachedir.h"
#include "diag.h"
#include "jsonl.h"
#include "parse.h"
#include "snapfile.h"
#include "snapshot.h"
#include "xalloc.h"

static void
key_line(uint64_t *crc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
key_line(uint64_t *crc, const char *fmt, ...)
{
	char *line;
	va_list ap;

	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	*crc = lzma_crc64((const uint8_t *)line, strlen(line) + 1, *crc);
	free(line);
}

/* "LABEL SIZE CRC" of a file's content: -1 with errno if unreadable. */
static int
key_content(uint64_t *crc, const char *label, const char *path)
{
	struct stat st;
	void *m;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = errno == 0 ? EINVAL : errno;
		return -1;
	}
	m = st.st_size == 0 ? NULL : mmap(NULL, st.st_size, PROT_READ,
	    MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -1;
	key_line(crc, "%s %jd %016" PRIx64, label, (intmax_t)st.st_size,
	    m == NULL ? 0 : lzma_crc64(m, st.st_size, 0));
	if (m != NULL)
		munmap(m, st.st_size);
	return 0;
}

/*
 * The QEMU binary by identity, not content (tens of MB): a package
 * upgrade replaces the file, and so changes its inode and times.
 */
static int
key_program(uint64_t *crc, const char *name)
{
	char path[PATH_MAX], *dirs, *dir, *save = NULL;
	const char *env = getenv("PATH");
	struct stat st;
	int found = -1;

	if (strchr(name, '/') != NULL) {
		if (realpath(name, path) != NULL && stat(path, &st) == 0)
			found = 0;
	} else {
		dirs = xstrdup(env != NULL ? env : "/usr/bin:/bin");
		for (dir = strtok_r(dirs, ":", &save); dir != NULL &&
		    found < 0; dir = strtok_r(NULL, ":", &save)) {
			snprintf(path, sizeof(path), "%s/%s", *dir ? dir : ".",
			    name);
			if (access(path, X_OK) == 0 && stat(path, &st) == 0 &&
			    S_ISREG(st.st_mode))
				found = 0;
		}
		free(dirs);
	}
	if (found < 0)
		return -1;
	key_line(crc, "qemu %s %ju %ju %jd %jd.%09ld %jd.%09ld", path,
	    (uintmax_t)st.st_dev, (uintmax_t)st.st_ino, (intmax_t)st.st_size,
	    (intmax_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
	    (intmax_t)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
	return 0;
}

/*
 * Under KVM the guest sees the host's CPU (-cpu host) and the host
 * kernel's KVM: a state saved on one machine is keyed apart from
 * another's.  The model and flag lines of the first CPU say which.
 */
static void
key_host_cpu(uint64_t *crc)
{
	char line[8192];
	struct utsname u;
	FILE *f;

	if ((f = fopen("/proc/cpuinfo", "re")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			if (strncmp(line, "model name", 10) == 0 ||
			    strncmp(line, "flags", 5) == 0 ||
			    strncmp(line, "microcode", 9) == 0)
				key_line(crc, "cpu %s", line);
			if (line[0] == '\n')
				break;
		}
		fclose(f);
	}
	if (uname(&u) == 0)
		key_line(crc, "host %s %s", u.release, u.machine);
}

static int
compute_key(struct snapshot *s, const struct target *t,
    const struct plan *p)
{
	struct plan kp = *p;
	struct strv argv;
	uint64_t crc = 0;
	size_t i;

	key_line(&crc, "vmtest-tools snapshot %d", SNAPFILE_VERSION);
	kp.key_mode = true;
	argv_build(t, &kp, &argv);
	for (i = 0; i < argv.n; i++)
		key_line(&crc, "argv %s", argv.v[i]);
	strv_free(&argv);
	if (key_program(&crc, t->qemu) < 0)
		return -1;
	/* kernel_prepare() hashed the kernel: the booted file follows. */
	if (t->kernel_key != NULL)
		key_line(&crc, "kernel %s %s", t->kernel_key, t->kernel_form);
	else if (key_content(&crc, "kernel", t->kernel) < 0)
		return -1;
	if (p->initrd != NULL && key_content(&crc, "initrd", p->initrd) < 0)
		return -1;
	if (p->accel == ACCEL_KVM)
		key_host_cpu(&crc);
	snprintf(s->key, sizeof(s->key), "%016" PRIx64, crc);
	return 0;
}

static char *
open_dir(void)
{
	char why[512], *dir;

	if ((dir = cachedir(NULL, SNAPSHOT_SUBDIR, why, sizeof(why))) == NULL)
		note("snapshot boots are off: %s", why);
	return dir;
}

bool
snapshot_find(struct snapshot *s, const struct target *t, struct plan *p)
{
	char why[256];

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if ((s->dir = open_dir()) == NULL)
		return false;
	if (compute_key(s, t, p) < 0) {
		note("snapshot boots are off: %s", strerror(errno));
		free(s->dir);
		s->dir = NULL;
		return false;
	}
	s->path = xasprintf("%s/%s%s", s->dir, s->key, SNAPFILE_SUFFIX);
	switch (snapfile_open(s->path, &s->fd, why, sizeof(why))) {
	case SNAPFILE_OK:
		p->incoming_fd = s->fd;
		break;
	case SNAPFILE_BAD:
		note("snapshot %s: %s; booting cold", s->path, why);
		unlink(s->path);
		break;
	case SNAPFILE_NONE:
		break;
	}
	return true;
}

void
snapshot_reject(struct snapshot *s, const char *why)
{
	note("snapshot %s: QEMU could not restore it (%s); booting cold",
	    s->path, *why != '\0' ? why : "it exited");
	unlink(s->path);
	snapshot_release(s);
}

void
snapshot_release(struct snapshot *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

void
snapshot_free(struct snapshot *s)
{
	snapshot_release(s);
	free(s->dir);
	free(s->path);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

static void
put_entry(FILE *out, const char *dir, const char *name, const struct stat *st)
{
	json_t *o;
	char *path = xasprintf("%s/%s", dir, name);

	o = json_pack("{s:s%, s:s, s:I, s:I}", "key", name,
	    strlen(name) - strlen(SNAPFILE_SUFFIX), "path", path, "bytes",
	    (json_int_t)st->st_size, "used", (json_int_t)st->st_mtim.tv_sec);
	free(path);
	if (o == NULL)
		xalloc_die();
	if (jsonl_write(out, o, false) < 0)
		die_errno(EXIT_LOCAL, "stdout");
	json_decref(o);
}

int
snapshot_list(void)
{
	struct snapfile_entry *e;
	size_t n, i;
	char *dir;

	if ((dir = open_dir()) == NULL)
		return EXIT_LOCAL;
	n = snapfile_entries(dir, &e);
	for (i = 0; i < n; i++)
		put_entry(stdout, dir, e[i].name, &e[i].st);
	snapfile_entries_free(e, n);
	free(dir);
	if (fflush(stdout) != 0)
		die_errno(EXIT_LOCAL, "stdout");
	return EXIT_OK;
}

int
snapshot_clear(void)
{
	int rc;
	char *dir;

	if ((dir = open_dir()) == NULL)
		return EXIT_LOCAL;
	rc = snapfile_evict(dir, 0) < 0 ? EXIT_LOCAL : EXIT_OK;
	free(dir);
	return rc;
}

/* The cap: VMTEST_SNAPSHOT_CACHE_MAX (a size, "2G"), or the default. */
uint64_t
snapshot_cache_max(void)
{
	const char *v = getenv("VMTEST_SNAPSHOT_CACHE_MAX");
	uint64_t n;

	if (v == NULL || *v == '\0')
		return SNAPSHOT_CACHE_MAX;
	if (parse_size(v, &n) < 0) {
		note("VMTEST_SNAPSHOT_CACHE_MAX=%s: not a size; using 2G", v);
		return SNAPSHOT_CACHE_MAX;
	}
	return n;
}
