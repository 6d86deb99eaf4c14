#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices.h"
#include "log.h"

#define PORTS_CLASS "/sys/class/virtio-ports"
#define PORTS_DIR "/dev/virtio-ports"

static void
link_once(const char *target, const char *path)
{
	if (symlink(target, path) < 0 && errno != EEXIST)
		log_error_errno("symlink %s -> %s", path, target);
}

void
devices_fd_links(void)
{
	/* Bash's process substitution <(...) needs /dev/fd. */
	link_once("/proc/self/fd", "/dev/fd");
	link_once("/proc/self/fd/0", "/dev/stdin");
	link_once("/proc/self/fd/1", "/dev/stdout");
	link_once("/proc/self/fd/2", "/dev/stderr");
}

/* The name the host gave port (e.g. "vport0p1"), or "" if none yet. */
static void
port_name(const char *port, char *name, size_t size)
{
	char path[300];
	ssize_t n;
	int fd;

	name[0] = '\0';
	snprintf(path, sizeof(path), PORTS_CLASS "/%s/name", port);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, name, size - 1);
	close(fd);
	if (n <= 0)
		n = 0;
	name[n] = '\0';
	name[strcspn(name, "\n")] = '\0';
}

/*
 * Links /dev/virtio-ports/NAME to ../PORT as udev's rule does.  Returns
 * true if the port has a name, a device node and so a link.
 */
static bool
link_port(const char *port, char *name, size_t size)
{
	char node[300], target[300], link[600];
	struct stat st;

	port_name(port, name, size);
	/* Not a name the link could carry. */
	if (name[0] == '\0' || name[0] == '.' || strchr(name, '/') != NULL)
		return false;
	snprintf(node, sizeof(node), "/dev/%s", port);
	if (stat(node, &st) < 0 || !S_ISCHR(st.st_mode))
		return false;
	if (mkdir(PORTS_DIR, 0755) < 0 && errno != EEXIST)
		return false;
	snprintf(target, sizeof(target), "../%s", port);
	snprintf(link, sizeof(link), PORTS_DIR "/%s", name);
	link_once(target, link);
	return true;
}

int
devices_port_links(void)
{
	char name[256];
	struct dirent *de;
	DIR *d;
	int n = 0;

	d = opendir(PORTS_CLASS);
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (link_port(de->d_name, name, sizeof(name))) {
			log_debug("port %s is /dev/%s", name, de->d_name);
			n++;
		}
	}
	closedir(d);
	return n;
}

static bool
find_port(const char *want)
{
	char name[256];
	struct dirent *de;
	bool found = false;
	DIR *d;

	d = opendir(PORTS_CLASS);
	if (d == NULL)
		return false;
	while (!found && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		found = link_port(de->d_name, name, sizeof(name)) &&
		    strcmp(name, want) == 0;
	}
	closedir(d);
	return found;
}

int
devices_wait_port(const char *name, int64_t timeout_ms, char *path,
    size_t size)
{
	int64_t deadline = log_now_ms() + timeout_ms;
	int pause_us = 500;

	while (!find_port(name)) {
		if (log_now_ms() >= deadline)
			return -1;
		usleep(pause_us);
		if (pause_us < 20000)
			pause_us *= 2;
	}
	snprintf(path, size, PORTS_DIR "/%s", name);
	return 0;
}
