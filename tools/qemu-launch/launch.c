/*
 * launch: QEMU in its run directory.
 *
 * QEMU makes its socket files while it reads its options, before it
 * loads the kernel or opens the disk, so sockets that exist do not yet
 * mean a QEMU that will live: a bad kernel kills it a moment later.
 * Ready is therefore the sockets AND an answer to qmp_capabilities,
 * which QEMU's main loop gives only once the machine is built.  Every
 * wait also watches QEMU itself, so an early death is reported at once,
 * with QEMU's own words from qemu.err.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "deadline.h"
#include "diag.h"
#include "launch.h"
#include "qmp.h"
#include "sock.h"
#include "stop.h"
#include "xalloc.h"


#define POLL_MS 5
#define GONE_MS 2000		/* for a QEMU whose QMP failed to exit */

static const char *const run_files[] = {
	RUN_QMP, RUN_QGA, RUN_SERIAL, RUN_PIDFILE, RUN_STDERR, RUN_MONITOR,
	RUN_CONTROL, RUN_NBD, RUN_NBD_PID, RUN_NBD_LOG, RUN_NBD_ERR, RUN_GDB,
	RUN_UEFI_VARS, NULL,
};

static sigset_t stop_signals;	/* and SIGCHLD, taken by sigtimedwait */

static const char *
temp_base(void)
{
	const char *env[] = { "XDG_RUNTIME_DIR", "TMPDIR" }, *v;
	struct stat st;
	size_t i;

	for (i = 0; i < 2; i++) {
		v = getenv(env[i]);
		if (v != NULL && v[0] == '/' && stat(v, &st) == 0 &&
		    S_ISDIR(st.st_mode) && access(v, W_OK | X_OK) == 0)
			return v;
	}
	return "/tmp";
}

char *
run_path(const char *a, const char *b)
{
	return xasprintf("%s/%s", a, b);
}

