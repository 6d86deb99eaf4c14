/*
 * captive: the life of a VM that qemu-launch owns, in the foreground or
 * for the life of a command (--run).
 *
 * The stop signals and SIGCHLD stay blocked and are taken one at a time
 * (launch_take_signal), so a child's end or a Ctrl-C that comes between
 * two checks waits for the next one instead of being lost.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "argv.h"
#include "captive.h"
#include "child.h"
#include "deadline.h"
#include "diag.h"

#define POLL_MS 5
/* A command that failed as QEMU went: QEMU's end is the story. */
#define VM_DEATH_MS 500

/* The environment a command gets: where the run's parts are. */
static void
set_env(const struct launch *l, pid_t disk_pid)
{
	static const struct {
		const char *name, *file;
	} files[] = {
		{ "QMP_SOCK", RUN_QMP }, { "QGA_SOCK", RUN_QGA },
		{ "SERIAL_LOG", RUN_SERIAL },
		{ "NBD_SOCK", RUN_NBD }, { "NBD_LOG", RUN_NBD_LOG },
	};
	struct stat st;
	char pid[24], *gdb;
	size_t i, n = disk_pid > 0 ? 5 : 3;

	snprintf(pid, sizeof(pid), "%d", (int)l->pid);
	setenv("QEMU_PID", pid, 1);
	setenv("RUNDIR", l->rundir, 1);
	for (i = 0; i < n; i++) {
		char *path = run_path(l->rundir, files[i].file);

		setenv(files[i].name, path, 1);
		free(path);
	}
	/* QEMU made the gdbstub's socket if, and only if, gdb = true. */
	gdb = run_path(l->rundir, RUN_GDB);
	if (stat(gdb, &st) == 0 && S_ISSOCK(st.st_mode))
		setenv("GDB_SOCK", gdb, 1);
	else
		unsetenv("GDB_SOCK");
	free(gdb);
	if (disk_pid > 0) {
		snprintf(pid, sizeof(pid), "%d", (int)disk_pid);
		setenv("NBD_PID", pid, 1);
	} else {
		unsetenv("NBD_SOCK");
		unsetenv("NBD_LOG");
		unsetenv("NBD_PID");
	}
}

