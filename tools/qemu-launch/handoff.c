/*
 * handoff: the control channel's host side.  The text is built here, in
 * vm-init's own syntax (cmdline.h), and handed over by a small process of
 * its own, so that qemu-launch's waits (the command, QEMU, the signals)
 * stay as they are while the guest boots, and so that the same process
 * can serve a guest restored from a snapshot (no hello: it waits
 * already) as well as one booted cold.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "deadline.h"
#include "diag.h"
#include "handoff.h"
#include "linereader.h"
#include "sock.h"
#include "stop.h"
#include "xalloc.h"

/* vm-init's lines are short; anything longer is not vm-init. */
#define ANSWER_LINE_MAX 4096

/* How long the handoff may take to end once the run is over. */
#define HANDOFF_GRACE_MS 1000

/*
 * A path as a vm.* value: every byte but a few that are safe everywhere
 * as %HH, '%' included, which vm-init decodes.  Blanks, newlines and
 * quotes would split or end the word, the kernel takes 0xA0 for a blank
 * too (so no byte over 0x7f is left as it is), and ':' is vm.mount's
 * separator.
 */
static void
put_encoded(FILE *f, const char *s)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+,=@~";

	for (; *s != '\0'; s++) {
		if (strchr(safe, *s) != NULL)
			fputc(*s, f);
		else
			fprintf(f, "%%%02X", (unsigned char)*s);
	}
}

void
handoff_put_mount(FILE *f, const struct target *t, size_t i)
{
	fprintf(f, "vm.mount=mount%zu:", i);
	put_encoded(f, t->mount[i].guest);
	if (!t->mount[i].writable)
		fputs(":ro", f);
}

char *
handoff_config(const struct target *t, const struct plan *p)
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *f;

	/* A memory stream fails only for want of memory. */
	if ((f = open_memstream(&text, &len)) == NULL)
		xalloc_die();
	for (i = 0; i < t->nmount; i++) {
		handoff_put_mount(f, t, i);
		fputc('\n', f);
	}
	if (p->interactive)
		fputs("vm.interactive=1\n", f);
	if (fclose(f) != 0)
		xalloc_die();
	return text;
}

/*
 * The config, then what must be fresh at the moment it is sent (a
 * snapshot restored an hour after its save must not take the save's time
 * or repeat another restore's random numbers), then the end.
 */
static char *
full_text(const char *config)
{
	unsigned char rnd[HANDOFF_ENTROPY];
	struct timespec now;
	char *text = NULL;
	size_t len = 0, got = 0, i;
	ssize_t n;
	FILE *f;

	while (got < sizeof(rnd)) {
		if ((n = getrandom(rnd + got, sizeof(rnd) - got, 0)) < 0) {
			if (errno == EINTR)
				continue;
			die_errno(EXIT_LOCAL, "getrandom");
		}
		got += (size_t)n;
	}
	if ((f = open_memstream(&text, &len)) == NULL)
		xalloc_die();
	fputs(config, f);
	clock_gettime(CLOCK_REALTIME, &now);
	fprintf(f, "vm.time=%lld.%09ld\nvm.entropy=", (long long)now.tv_sec,
	    now.tv_nsec);
	for (i = 0; i < sizeof(rnd); i++)
		fprintf(f, "%02x", rnd[i]);
	fputs("\nend\n", f);
	if (fclose(f) != 0)
		xalloc_die();
	explicit_bzero(rnd, sizeof(rnd));
	return text;
}

/* The next line from vm-init, or NULL at its end, said if need be. */
static char *
answer(struct line_reader *lr, struct deadline d, const char *sock)
{
	enum lr_status st;
	char *line;
	size_t len;

	st = lr_read_line(lr, d, &line, &len);
	if (st == LR_LINE)
		return line;
	/* End of file: QEMU is gone, and the run says why. */
	if (st == LR_TIMEOUT)
		note("%s: no answer from the guest's vm-init in %d s", sock,
		    HANDOFF_ANSWER_MS / 1000);
	else if (st == LR_TOO_LONG)
		note("%s: a line longer than %d bytes: not vm-init", sock,
		    ANSWER_LINE_MAX);
	else if (st == LR_ERROR && errno != ECONNRESET)
		note_errno("%s", sock);
	return NULL;
}

/* The child's whole life: returns its exit status. */
static int
hand_over(const struct launch *l, const char *config, bool await_hello,
    handoff_save_fn *save, void *save_arg)
{
	struct sock_addr addr = { .is_unix = true };
	struct line_reader lr;
	struct deadline d;
	char *text, *line;
	int fd;

	addr.path = run_path(l->rundir, RUN_CONTROL);
	if ((fd = sock_connect(&addr, deadline_in_ms(0))) < 0) {
		error_errno("%s", addr.path);
		return EXIT_UNREACHABLE;
	}
	lr_init(&lr, fd, ANSWER_LINE_MAX);
	/* No deadline: the boot takes what it takes, and QEMU's end ends it. */
	while (await_hello) {
		if ((line = answer(&lr, DEADLINE_NEVER, addr.path)) == NULL)
			return EXIT_OK;
		await_hello = strcmp(line, HANDOFF_HELLO) != 0;
	}
	if (save != NULL)
		save(save_arg);
	text = full_text(config);
	d = deadline_in_ms(HANDOFF_ANSWER_MS);
	if (sock_send_all(fd, text, strlen(text), d) < 0) {
		if (errno != EPIPE && errno != ECONNRESET)
			note_errno("%s", addr.path);
		return EXIT_OK;
	}
	explicit_bzero(text, strlen(text));
	while ((line = answer(&lr, d, addr.path)) != NULL) {
		if (strcmp(line, "ok") == 0)
			return EXIT_OK;
		if (strncmp(line, "error ", 6) == 0) {
			note("the guest's vm-init refused the run's "
			    "configuration: %s", line + 6);
			return EXIT_REFUSED;
		}
	}
	return EXIT_OK;
}

pid_t
handoff_start(const struct launch *l, const char *config, bool await_hello,
    handoff_save_fn *save, void *save_arg)
{
	pid_t pid, parent = getpid();
	sigset_t none;
	int fd;

	fflush(NULL);
	if ((pid = fork()) < 0) {
		error_errno("fork");
		return -1;
	}
	if (pid > 0)
		return pid;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (l->detach) {
		/* Out of the terminal's reach, as QEMU is. */
		setsid();
	} else {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(EXIT_OK);
	}
	/* Ours to keep: stderr alone (the janitor's pipe must close with us). */
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
	}
	close_range(3, ~0U, 0);
	/* qemu-launch's signalfd (launch.c) is closed: no stop to watch. */
	stop_watch(-1);
	_exit(hand_over(l, config, await_hello, save, save_arg));
}

void
handoff_stop(pid_t pid)
{
	child_stop(pid, SIGTERM, HANDOFF_GRACE_MS, NULL);
}
