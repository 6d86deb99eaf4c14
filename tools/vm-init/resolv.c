#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "log.h"
#include "resolv.h"

#define RESOLV_CONF "/etc/resolv.conf"
#define OWN_DIR "/run/vm-init"
#define OWN_FILE OWN_DIR "/resolv.conf"
/* As the kernel's own limit on links in one lookup. */
#define MAX_LINKS 40

/*
 * Follows path's own symbolic links (a relative one from the link's
 * directory) into out: the file an open of path would reach, which may
 * not exist.  0, or -1 with errno.
 */
static int
follow(const char *path, char *out, size_t size)
{
	char target[PATH_MAX], next[PATH_MAX];
	const char *slash;
	struct stat st;
	ssize_t n;
	int hops, len;

	if (strlen(path) >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(out, path);
	for (hops = 0; hops < MAX_LINKS; hops++) {
		if (lstat(out, &st) < 0 || !S_ISLNK(st.st_mode))
			return 0;
		if ((n = readlink(out, target, sizeof(target) - 1)) < 0)
			return -1;
		target[n] = '\0';
		slash = strrchr(out, '/');
		if (target[0] == '/' || slash == NULL)
			len = snprintf(next, sizeof(next), "%s", target);
		else
			len = snprintf(next, sizeof(next), "%.*s/%s",
			    (int)(slash - out), out, target);
		if (len < 0 || (size_t)len >= size) {
			errno = ENAMETOOLONG;
			return -1;
		}
		strcpy(out, next);
	}
	errno = ELOOP;
	return -1;
}

static int
on_tmpfs(const char *path)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && sf.f_type == TMPFS_MAGIC;
}

/* The directory part of path ("/" for "/x"), into buf. */
static void
parent_of(const char *path, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash != NULL && slash != path ? (size_t)(slash - path) : 1;

	if (n >= size)
		n = size - 1;
	memcpy(buf, slash != NULL ? path : "/", n);
	buf[n] = '\0';
}

/*
 * Makes dir, and what is missing above it, each only inside a tmpfs (a
 * check before every mkdir, so that no ".." leads out).  0, or -1.
 */
static int
mkdirs_on_tmpfs(const char *dir)
{
	char prefix[PATH_MAX], up[PATH_MAX];
	struct stat st;
	size_t i, len = strlen(dir);

	if (len >= sizeof(prefix)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (i = 1; i <= len; i++) {
		if (i < len && dir[i] != '/')
			continue;
		memcpy(prefix, dir, i);
		prefix[i] = '\0';
		if (stat(prefix, &st) == 0)
			continue;
		parent_of(prefix, up, sizeof(up));
		if (!on_tmpfs(up)) {
			errno = EXDEV;
			return -1;
		}
		if (mkdir(prefix, 0755) < 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

static int
write_file(const char *path, int flags, const char *text)
{
	size_t len = strlen(text);
	int fd, saved;

	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | flags,
	    0644);
	if (fd < 0)
		return -1;
	if (write(fd, text, len) != (ssize_t)len) {
		saved = errno != 0 ? errno : EIO;
		close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
}

int
resolv_guest(const char *addr)
{
	char text[128], real[PATH_MAX], dir[PATH_MAX], shown[PATH_MAX];
	struct stat st;

	snprintf(text, sizeof(text), "# vm-init: QEMU's user-mode network "
	    "(this guest's own)\nnameserver %s\n", addr);
	if (follow(RESOLV_CONF, real, sizeof(real)) < 0) {
		log_error_errno("net: no resolver: %s", RESOLV_CONF);
		return -1;
	}
	if (stat(real, &st) == 0) {
		/* The host's file stays as it is, under the guest's. */
		if (mkdir(OWN_DIR, 0755) < 0 && errno != EEXIST) {
			log_error_errno("net: no resolver: mkdir " OWN_DIR);
			return -1;
		}
		if (write_file(OWN_FILE, O_TRUNC, text) < 0) {
			log_error_errno("net: no resolver: " OWN_FILE);
			return -1;
		}
		if (mount(OWN_FILE, real, NULL, MS_BIND, NULL) < 0) {
			log_error_errno("net: no resolver: bind " OWN_FILE
			    " over %s", real);
			return -1;
		}
		log_info("net: nameserver %s in " OWN_FILE ", over %s", addr,
		    real);
		return 0;
	}
	/* Missing: a link into what only a running host has, or nothing. */
	parent_of(real, dir, sizeof(dir));
	if (mkdirs_on_tmpfs(dir) < 0 || !on_tmpfs(dir)) {
		if (strcmp(real, RESOLV_CONF) == 0)
			log_error("net: no resolver: there is no " RESOLV_CONF
			    " to mount over");
		else
			log_error("net: no resolver: " RESOLV_CONF " points to "
			    "%s, which does not exist, and is not on a tmpfs "
			    "of the guest's to be made", real);
		return -1;
	}
	/* For the log: the place without its links and "..". */
	if (realpath(dir, shown) == NULL ||
	    strlen(shown) + strlen(strrchr(real, '/')) >= sizeof(shown))
		strcpy(shown, real);
	else
		strcat(shown, strrchr(real, '/'));
	if (write_file(real, O_EXCL, text) < 0) {
		log_error_errno("net: no resolver: %s", shown);
		return -1;
	}
	log_info("net: nameserver %s in %s, where " RESOLV_CONF " points",
	    addr, shown);
	return 0;
}
