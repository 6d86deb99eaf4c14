/*
 * initrd: running vm-initrd.  Its standard output is the path; its
 * standard error is the user's to see, as it is.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arch.h"
#include "deadline.h"
#include "diag.h"
#include "initrd.h"
#include "tool.h"
#include "xalloc.h"

char *
initrd_build(const struct target *t)
{
	char *tool = tool_find("vm-initrd"), *out, real[PATH_MAX];
	const char *kernel = t->kernel;
	/* A foreign kernel: its arch's vm-init, the modules in its root. */
	char *argv[] = { "vm-initrd", "--kernel", t->kernel, "--arch",
	    (char *)arch_table[t->arch].name, "--rootfs", t->rootfs, NULL };
	int p[2], status, fd, rc, read_errno;
	size_t got;
	pid_t pid;

	if (tool == NULL)
		die(EXIT_USAGE, "a kernel target needs an initrd: give "
		    "--initrd FILE, or install vm-initrd");
	if (pipe2(p, O_CLOEXEC) < 0)
		die_errno(EXIT_LOCAL, "pipe");
	fflush(NULL);
	if ((pid = fork()) < 0)
		die_errno(EXIT_LOCAL, "fork");
	if (pid == 0) {
		if ((fd = open("/dev/null", O_RDONLY)) >= 0)
			dup2(fd, STDIN_FILENO);
		dup2(p[1], STDOUT_FILENO);
		if (!initrd_foreign(t))
			argv[3] = NULL;
		execv(tool, argv);
		error_errno("%s", tool);
		_exit(127);
	}
	close(p[1]);
	rc = deadline_read_all(p[0], deadline_in_ms(INITRD_TIMEOUT_MS),
	    PATH_MAX + 1, &out, &got);
	read_errno = errno;
	close(p[0]);
	if (rc < 0)
		kill(pid, SIGTERM);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc < 0 && read_errno == ETIMEDOUT)
		die(EXIT_TIMEOUT, "%s --kernel %s: no initrd within %d s", tool,
		    kernel, INITRD_TIMEOUT_MS / 1000);
	if (rc < 0 && read_errno == EFBIG)
		die(EXIT_USAGE, "%s --kernel %s printed more than a path",
		    tool, kernel);
	if (rc < 0) {
		errno = read_errno;
		die_errno(EXIT_LOCAL, "%s --kernel %s: its output", tool,
		    kernel);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die(EXIT_USAGE, "%s --kernel %s failed", tool, kernel);
	out[strcspn(out, "\n")] = '\0';
	if (out[0] == '\0')
		die(EXIT_USAGE, "%s --kernel %s printed no path", tool, kernel);
	if (realpath(out, real) == NULL)
		die_errno(EXIT_USAGE, "%s printed %s", tool, out);
	free(out);
	free(tool);
	return xstrdup(real);
}

bool
initrd_foreign(const struct target *t)
{
	return t->arch != arch_host() && t->rootfs != NULL;
}
