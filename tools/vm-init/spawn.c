#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "pid1.h"
#include "spawn.h"

/*
 * The agent's environment is what every guest command inherits, so it is
 * made here from scratch: nothing from the kernel command line leaks in.
 */
static char *const child_env[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"HOME=/root",
	"TERM=linux",
	NULL,
};

static void
child_setup(void)
{
	pid1_child_signals();
	setsid();
	if (chdir("/") < 0)
		_exit(127);
}

static void
move_fd(int from, int to)
{
	if (from != to) {
		dup2(from, to);
		close(from);
	}
}

pid_t
spawn_daemon(char *const argv[])
{
	pid_t pid;
	int fd;

	pid = fork();
	if (pid < 0) {
		log_error_errno("fork for %s", argv[0]);
		return -1;
	}
	if (pid > 0)
		return pid;
	child_setup();
	/* PID 1's stderr is the console; keep it as the child's. */
	dup2(STDERR_FILENO, STDOUT_FILENO);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0)
		move_fd(fd, STDIN_FILENO);
	execve(argv[0], argv, child_env);
	log_error_errno("exec %s", argv[0]);
	_exit(127);
}

/*
 * /dev/console cannot be a controlling terminal (the kernel refuses it),
 * so open the terminal behind it: the last name in
 * /sys/class/tty/console/active is the one /dev/console writes to.
 */
static int
open_console_tty(void)
{
	char buf[256], path[300], *name, *sp;
	ssize_t n;
	int fd;

	fd = open("/sys/class/tty/console/active", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			sp = strrchr(buf, ' ');
			name = sp != NULL ? sp + 1 : buf;
			snprintf(path, sizeof(path), "/dev/%s", name);
			fd = open(path, O_RDWR);
			if (fd >= 0)
				return fd;
		}
	}
	return open("/dev/console", O_RDWR);
}

pid_t
spawn_shell(void)
{
	char *bash[] = { "-bash", NULL };
	char *sh[] = { "-sh", NULL };
	pid_t pid;
	int fd;

	pid = fork();
	if (pid < 0) {
		log_error_errno("fork for the shell");
		return -1;
	}
	if (pid > 0)
		return pid;
	child_setup();
	fd = open_console_tty();
	if (fd < 0) {
		log_error_errno("the shell's terminal");
		_exit(127);
	}
	if (ioctl(fd, TIOCSCTTY, 0) < 0)
		log_error_errno("the shell's controlling terminal");
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	/* A leading "-" in argv[0] makes a login shell, as login(1) does. */
	execve("/bin/bash", bash, child_env);
	execve("/bin/sh", sh, child_env);
	log_error_errno("exec /bin/bash and /bin/sh");
	_exit(127);
}
