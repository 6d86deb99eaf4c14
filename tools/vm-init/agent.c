#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "spawn.h"

/*
 * A root unpacked from packages (dpkg-deb -x) may have no merged /usr:
 * /sbin and /bin are not links to /usr's, and are searched too.
 */
static const char *const agent_dirs[] = {
	"/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin",
	"/sbin", "/bin",
};

const char *
agent_find(const struct config *c, char *buf, size_t size)
{
	const char *path = getenv("PATH"), *end;
	size_t i, n;

	if (c->qga != NULL)
		return access(c->qga, X_OK) == 0 ? c->qga : NULL;
	for (i = 0; i < sizeof(agent_dirs) / sizeof(agent_dirs[0]); i++) {
		snprintf(buf, size, "%s/qemu-ga", agent_dirs[i]);
		if (access(buf, X_OK) == 0)
			return buf;
	}
	/* Then PATH, if the kernel gave one (PATH=... on its command line). */
	for (; path != NULL && *path != '\0'; path = *end ? end + 1 : end) {
		end = strchrnul(path, ':');
		n = (size_t)(end - path);
		if (n == 0 || path[0] != '/')
			continue;
		snprintf(buf, size, "%.*s/qemu-ga", (int)n, path);
		if (access(buf, X_OK) == 0)
			return buf;
	}
	return NULL;
}

pid_t
agent_start(const char *path, const char *port)
{
	/*
	 * In the foreground, as our child, so that its exit is seen.  The
	 * pid file and state directory are named: some builds default to
	 * /var/local/run, which would be the host's (vmtest issue #101).
	 */
	char *argv[] = {
		(char *)path, "-m", "virtio-serial", "-p", (char *)port,
		"-t", "/run", "-f", "/run/qemu-ga.pid", NULL,
	};

	return spawn_daemon(argv);
}

/* Whether process pid has an open file that is target. */
static int
has_open(pid_t pid, const char *target)
{
	char dir[64], link[PATH_MAX], path[PATH_MAX + 64];
	struct dirent *de;
	ssize_t n;
	DIR *d;
	int found = 0;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	if (d == NULL)
		return 0;
	while (!found && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		found = strcmp(link, target) == 0;
	}
	closedir(d);
	return found;
}

int
agent_watch_port(const char *port)
{
	int fd;

	/* An open of the device node is an event: no polling. */
	fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (fd < 0)
		return -1;
	if (inotify_add_watch(fd, port, IN_OPEN) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Whether the watch saw an open; drains its events. */
static bool
watch_saw_open(int fd)
{
	char buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	bool seen = false;
	ssize_t n, off;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < n; off += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(buf + off);
			if (ev->mask & IN_OPEN)
				seen = true;
		}
	}
	return seen;
}

int
agent_wait_open(pid_t pid, const char *port, int watch, int64_t timeout_ms,
    int *status)
{
	struct pollfd pfd = { .fd = watch, .events = POLLIN };
	char real[PATH_MAX];
	int64_t deadline, left;

	/* /proc shows the device node, not the udev-style link to it. */
	if (realpath(port, real) == NULL)
		snprintf(real, sizeof(real), "%s", port);
	deadline = log_now_ms() + timeout_ms;
	for (;;) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return -1;
		if (watch >= 0 ? watch_saw_open(watch) : has_open(pid, real))
			return 1;
		left = deadline - log_now_ms();
		if (left <= 0)
			return 0;
		/* Wakes for the open; the bound is for the agent's death. */
		poll(&pfd, watch >= 0 ? 1 : 0, left < 20 ? (int)left : 20);
	}
}
