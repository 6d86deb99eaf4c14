/*
 * qemu-launch's handoff process (handoff.c) against stand-ins for its
 * peers: a listening socket where QEMU makes control.sock, and this
 * program as vm-init on the guest's end of it.  Nothing is sent before
 * the hello, the save runs before the text, the text is the config plus
 * a fresh time and entropy and "end"; "ok" ends it quietly, "error ..."
 * with one line on stderr, end of file before the hello quietly too.
 * Run from tests/qemu-launch.bats (not named test-*: tests/lib.bats runs
 * those as lib/'s).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../tools/qemu-launch/handoff.h"
#include "check.h"
#include "child.h"
#include "diag.h"

static char dir[] = "/tmp/handoff-peer.XXXXXX";

/* QEMU's side: a listening control.sock in the run directory. */
static int
listen_control(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", dir,
	    RUN_CONTROL);
	unlink(sun.sun_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(fd, 1) < 0) {
		perror("control.sock");
		exit(2);
	}
	return fd;
}

/* What arrives within ms, appended to buf, until "end\n" or EOF. */
static size_t
read_until_end(int fd, char *buf, size_t size, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t len = 0;
	ssize_t n;

	buf[0] = '\0';
	while (len < size - 1 && poll(&pfd, 1, ms) > 0) {
		if ((n = read(fd, buf + len, size - 1 - len)) <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\nend\n") != NULL)
			break;
	}
	return len;
}

/* The save hook: a file in the run directory says it ran. */
static int
save(void *arg)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/saved", (const char *)arg);
	if ((fd = open(path, O_WRONLY | O_CREAT, 0600)) >= 0)
		close(fd);
	return -1;	/* a failed save does not stop the handoff */
}

/*
 * One handoff: its stderr into a file, the guest's part played by guest.
 * Returns its exit status, and what it said in said.
 */
static int
run(bool await_hello, handoff_save_fn *save_fn, void (*guest)(int),
    char *said, size_t size)
{
	struct launch l = { .rundir = dir };
	char errpath[128];
	int lfd, conn, err, saved, ws = -1;
	ssize_t n;
	pid_t pid;

	lfd = listen_control();
	snprintf(errpath, sizeof(errpath), "%s/err", dir);
	err = open(errpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	saved = dup(STDERR_FILENO);
	dup2(err, STDERR_FILENO);
	pid = handoff_start(&l, "vm.mount=mount0:/a%20b\nvm.interactive=1\n",
	    await_hello, save_fn, dir);
	dup2(saved, STDERR_FILENO);
	close(saved);
	CHECK(pid > 0);
	if ((conn = accept(lfd, NULL, NULL)) >= 0) {
		guest(conn);
		close(conn);
	}
	CHECK(child_wait(pid, 5000, &ws) == 0);
	n = pread(err, said, size - 1, 0);
	said[n > 0 ? n : 0] = '\0';
	close(err);
	close(lfd);
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
}

static bool
was_saved(void)
{
	char path[128];
	struct stat st;
	bool r;

	snprintf(path, sizeof(path), "%s/saved", dir);
	r = stat(path, &st) == 0;
	unlink(path);
	return r;
}

/* The text: the config, vm.time near now, 64 bytes of hex, end. */
static void
check_text(const char *text)
{
	const char *t, *e;
	long long sent;

	CHECK(strncmp(text, "vm.mount=mount0:/a%20b\nvm.interactive=1\n"
	    "vm.time=", 48) == 0);
	t = strstr(text, "vm.time=");
	sent = t != NULL ? atoll(t + 8) : 0;
	CHECK(llabs(sent - (long long)time(NULL)) <= 2);
	CHECK(t != NULL && strchr(t + 8, '.') != NULL &&
	    strspn(strchr(t + 8, '.') + 1, "0123456789") == 9);
	e = strstr(text, "\nvm.entropy=");
	CHECK(e != NULL && strspn(e + 12, "0123456789abcdef") ==
	    2 * HANDOFF_ENTROPY && strcmp(e + 12 + 2 * HANDOFF_ENTROPY,
	    "\nend\n") == 0);
}

/* A cold boot: nothing before the hello; then the text; "ok". */
static void
guest_ok(int fd)
{
	char buf[4096];

	CHECK(read_until_end(fd, buf, sizeof(buf), 200) == 0);
	CHECK(!was_saved());
	CHECK(write(fd, "booting\nvm-init hello 1\n", 24) == 24);
	read_until_end(fd, buf, sizeof(buf), 5000);
	CHECK(was_saved());
	check_text(buf);
	CHECK(write(fd, "ok\n", 3) == 3);
}

/* A restore: the text comes at once; the guest refuses it. */
static void
guest_refuses(int fd)
{
	char buf[4096];

	read_until_end(fd, buf, sizeof(buf), 5000);
	check_text(buf);
	CHECK(!was_saved());
	CHECK(write(fd, "error vm.mount=x: bad value\n", 28) == 28);
}

/* QEMU gone before the guest said hello: end of file. */
static void
guest_gone(int fd)
{
	(void)fd;
}

int
main(int argc, char **argv)
{
	char said[1024];

	(void)argc;
	diag_init(argv[0]);
	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	CHECK(run(true, save, guest_ok, said, sizeof(said)) == EXIT_OK);
	CHECK(said[0] == '\0');
	CHECK(run(false, NULL, guest_refuses, said, sizeof(said)) ==
	    EXIT_REFUSED);
	CHECK(strstr(said, "refused the run's configuration: vm.mount=x: "
	    "bad value\n") != NULL);
	CHECK(run(true, save, guest_gone, said, sizeof(said)) == EXIT_OK);
	CHECK(said[0] == '\0');
	CHECK(!was_saved());
	if (said[0] != '\0')
		fprintf(stderr, "it said: %s", said);
	snprintf(said, sizeof(said), "%s/%s", dir, RUN_CONTROL);
	unlink(said);
	snprintf(said, sizeof(said), "%s/err", dir);
	unlink(said);
	rmdir(dir);
	return check_result();
}
