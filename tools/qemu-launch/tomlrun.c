/*
 * tomlrun: python3 -I -c SCRIPT FILE, its output read with a deadline.
 * Its standard error is the user's to see, as it is: a python3 that
 * breaks says why there.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "configtoml.h"
#include "deadline.h"
#include "diag.h"
#include "tomlrun.h"
#include "xalloc.h"

/* toml_targets_py[]: the script, made from toml-targets.py by make. */
#include "toml-targets.h"

/* Far more than a file the script takes (1 MiB) makes it print. */
#define MAX_OUTPUT (64 << 20)

static void
exec_python(const char *path, int out)
{
	int fd;

	if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
		dup2(fd, STDIN_FILENO);
	dup2(out, STDOUT_FILENO);
	/* -I: no user site, no PYTHON* variables, no cwd on sys.path. */
	execlp("python3", "python3", "-I", "-c", toml_targets_py, path,
	    (char *)NULL);
	_exit(127);
}

int
toml_run(const char *path, char **out, size_t *len)
{
	struct deadline d = deadline_in_ms(TOML_TIMEOUT_MS);
	int p[2], status, rc;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		die_errno(EXIT_LOCAL, "pipe");
	fflush(NULL);
	if ((pid = fork()) < 0)
		die_errno(EXIT_LOCAL, "fork");
	if (pid == 0)
		exec_python(path, p[1]);
	close(p[1]);
	rc = deadline_read_all(p[0], d, MAX_OUTPUT, out, len);
	close(p[0]);
	/* Its output is whole at EOF; its end cannot be far behind. */
	if (rc == 0 && child_wait(pid, deadline_poll_ms(d), &status) < 0) {
		rc = -1;
		errno = ETIMEDOUT;
	}
	if (rc < 0) {
		if (errno == ETIMEDOUT)
			error_msg("%s: python3 did not read it within %d s",
			    path, TOML_TIMEOUT_MS / 1000);
		else if (errno == EFBIG)
			error_msg("%s: python3 printed over %d MiB for it",
			    path, MAX_OUTPUT >> 20);
		else
			error_errno("%s: python3's output", path);
		child_stop(pid, SIGKILL, 1000, NULL);
		free(*out);
		*out = NULL;
		return -1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && *len == 0)
		error_msg("%s: a .toml config is read by python3 (3.11 or "
		    "later, for its tomllib), which is not in PATH: install "
		    "python3", path);
	else if (WIFEXITED(status))
		error_msg("%s: python3 could not read it (exit %d)", path,
		    WEXITSTATUS(status));
	else
		error_msg("%s: python3 could not read it (killed by signal "
		    "%d)", path, WTERMSIG(status));
	free(*out);
	return -1;
}