char *
launch_rundir_preview(const char *rundir_arg)
{
	char cwd[PATH_MAX];

	if (rundir_arg == NULL)
		return run_path(temp_base(), "qemu-launch.XXXXXX");
	if (rundir_arg[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return xstrdup(rundir_arg);
	return run_path(cwd, rundir_arg);
}

static bool
dir_is_empty(const char *path)
{
	struct dirent *e;
	bool empty = true;
	DIR *d;

	if ((d = opendir(path)) == NULL)
		return false;
	while (empty && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = false;
	closedir(d);
	return empty;
}

int
launch_rundir(struct launch *l)
{
	char real[PATH_MAX], *dir;
	struct sockaddr_un sun;

	dir = launch_rundir_preview(l->rundir_arg);
	if (l->rundir_arg == NULL) {
		if (mkdtemp(dir) == NULL) {
			error_errno("%s", dir);
			free(dir);
			return -1;
		}
		l->made_rundir = true;
	} else if (mkdir(dir, 0700) == 0) {
		l->made_rundir = true;
	} else if (errno != EEXIST) {
		error_errno("--rundir %s", dir);
		free(dir);
		return -1;
	} else if (!dir_is_empty(dir)) {
		error_msg("--rundir %s: not an empty directory", dir);
		free(dir);
		return -1;
	}
	if (realpath(dir, real) == NULL) {
		error_errno("%s", dir);
		free(dir);
		return -1;
	}
	free(dir);
	l->rundir = xstrdup(real);
	/*
	 * A socket path must fit in sun_path, or QEMU fails obscurely:
	 * checked with the longest socket name.
	 */
	if (strlen(l->rundir) + 1 + strlen(RUN_CONTROL) >=
	    sizeof(sun.sun_path)) {
		error_msg("run directory %s: too long a path for its sockets "
		    "(at most %zu bytes)", l->rundir, sizeof(sun.sun_path) -
		    2 - strlen(RUN_CONTROL));
		launch_cleanup(l);
		return -1;
	}
	return 0;
}

void
launch_remove_rundir(const char *dir, bool made)
{
	struct dirent *e;
	size_t i;
	DIR *d;
	int fd;

	if (made && (d = opendir(dir)) != NULL) {
		/* Ours alone: whatever is in it goes (one level deep). */
		fd = dirfd(d);
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") != 0 &&
			    strcmp(e->d_name, "..") != 0)
				unlinkat(fd, e->d_name, 0);
		closedir(d);
		rmdir(dir);
	} else {
		/* The caller's directory: only the files we made. */
		for (i = 0; run_files[i] != NULL; i++) {
			char *p = run_path(dir, run_files[i]);

			unlink(p);
			free(p);
		}
	}
}

void
launch_cleanup(struct launch *l)
{
	if (l->pid > 0)
		launch_stop(l, STOP_GRACE_MS);
	if (l->rundir == NULL)
		return;
	launch_remove_rundir(l->rundir, l->made_rundir);
	free(l->rundir);
	l->rundir = NULL;
}

void
launch_reset(struct launch *l)
{
	size_t i;

	for (i = 0; run_files[i] != NULL; i++) {
		char *p = run_path(l->rundir, run_files[i]);

		unlink(p);
		free(p);
	}
}

static void watch_stop_signals(void);

void
launch_block_signals(void)
{
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGHUP);
	sigaddset(&stop_signals, SIGCHLD);
	sigprocmask(SIG_BLOCK, &stop_signals, NULL);
	signal(SIGPIPE, SIG_IGN);
	watch_stop_signals();
}

/*
 * The QMP waits of a start (the greeting, a restore's progress) poll a
 * socket, and a stop signal that stays blocked would not end them: a
 * signalfd of the stop signals makes one that is pending end them
 * (QMP_STOPPED), leaving the signal for launch_take_signal().
 */
static void
watch_stop_signals(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if ((fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) >= 0)
		stop_watch(fd);
}

/*
 * Takes a stop signal if one came within ms; 0 if none.  SIGCHLD only
 * ends the wait early, for the caller to reap.
 */
int
launch_take_signal(int64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	int sig;

	sig = sigtimedwait(&stop_signals, NULL, ms < 0 ? NULL : &ts);
	return sig == SIGCHLD || sig < 0 ? 0 : sig;
}

bool
launch_reaped(struct launch *l)
{
	pid_t r;

	if (l->pid <= 0)
		return true;
	while ((r = waitpid(l->pid, &l->status, WNOHANG)) < 0 &&
	    errno == EINTR)
		;
	if (r == 0)
		return false;
	l->pid = 0;
	return true;
}

/* In the child, between fork and exec: QEMU's process, then QEMU. */
static void
child(const struct launch *l, const struct strv *argv, int errfd, int report,
    pid_t parent)
{
	sigset_t none;
	int fd, e;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (l->detach)
		setsid();
	else if (!l->interactive)
		/* Our own Ctrl-C is ours to pass on, as a clean stop. */
		setpgid(0, 0);
	if (!l->detach) {
		/* Nothing of a run outlives the qemu-launch that owns it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
	}
	/* No descriptor of our caller's reaches QEMU (bats waits on 3). */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		for (fd = 3; fd < 1024; fd++)
			if (fd != report)
				fcntl(fd, F_SETFD, FD_CLOEXEC);
	/* The state to restore, named on QEMU's command line (-incoming). */
	if (l->pass_fd > 0)
		fcntl(l->pass_fd, F_SETFD, 0);
	if (chdir(l->rundir) < 0)
		goto fail;
	/* The image's overlay (snapshot=on) is QEMU's temporary file. */
	if (setenv("TMPDIR", l->rundir, 1) < 0)
		goto fail;
	if (!l->interactive) {
		if ((fd = open("/dev/null", O_RDONLY)) < 0 ||
		    dup2(fd, STDIN_FILENO) < 0 || dup2(errfd, STDOUT_FILENO) < 0)
			goto fail;
	}
	if (dup2(errfd, STDERR_FILENO) < 0)
		goto fail;
	execvp(argv->v[0], argv->v);
fail:
	e = errno;
	if (write(report, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

/* Forks and execs QEMU; -1 after a message if it could not be run. */
static int
spawn(struct launch *l, const struct strv *argv)
{
	char *errpath = run_path(l->rundir, RUN_STDERR);
	int errfd, p[2], e;
	pid_t parent = getpid();
	ssize_t n;

	errfd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (errfd < 0) {
		error_errno("%s", errpath);
		free(errpath);
		return -1;
	}
	free(errpath);
	if (pipe2(p, O_CLOEXEC) < 0) {
		error_errno("pipe");
		close(errfd);
		return -1;
	}
	fflush(NULL);
	if ((l->pid = fork()) < 0) {
		error_errno("fork");
		l->pid = 0;
		close(errfd);
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (l->pid == 0)
		child(l, argv, errfd, p[1], parent);
	close(errfd);
	close(p[1]);
	/* The report pipe closes at exec: EOF means QEMU runs. */
	while ((n = read(p[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(p[0]);
	if (n == (ssize_t)sizeof(e)) {
		while (waitpid(l->pid, NULL, 0) < 0 && errno == EINTR)
			;
		l->pid = 0;
		errno = e;
		error_errno("%s", argv->v[0]);
		/* execvp's ENOENT for a bare name: nowhere in PATH. */
		if (e == ENOENT && strchr(argv->v[0], '/') == NULL)
			note("is QEMU installed? (or set qemu_command)");
		return -1;
	}
	return 0;
}

static bool
is_socket(const char *dir, const char *name)
{
	char *p = run_path(dir, name);
	struct stat st;
	bool yes;

	yes = stat(p, &st) == 0 && S_ISSOCK(st.st_mode);
	free(p);
	return yes;
}

/* QMP answers once QEMU's main loop runs: the machine is built. */
static enum start_result
await_qmp(struct launch *l, struct deadline d)
{
	struct sock_addr addr = { .is_unix = true };
	enum qmp_status st;
	struct qmp q;
	int fd, sig;

	addr.path = run_path(l->rundir, RUN_QMP);
	for (;;) {
		if (launch_reaped(l)) {
			free(addr.path);
			return START_DIED;
		}
		if ((fd = sock_connect(&addr, deadline_in_ms(0))) >= 0)
			break;
		if (deadline_passed(d)) {
			free(addr.path);
			return START_TIMEOUT;
		}
		if ((sig = launch_take_signal(POLL_MS)) != 0) {
			free(addr.path);
			l->signal = sig;
			return START_SIGNAL;
		}
	}
	free(addr.path);
	qmp_init(&q, fd);
	st = qmp_read_greeting(&q, d);
	if (st == QMP_OK)
		st = qmp_negotiate(&q, false, d);
	qmp_close(&q);
	if (st == QMP_OK)
		return START_READY;
	/* Most likely QEMU is going: give it a moment rather than guess. */
	d = deadline_min(d, deadline_in_ms(GONE_MS));
	while (!launch_reaped(l) && !deadline_passed(d))
		if ((sig = launch_take_signal(POLL_MS)) != 0) {
			l->signal = sig;
			return START_SIGNAL;
		}
	if (l->pid == 0)
		return START_DIED;
	if (st != QMP_TIMEOUT)
		error_msg("%s/%s: %s", l->rundir, RUN_QMP, q.why);
	return START_TIMEOUT;
}

enum start_result
launch_start(struct launch *l, const struct strv *argv)
{
	struct deadline d = deadline_in_ms(l->start_timeout_ms);
	enum start_result r;
	int sig;

	if (spawn(l, argv) < 0)
		return START_FAILED;
	for (;;) {
		if (launch_reaped(l))
			return START_DIED;
		if (is_socket(l->rundir, RUN_QMP) &&
		    is_socket(l->rundir, RUN_QGA))
			break;
		if (deadline_passed(d)) {
			launch_stop(l, STOP_GRACE_MS);
			return START_TIMEOUT;
		}
		if ((sig = launch_take_signal(POLL_MS)) != 0) {
			l->signal = sig;
			launch_stop(l, STOP_GRACE_MS);
			return START_SIGNAL;
		}
	}
	r = await_qmp(l, d);
	if (r == START_TIMEOUT || r == START_SIGNAL)
		launch_stop(l, STOP_GRACE_MS);
	return r;
}

void
launch_show_errors(const struct launch *l)
{
	char *path, buf[4096];
	ssize_t n;
	int fd;

	if (l->rundir == NULL)
		return;
	path = run_path(l->rundir, RUN_STDERR);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return;
	fflush(stderr);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(STDERR_FILENO, buf, (size_t)n) < 0)
			break;
	close(fd);
}

void
launch_first_error(const struct launch *l, char *buf, size_t size)
{
	char *path;
	FILE *f;

	buf[0] = '\0';
	if (l->rundir == NULL)
		return;
	path = run_path(l->rundir, RUN_STDERR);
	f = fopen(path, "re");
	free(path);
	if (f == NULL)
		return;
	/* Skip QEMU's warnings: the error is what made it stop. */
	while (fgets(buf, (int)size, f) != NULL)
		if (strstr(buf, "warning:") == NULL)
			break;
	if (feof(f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

int
launch_wait(struct launch *l)
{
	struct deadline kill_at = DEADLINE_NEVER;
	int sig;

	while (!launch_reaped(l)) {
		if (deadline_passed(kill_at)) {
			kill(l->pid, SIGKILL);
			kill_at = DEADLINE_NEVER;
		}
		sig = launch_take_signal(deadline_is_never(kill_at) ? -1 :
		    deadline_poll_ms(kill_at));
		if (sig != 0 && l->pid > 0) {
			/* SIGTERM is QEMU's clean stop, as QMP quit is. */
			if (l->signal == 0)
				kill_at = deadline_in_ms(STOP_GRACE_MS);
			l->signal = sig;
			kill(l->pid, SIGTERM);
		}
	}
	return l->status;
}

void
launch_stop(struct launch *l, int64_t grace_ms)
{
	if (launch_reaped(l))
		return;
	child_stop(l->pid, SIGTERM, grace_ms, &l->status);
	l->pid = 0;
}

bool
launch_guest_panicked(const struct launch *l, char *line, size_t size)
{
	char *path;
	FILE *f;
	bool found = false;

	if (l->rundir == NULL)
		return false;
	path = run_path(l->rundir, RUN_SERIAL);
	f = fopen(path, "re");
	free(path);
	if (f == NULL)
		return false;
	while (!found && fgets(line, (int)size, f) != NULL)
		found = strstr(line, "Kernel panic - not syncing") != NULL;
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	return found;
}

void
launch_show_console_tail(const struct launch *l, int lines)
{
	char *path, buf[16384], *p, *start;
	ssize_t n;
	off_t size;
	int fd;

	if (l->rundir == NULL)
		return;
	path = run_path(l->rundir, RUN_SERIAL);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return;
	/* The end of a log that may be long: its last lines are in there. */
	size = lseek(fd, 0, SEEK_END);
	if (size > (off_t)sizeof(buf) - 1)
		lseek(fd, size - (off_t)sizeof(buf) + 1, SEEK_SET);
	else
		lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	p = buf + n;
	while (p > buf && (p[-1] == '\n' || p[-1] == '\r'))
		*--p = '\0';
	for (start = p; start > buf; start--)
		if (start[-1] == '\n' && --lines == 0)
			break;
	note("the guest console's last lines:");
	for (p = start; *p != '\0'; p++)
		if (*p != '\r')
			fputc(*p, stderr);
	fputc('\n', stderr);
}
