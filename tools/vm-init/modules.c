#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "modules.h"

/* init_module(2) from a buffer: for kernels without finit_module (< 3.8). */
static int
load_from_memory(int fd)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	ssize_t n;
	int r, saved;

	if (fstat(fd, &st) < 0)
		return -1;
	buf = malloc(st.st_size > 0 ? st.st_size : 1);
	if (buf == NULL)
		return -1;
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	r = syscall(SYS_init_module, buf, got, "");
	saved = errno;
	free(buf);
	errno = saved;
	return r;
}

static int
load_one(const char *path)
{
	char full[4096];
	int64_t t0;
	int fd, r;

	t0 = log_now_ms();
	snprintf(full, sizeof(full), "%s%s", *path == '/' ? "" : "/", path);
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_error_errno("module %s", full);
		return -1;
	}
	/* From the file itself: no copy, and the kernel knows its origin. */
	r = syscall(SYS_finit_module, fd, "", 0);
	if (r < 0 && errno == ENOSYS) {
		if (lseek(fd, 0, SEEK_SET) == 0)
			r = load_from_memory(fd);
	}
	close(fd);
	if (r < 0 && errno != EEXIST) {
		log_error_errno("module %s", full);
		return -1;
	}
	if (log_debug_on())
		log_debug("module %s: %s, %lld ms", full,
		    r < 0 ? "already loaded" : "loaded",
		    (long long)(log_now_ms() - t0));
	return 0;
}

/* Whether path is virtio_net's, or a module only it needs. */
static bool
net_only(const char *path)
{
	static const char *const names[] = {
		"virtio_net.ko", "net_failover.ko", "failover.ko",
	};
	const char *base = strrchr(path, '/');
	size_t i;

	base = base != NULL ? base + 1 : path;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(base, names[i]) == 0)
			return true;
	return false;
}

int
modules_load(const char *list, bool net)
{
	FILE *f;
	char line[4096], *s, *e;
	int failed = 0, loaded = 0;

	f = fopen(list, "re");
	if (f == NULL) {
		if (errno != ENOENT) {
			log_error_errno("%s", list);
			return 1;
		}
		log_debug("%s: none (a kernel with 9p and virtio built in)",
		    list);
		return 0;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		e = s + strlen(s);
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' ||
		    e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (*s == '\0' || *s == '#' || (!net && net_only(s)))
			continue;
		if (load_one(s) < 0)
			failed++;
		else
			loaded++;
	}
	fclose(f);
	log_debug("%d modules loaded, %d failed", loaded, failed);
	return failed;
}
