/*
 * janitor: a child that waits on a pipe whose only write end is ours.
 * The kernel closes that end when we die, by SIGKILL too, so end of file
 * is the one sure sign that nobody else will clean up.  QEMU and the
 * disk's server die with us by their parent-death signal; the directory
 * they leave is the janitor's to remove.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "deadline.h"
#include "diag.h"
#include "janitor.h"
#include "launch.h"

#define RETRY_MS 1000	/* a dying QEMU may still make a file or two */

static void
janitor(const char *dir, bool made, int rfd)
{
	struct deadline d = deadline_in_ms(RETRY_MS);
	sigset_t none;
	char byte;
	int null;

	/*
	 * Ctrl-C and the signals that stop a run are for the run, not us;
	 * a session of our own keeps us out of a kill of the whole process
	 * group too (a CI job cancelled), which is when we are needed.
	 */
	setsid();
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_NAME, "ql-janitor");
	/* Nothing of the caller's: a reader of our stdout must not wait. */
	if ((null = open("/dev/null", O_RDWR)) >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
	}
	if (rfd != 3 && dup2(rfd, 3) < 0)
		_exit(1);
	closefrom(4);
	while (read(3, &byte, 1) != 0 && (errno == EINTR || errno == EAGAIN))
		;
	for (;;) {
		launch_remove_rundir(dir, made);
		if (access(dir, F_OK) < 0 || !made || deadline_passed(d))
			break;
		deadline_sleep_ms(d, 20);
	}
	_exit(0);
}

int
janitor_start(const char *dir, bool made, pid_t *pid)
{
	int p[2];

	*pid = 0;
	if (pipe2(p, O_CLOEXEC) < 0) {
		note_errno("warning: no janitor for %s: pipe", dir);
		return -1;
	}
	fflush(NULL);
	if ((*pid = fork()) < 0) {
		note_errno("warning: no janitor for %s: fork", dir);
		close(p[0]);
		close(p[1]);
		*pid = 0;
		return -1;
	}
	if (*pid == 0) {
		close(p[1]);
		janitor(dir, made, p[0]);
	}
	close(p[0]);
	return p[1];
}

void
janitor_dismiss(int fd)
{
	if (fd >= 0)
		close(fd);
}
