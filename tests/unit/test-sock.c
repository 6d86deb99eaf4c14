#include <string.h>

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

int
main(void)
{
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
	return check_result();
}
