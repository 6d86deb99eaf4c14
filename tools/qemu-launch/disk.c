#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "argv.h"
#include "child.h"
#include "deadline.h"
#include "diag.h"
#include "disk.h"
#include "launch.h"
#include "tool.h"

#define DISK_GRACE_MS 2000

/* In the child: nbd-fault, its JSON lines in the log, errors in a file. */
static void
child(const struct target *t, const char *rundir, const char *tool,
    bool detach, pid_t parent)
{
	char *log = run_path(rundir, RUN_NBD_LOG);
	char *err = run_path(rundir, RUN_NBD_ERR);
	char *pidfile = run_path(rundir, RUN_NBD_PID);
	char *sock = run_path(rundir, RUN_NBD);
	char *argv[16];
	sigset_t none;
	int in, out, errfd, n = 0;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	/* Not the terminal's: a Ctrl-C is ours to turn into a clean stop. */
	setsid();
	if (!detach) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
	}
	in = open("/dev/null", O_RDONLY);
	out = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	errfd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (in < 0 || out < 0 || errfd < 0 || dup2(in, STDIN_FILENO) < 0 ||
	    dup2(out, STDOUT_FILENO) < 0 || dup2(errfd, STDERR_FILENO) < 0)
		_exit(127);
	closefrom(STDERR_FILENO + 1);
	/* The cache and the rules are there only when the target has them. */
	argv[n++] = "nbd-fault";
	argv[n++] = "--backend";
	argv[n++] = t->disk_backend;
	argv[n++] = "--size";
	argv[n++] = (char *)t->disk_size;
	argv[n++] = "--log-json";
	argv[n++] = "--once";
	argv[n++] = "--pidfile";
	argv[n++] = pidfile;
	if (t->disk_cache != NULL)
		argv[n++] = t->disk_cache;
	argv[n++] = sock;
	if (t->disk_rules != NULL)
		argv[n++] = t->disk_rules;
	argv[n] = NULL;
	execv(tool, argv);
	/* Our words, in the file the user is shown nbd-fault's in. */
	error_errno("%s", tool);
	_exit(127);
}

/* Its stderr, as it wrote it, for the user. */
static void
show_errors(const char *rundir)
{
	char *path = run_path(rundir, RUN_NBD_ERR), line[1024];
	FILE *f = fopen(path, "re");

	free(path);
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		fputs(line, stderr);
	fclose(f);
}

pid_t
disk_start(const struct target *t, const char *rundir, bool detach)
{
	pid_t parent = getpid();
	struct deadline d = deadline_in_ms(DISK_START_TIMEOUT_MS);
	char *tool = tool_find("nbd-fault"), *pidfile;
	struct stat st;
	pid_t pid;
	int status;

	if (tool == NULL) {
		error_msg("the target has a disk, and there is no nbd-fault "
		    "beside qemu-launch or in PATH");
		return -1;
	}
	pidfile = run_path(rundir, RUN_NBD_PID);
	unlink(pidfile);
	fflush(NULL);
	if ((pid = fork()) < 0) {
		error_errno("fork");
		free(tool);
		free(pidfile);
		return -1;
	}
	if (pid == 0)
		child(t, rundir, tool, detach, parent);
	free(tool);
	/* nbd-fault writes its pidfile once it listens. */
	while (stat(pidfile, &st) < 0 || st.st_size == 0) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			show_errors(rundir);
			error_msg("nbd-fault, the disk's server, exited with "
			    "status %d before it listened", WIFEXITED(status) ?
			    WEXITSTATUS(status) : 128 + WTERMSIG(status));
			free(pidfile);
			return -1;
		}
		if (deadline_passed(d)) {
			disk_stop(pid);
			show_errors(rundir);
			error_msg("nbd-fault, the disk's server, did not listen "
			    "within %d s", DISK_START_TIMEOUT_MS / 1000);
			free(pidfile);
			return -1;
		}
		deadline_sleep_ms(d, 5);
	}
	free(pidfile);
	return pid;
}

void
disk_stop(pid_t pid)
{
	if (pid > 0)
		child_stop(pid, SIGTERM, DISK_GRACE_MS, NULL);
}
