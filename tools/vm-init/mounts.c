#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "mounts.h"
#include "parse.h"
#include "pid1.h"

#define SHARE_DIR "/mnt/vmtest"

/*
 * The 9p message size bounds every read and write: bigger is faster, up
 * to what the kernel's virtio transport takes.  Linux clamps a larger
 * request to its maximum (512000 bytes on 6.1) rather than failing, so
 * the first size normally mounts; smaller ones are for kernels that say
 * EINVAL.
 */
static const uint32_t msizes[] = {
	1048576, 524288, 512000, 262144, 131072, 65536, 8192,
};

/* How long a 9p tag may take to appear after its driver is loaded. */
#define TAG_WAIT_MS 2000

#define P9_DRIVER "/sys/bus/virtio/drivers/9pnet_virtio"

static int
mkdir_p(const char *path, mode_t mode)
{
	char buf[4096], *p;

	if (strlen(path) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(buf, path);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

/*
 * A mount point, made if missing.  Outside /dev that is on the 9p root,
 * i.e. in the host's file system, which deserves a line in the log.
 */
static int
mount_point(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		errno = ENOTDIR;
		return -1;
	}
	if (errno != ENOENT)
		return -1;
	if (strncmp(path, "/dev/", 5) != 0)
		log_info("creating the missing mount point %s", path);
	return mkdir_p(path, 0755);
}

void
mounts_early(void)
{
	static const struct {
		const char *type, *target;
		unsigned long flags;
	} early[] = {
		{ "proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC },
		{ "sysfs", "/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC },
		{ "devtmpfs", "/dev", MS_NOSUID },
	};
	size_t i;

	for (i = 0; i < sizeof(early) / sizeof(early[0]); i++) {
		if (mkdir(early[i].target, 0755) < 0 && errno != EEXIST)
			fatal_errno("mkdir %s", early[i].target);
		/* EBUSY: the kernel mounted it already (DEVTMPFS_MOUNT). */
		if (mount(early[i].type, early[i].target, early[i].type,
		    early[i].flags, NULL) < 0 && errno != EBUSY)
			fatal_errno("mount %s on %s", early[i].type,
			    early[i].target);
	}
}

static int
mount_9p(const char *tag, const char *target, uint32_t msize, bool ro)
{
	char opts[128];

	/*
	 * cache=mmap: no page cache beyond what mmap needs, so host-side
	 * edits show at once (vmtest issue #61) and mmap works.
	 */
	snprintf(opts, sizeof(opts),
	    "trans=virtio,version=9p2000.L,cache=mmap,msize=%u", msize);
	return mount(tag, target, "9p", ro ? MS_RDONLY : 0, opts);
}

/*
 * Whether QEMU offers a 9p share tagged tag: 1 yes, 0 no, -1 cannot
 * tell.  Asked of sysfs because a mount of a missing tag fails with a
 * kernel error on the console ("no channels available").
 */
static int
tag_offered(const char *tag)
{
	char path[600], buf[300];
	struct dirent *de;
	ssize_t n;
	DIR *d;
	int fd, found = 0;

	d = opendir(P9_DRIVER);
	if (d == NULL)
		return -1;
	while (!found && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "virtio", 6) != 0)
			continue;
		snprintf(path, sizeof(path), P9_DRIVER "/%s/mount_tag",
		    de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		/* The file holds the tag and a NUL, no newline. */
		buf[n] = '\0';
		found = strcmp(buf, tag) == 0;
	}
	closedir(d);
	return found;
}

/* tag_offered, waiting a little for a device that is still probing. */
static int
wait_tag(const char *tag, int64_t timeout_ms)
{
	int64_t deadline = log_now_ms() + timeout_ms;
	int pause_us = 500, r;

	while ((r = tag_offered(tag)) == 0 && log_now_ms() < deadline) {
		usleep(pause_us);
		if (pause_us < 20000)
			pause_us *= 2;
	}
	return r;
}

/* The msize the kernel settled on, from the mount's options; 0 if unknown. */
static uint32_t
mounted_msize(const char *target)
{
	char line[4096], num[16], *p;
	uint32_t msize = 0;
	uint64_t v;
	size_t tlen = strlen(target), n;
	FILE *f;

	f = fopen("/proc/self/mounts", "re");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		/* "SOURCE TARGET TYPE OPTIONS 0 0"; the last match wins. */
		p = strchr(line, ' ');
		if (p == NULL || strncmp(p + 1, target, tlen) != 0 ||
		    p[1 + tlen] != ' ')
			continue;
		if ((p = strstr(p, ",msize=")) == NULL)
			continue;
		/* The number ends at the next option or field. */
		p += 7;
		n = strspn(p, "0123456789");
		if (n < sizeof(num)) {
			memcpy(num, p, n);
			num[n] = '\0';
			if (parse_uint(num, 1, UINT32_MAX, &v) == 0)
				msize = (uint32_t)v;
		}
	}
	fclose(f);
	return msize;
}

uint32_t
mounts_root(const struct config *c)
{
	uint32_t msize = 0, got;
	size_t i, n;
	int err = 0;

	if (mkdir(NEWROOT, 0755) < 0 && errno != EEXIST)
		fatal_errno("mkdir %s", NEWROOT);
	if (wait_tag(c->root_tag, TAG_WAIT_MS) == 0)
		fatal("no 9p share tagged \"%s\" for the root (QEMU needs "
		    "-virtfs ...,mount_tag=%s)", c->root_tag, c->root_tag);
	n = c->msize != 0 ? 1 : sizeof(msizes) / sizeof(msizes[0]);
	for (i = 0; i < n; i++) {
		msize = c->msize != 0 ? c->msize : msizes[i];
		if (mount_9p(c->root_tag, NEWROOT, msize, c->root_ro) == 0) {
			err = 0;
			break;
		}
		err = errno;
		log_debug_errno("9p root with msize %u", msize);
		if (err != EINVAL)
			break;
	}
	if (err != 0) {
		if (err == ENOENT)
			fatal("no 9p share tagged \"%s\" for the root (or "
			    "9pnet_virtio is not loaded)", c->root_tag);
		errno = err;
		fatal_errno("mount 9p \"%s\" on %s", c->root_tag, NEWROOT);
	}
	got = mounted_msize(NEWROOT);
	if (got == 0)
		got = msize;
	log_info("root: 9p \"%s\" %s, msize %u%s", c->root_tag,
	    c->root_ro ? "ro" : "rw", got,
	    got < msize ? " (the transport's maximum)" : "");
	return got;
}

void
mounts_switch_root(void)
{
	static const char *const moved[] = { "/proc", "/sys", "/dev" };
	char target[64];
	size_t i;

	for (i = 0; i < sizeof(moved) / sizeof(moved[0]); i++) {
		snprintf(target, sizeof(target), NEWROOT "%s", moved[i]);
		if (mount_point(target) < 0)
			fatal_errno("mkdir %s", target);
		/* Moved, not mounted again: devtmpfs keeps its nodes. */
		if (mount(moved[i], target, NULL, MS_MOVE, NULL) < 0)
			fatal_errno("move %s to %s", moved[i], target);
	}
	/*
	 * switch_root's way: pivot_root(2) cannot take the initramfs
	 * (rootfs cannot be unmounted), so move the new root over "/" and
	 * chroot into it.  The initramfs stays in memory, unreachable; it
	 * is a few megabytes.
	 */
	if (chdir(NEWROOT) < 0)
		fatal_errno("chdir %s", NEWROOT);
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		fatal_errno("move %s to /", NEWROOT);
	if (chroot(".") < 0)
		fatal_errno("chroot");
	if (chdir("/") < 0)
		fatal_errno("chdir /");
}

struct fs {
	const char *type, *target;
	unsigned long flags;
	const char *opts;
	bool best_effort;
};

static const struct fs system_fs[] = {
	{ "devpts", "/dev/pts", MS_NOSUID | MS_NOEXEC,
	    "gid=5,mode=0620,ptmxmode=0666", false },
	{ "tmpfs", "/dev/shm", MS_NOSUID | MS_NODEV, "mode=1777", false },
	{ "tmpfs", "/run", MS_NOSUID | MS_NODEV, "mode=0755", false },
	/*
	 * Not the host's /tmp over 9p: 9p cannot stat a file that was
	 * unlinked while open, which temporary files do (vmtest issue #83).
	 */
	{ "tmpfs", "/tmp", MS_NOSUID | MS_NODEV, "mode=1777", false },
	/* Mount points for the guest without touching the host's /mnt. */
	{ "tmpfs", "/mnt", MS_NOSUID | MS_NODEV, "mode=0755", false },
	/* The kernel may lack these; tests that need them will say so. */
	{ "debugfs", "/sys/kernel/debug", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    NULL, true },
	{ "tracefs", "/sys/kernel/tracing", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    NULL, true },
	{ "cgroup2", "/sys/fs/cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    "nsdelegate", true },
};

void
mounts_system(void)
{
	const struct fs *f;
	size_t i;

	for (i = 0; i < sizeof(system_fs) / sizeof(system_fs[0]); i++) {
		f = &system_fs[i];
		if (f->best_effort) {
			if (mount(f->type, f->target, f->type, f->flags,
			    f->opts) < 0)
				log_error_errno("going on without %s on %s",
				    f->type, f->target);
			continue;
		}
		if (mount_point(f->target) < 0)
			fatal_errno("mkdir %s", f->target);
		if (mount(f->type, f->target, f->type, f->flags, f->opts) < 0)
			fatal_errno("mount %s on %s", f->type, f->target);
	}
}

/* The shared directory; a failure is fatal if the command line asked for it. */
static void
mount_share(const char *tag, uint32_t msize, bool required)
{
	if (mkdir(SHARE_DIR, 0755) < 0 && errno != EEXIST)
		fatal_errno("mkdir %s", SHARE_DIR);
	if (mount_9p(tag, SHARE_DIR, msize, false) == 0) {
		log_info("share: 9p \"%s\" on %s", tag, SHARE_DIR);
		return;
	}
	if (required)
		fatal_errno("mount 9p \"%s\" on %s", tag, SHARE_DIR);
	log_error_errno("going on without 9p \"%s\" on %s", tag, SHARE_DIR);
	rmdir(SHARE_DIR);
}

void
mounts_shares(const struct config *c, uint32_t msize)
{
	const struct share *m;
	const char *tag = c->share_tag;
	int i;

	if (tag != NULL && *tag != '\0') {
		/* Without vm.share=, QEMU may simply offer no share. */
		if (!c->share_given && tag_offered(tag) == 0)
			log_debug("no 9p share tagged \"%s\"", tag);
		else
			mount_share(tag, msize, c->share_given);
	}
	for (i = 0; i < c->nmounts; i++) {
		m = &c->mounts[i];
		if (mount_point(m->path) < 0)
			fatal_errno("mkdir %s", m->path);
		if (mount_9p(m->tag, m->path, msize, m->ro) < 0)
			fatal_errno("mount 9p \"%s\" on %s", m->tag, m->path);
		log_info("mount: 9p \"%s\" on %s%s", m->tag, m->path,
		    m->ro ? " (ro)" : "");
	}
}
