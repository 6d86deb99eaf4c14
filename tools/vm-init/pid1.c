#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "pid1.h"

static const int taken[] = {
	SIGCHLD, SIGTERM, SIGUSR1, SIGUSR2, SIGINT, SIGPWR, SIGHUP,
};

static void
ignore(int sig)
{
	(void)sig;
}

static void
taken_set(sigset_t *set)
{
	size_t i;

	sigemptyset(set);
	for (i = 0; i < sizeof(taken) / sizeof(taken[0]); i++)
		sigaddset(set, taken[i]);
}

void
pid1_signals(void)
{
	struct sigaction sa;
	sigset_t set;
	size_t i;

	taken_set(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	/*
	 * The kernel drops a signal sent to init while its action is the
	 * default; a blocked one is kept, and a handler (which never runs:
	 * the loop takes them with sigwaitinfo) keeps it so for good.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ignore;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(taken) / sizeof(taken[0]); i++)
		sigaction(taken[i], &sa, NULL);
}

void
pid1_child_signals(void)
{
	struct sigaction sa;
	sigset_t set;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(taken) / sizeof(taken[0]); i++)
		sigaction(taken[i], &sa, NULL);
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
}

/* Writes what is dirty, then powers the machine off. */
static noreturn void
power_off(const char *why)
{
	log_info("powering off: %s", why);
	sync();
	reboot(RB_POWER_OFF);
	log_console_errno(LOG_LVL_CRIT, "error: power off");
	reboot(RB_HALT_SYSTEM);
	/* The last resort: QEMU's -no-reboot and panic=-1 end the VM. */
	_exit(1);
}

/* The end of fatal() and fatal_errno(): errnum -1 for no reason. */
static noreturn void
fatal_msg(int errnum, const char *msg)
{
	if (errnum >= 0) {
		errno = errnum;
		log_console_errno(LOG_LVL_CRIT, "error: %s", msg);
	} else
		log_console(LOG_LVL_CRIT, "error: %s", msg);
	power_off("vm-init could not set the guest up");
}

void
fatal(const char *fmt, ...)
{
	char msg[800];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fatal_msg(-1, msg);
}

void
fatal_errno(const char *fmt, ...)
{
	char msg[800];
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fatal_msg(errnum, msg);
}

const char *
pid1_status_text(int status, char *buf, size_t size)
{
	if (WIFSIGNALED(status))
		snprintf(buf, size, "signal %d (%s)", WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	else
		snprintf(buf, size, "status %d", WEXITSTATUS(status));
	return buf;
}

void
pid1_supervise(pid_t main, const char *main_name, pid_t watched,
    const char *watched_name)
{
	char why[160], st[64];
	siginfo_t info;
	sigset_t set;
	pid_t pid;
	int sig, status;

	taken_set(&set);
	for (;;) {
		/*
		 * Reap first: children may have ended before the loop began,
		 * and one SIGCHLD may stand for many children.
		 */
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			if (pid == main) {
				snprintf(why, sizeof(why), "%s exited with %s",
				    main_name, pid1_status_text(status, st,
				    sizeof(st)));
				if (!WIFEXITED(status) ||
				    WEXITSTATUS(status) != 0)
					log_error("%s", why);
				power_off(why);
			}
			if (pid == watched) {
				log_error("%s exited with %s", watched_name,
				    pid1_status_text(status, st, sizeof(st)));
				watched = 0;
			}
		}
		sig = sigwaitinfo(&set, &info);
		if (sig < 0 || sig == SIGCHLD || sig == SIGHUP)
			continue;
		snprintf(why, sizeof(why), "%s from pid %d", strsignal(sig),
		    (int)info.si_pid);
		power_off(why);
	}
}