/* Starts cmd; -1 with status 126 or 127 and a message if it cannot run. */
static pid_t
spawn_command(const struct launch *l, pid_t disk_pid, char **cmd,
    int *status)
{
	pid_t pid, parent = getpid();
	sigset_t none;
	int p[2], e;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) < 0) {
		error_errno("pipe");
		*status = EXIT_LOCAL;
		return -1;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		error_errno("fork");
		close(p[0]);
		close(p[1]);
		*status = EXIT_LOCAL;
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		/* The command ends with us, as QEMU does. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(128 + SIGTERM);
		set_env(l, disk_pid);
		execvp(cmd[0], cmd);
		e = errno;
		if (write(p[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(p[0]);
	if (n == (ssize_t)sizeof(e)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		errno = e;
		error_errno("%s", cmd[0]);
		*status = e == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC;
		return -1;
	}
	return pid;
}

static int
exit_code(int ws)
{
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

/* Says why QEMU ended, which it did before the command. */
static void
vm_ended(struct launch *l, struct run_end *end)
{
	char line[400];
	int ws = l->status;

	end->status = EXIT_UNREACHABLE;
	end->reason = "qemu";
	if (!l->interactive && launch_guest_panicked(l, line, sizeof(line))) {
		end->reason = "panic";
		snprintf(end->message, sizeof(end->message),
		    "the guest kernel panicked: %s", line);
	} else if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
		snprintf(end->message, sizeof(end->message),
		    "QEMU exited: the guest powered off");
	else {
		launch_show_errors(l);
		if (WIFSIGNALED(ws))
			snprintf(end->message, sizeof(end->message),
			    "QEMU was killed by signal %d", WTERMSIG(ws));
		else
			snprintf(end->message, sizeof(end->message),
			    "QEMU exited with status %d", WEXITSTATUS(ws));
	}
}

/*
 * Our children other than QEMU and its disk's server: what the command
 * left behind (we are their subreaper), and the janitor.  Those of
 * pid_t's in keep are not counted.  Returns how many, up to max.
 */
static size_t
children(pid_t *out, size_t max, const pid_t *keep, size_t nkeep)
{
	char path[64], buf[512], *p;
	struct dirent *e;
	size_t n = 0, i;
	pid_t pid, me = getpid();
	long ppid;
	DIR *d;
	FILE *f;

	if ((d = opendir("/proc")) == NULL)
		return 0;
	while (n < max && (e = readdir(d)) != NULL) {
		if ((pid = (pid_t)strtol(e->d_name, &p, 10)) <= 0 || *p != '\0')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		if ((f = fopen(path, "re")) == NULL)
			continue;
		p = fgets(buf, sizeof(buf), f);
		fclose(f);
		/* "pid (comm) state ppid ...": comm may hold anything. */
		if (p == NULL || (p = strrchr(buf, ')')) == NULL ||
		    sscanf(p + 1, " %*c %ld", &ppid) != 1 || ppid != me)
			continue;
		for (i = 0; i < nkeep && keep[i] != pid; i++)
			;
		if (i == nkeep)
			out[n++] = pid;
	}
	closedir(d);
	return n;
}

/*
 * Ends what the command started and left running: orphans come to us
 * (PR_SET_CHILD_SUBREAPER), so nothing of a run outlives it.
 */
static void
sweep(const struct launch *l, pid_t disk_pid, pid_t janitor_pid)
{
	struct deadline d = deadline_in_ms(CAPTIVE_GRACE_MS);
	pid_t keep[3] = { l->pid, disk_pid, janitor_pid }, left[64];
	size_t n, i;
	int sig = SIGTERM;

	while ((n = children(left, 64, keep, 3)) > 0) {
		for (i = 0; i < n; i++)
			kill(left[i], sig);
		if (deadline_passed(d))
			sig = SIGKILL;
		launch_take_signal(POLL_MS);
		for (i = 0; i < n; i++)
			waitpid(left[i], NULL, WNOHANG);
	}
}

static void follow(struct launch *l, pid_t disk_pid, char **cmd,
    struct run_end *end);

static void
signalled(struct run_end *end, int sig)
{
	end->reason = "signal";
	end->status = 128 + sig;
	snprintf(end->message, sizeof(end->message), "stopped by %s",
	    sigabbrev_np(sig) != NULL ? sigabbrev_np(sig) : "a signal");
}

void
captive_run(struct launch *l, pid_t disk_pid, pid_t janitor_pid, char **cmd,
    struct run_end *end)
{
	memset(end, 0, sizeof(*end));
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	follow(l, disk_pid, cmd, end);
	sweep(l, disk_pid, janitor_pid);
}

/* Runs the command until it ends, QEMU ends, or a stop signal comes. */
static void
follow(struct launch *l, pid_t disk_pid, char **cmd, struct run_end *end)
{
	struct deadline d;
	pid_t pid, r;
	int ws, sig;

	if ((pid = spawn_command(l, disk_pid, cmd, &end->status)) < 0) {
		end->reason = "command";
		return;
	}
	for (;;) {
		r = waitpid(pid, &ws, WNOHANG);
		if (r == pid) {
			end->reason = "command";
			end->status = exit_code(ws);
			if (end->status == 0)
				return;
			/* A command that failed as the VM died: the VM's end. */
			d = deadline_in_ms(VM_DEATH_MS);
			while (!launch_reaped(l) && !deadline_passed(d))
				launch_take_signal(POLL_MS);
			if (l->pid == 0)
				vm_ended(l, end);
			return;
		}
		/*
		 * The command gets its grace from child_stop(), which waits
		 * on a pidfd and leaves the stop signals blocked: one that
		 * comes meanwhile stays pending for sweep(), not lost, and
		 * changes nothing, as nothing is left to decide.
		 */
		if (launch_reaped(l)) {
			vm_ended(l, end);
			child_stop(pid, SIGTERM, CAPTIVE_GRACE_MS, NULL);
			return;
		}
		if ((sig = launch_take_signal(-1)) != 0) {
			/* Both go at once: nothing is left to save in either. */
			kill(pid, sig);
			kill(l->pid, SIGTERM);
			child_stop(pid, 0, CAPTIVE_GRACE_MS, NULL);
			signalled(end, sig);
			return;
		}
	}
}

void
captive_foreground(struct launch *l, struct run_end *end)
{
	char line[400];
	int ws;

	memset(end, 0, sizeof(*end));
	ws = launch_wait(l);
	if (l->signal != 0) {
		signalled(end, l->signal);
		return;
	}
	/* A guest that powers off is the foreground's success. */
	if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0 && (l->interactive ||
	    !launch_guest_panicked(l, line, sizeof(line)))) {
		end->reason = "qemu";
		end->status = EXIT_OK;
		return;
	}
	vm_ended(l, end);
}
