#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/sock.h"
#include "check.h"

static int
is_unix(const char *text, const char *path)
{
	struct sock_addr a;
	int ok;

	if (sock_addr_parse(text, &a) < 0)
		return 0;
	ok = a.is_unix && strcmp(a.path, path) == 0;
	sock_addr_free(&a);
	return ok;
}

static int
is_tcp(const char *text, const char *host, const char *port)
{
	struct sock_addr a;
	int ok;

	if (sock_addr_parse(text, &a) < 0)
		return 0;
	ok = !a.is_unix && strcmp(a.host, host) == 0 &&
	    strcmp(a.port, port) == 0;
	sock_addr_free(&a);
	return ok;
}

static int
is_bad(const char *text)
{
	struct sock_addr a;

	return sock_addr_parse(text, &a) < 0;
}

/* Listens on text, then connects to the address it reports. */
static int
listens_and_connects(const char *text, char *bound, size_t size)
{
	struct sock_addr a, b;
	int lfd, cfd, afd, ok;

	if (sock_addr_parse(text, &a) < 0)
		return 0;
	lfd = sock_listen(&a, bound, size);
	sock_addr_free(&a);
	if (lfd < 0 || sock_addr_parse(bound, &b) < 0)
		return 0;
	cfd = sock_connect(&b, deadline_in_ms(0));
	sock_addr_free(&b);
	afd = cfd >= 0 ? accept(lfd, NULL, NULL) : -1;
	ok = afd >= 0 && write(cfd, "x", 1) == 1;
	if (afd >= 0)
		close(afd);
	if (cfd >= 0)
		close(cfd);
	close(lfd);
	return ok;
}

int
main(void)
{
	char dir[] = "/tmp/vt-test-sock.XXXXXX", path[512], bound[600];
	struct sock_addr a;
	struct stat st;
	CHECK(is_unix("/run/vm/qmp.sock", "/run/vm/qmp.sock"));
	CHECK(is_unix("qmp.sock", "qmp.sock"));
	CHECK(is_unix("unix:/tmp/a:1", "/tmp/a:1"));
	CHECK(is_unix("./odd:1", "./odd:1"));	/* a '/' makes it a path */
	CHECK(is_unix("dir/host:22", "dir/host:22"));
	CHECK(is_tcp("localhost:4444", "localhost", "4444"));
	CHECK(is_tcp("127.0.0.1:1", "127.0.0.1", "1"));
	CHECK(is_tcp("tcp:localhost:10809", "localhost", "10809"));
	CHECK(is_tcp("[::1]:10809", "::1", "10809"));
	CHECK(is_tcp("tcp:[::1]:5", "::1", "5"));
	CHECK(is_unix("host:port", "host:port"));	/* no numeric port */
	CHECK(is_bad(""));
	CHECK(is_bad("unix:"));
	CHECK(is_bad(":4444"));
	CHECK(is_bad("tcp:host"));
	CHECK(is_bad("tcp:host:"));
	CHECK(is_bad("[::1:5"));

	if (mkdtemp(dir) == NULL)
		return 1;

	/* A Unix listener, then another on the same path: the stale one goes. */
	snprintf(path, sizeof(path), "%s/s.sock", dir);
	CHECK(listens_and_connects(path, bound, sizeof(bound)));
	CHECK(strcmp(bound, path) == 0);
	CHECK(listens_and_connects(path, bound, sizeof(bound)));

	/* A file that is not a socket is never removed. */
	snprintf(path, sizeof(path), "%s/precious", dir);
	close(open(path, O_CREAT | O_WRONLY, 0600));
	CHECK(sock_addr_parse(path, &a) == 0);
	CHECK(sock_listen(&a, bound, sizeof(bound)) < 0 && errno == EADDRINUSE);
	CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode));
	sock_addr_free(&a);
	unlink(path);

	/* A path longer than sun_path, through its directory. */
	snprintf(path, sizeof(path), "%s/%0120d", dir, 0);
	CHECK(mkdir(path, 0700) == 0);
	strcat(path, "/long.sock");
	CHECK(strlen(path) > 108);
	CHECK(listens_and_connects(path, bound, sizeof(bound)));
	unlink(path);
	*strrchr(path, '/') = '\0';
	rmdir(path);

	/* TCP port 0: the port really bound is reported, and it answers. */
	CHECK(listens_and_connects("127.0.0.1:0", bound, sizeof(bound)));
	CHECK(strncmp(bound, "127.0.0.1:", 10) == 0 && atoi(bound + 10) > 0);
	if (listens_and_connects("[::1]:0", bound, sizeof(bound)))
		CHECK(strncmp(bound, "[::1]:", 6) == 0 && atoi(bound + 6) > 0);

	snprintf(path, sizeof(path), "%s/s.sock", dir);
	unlink(path);
	rmdir(dir);
	return check_result();
}
