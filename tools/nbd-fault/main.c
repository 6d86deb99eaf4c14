/*
 * nbd-fault: an NBD server that injects faults by rules.
 *
 * Invoked as QEMU's nbd-fault-injector.py is (ADDR and a rule file, at
 * most --classic-negotiation), it is that tool, byte for byte: the
 * injector's handshake, 8 GiB of zeros, one client at a time, its lines
 * and exit statuses.  Any other option makes it a full server: fixed
 * newstyle with the options modern clients use, every command, a choice
 * of backend, many clients at once, and rules that do far more than exit.
 *
 * The job: parse the command line, load the rules (the compatible mode
 * does it after listening, as the injector does), open the backend,
 * listen, announce the address, and serve connections until a rule or a
 * signal ends it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "fdio.h"
#include "jsonl.h"
#include "listener.h"
#include "options.h"
#include "sock.h"
#include "stopsig.h"
#include "xalloc.h"

/* The --pidfile is ours to remove: we wrote it, or began to. */
static bool pidfile_ours;

static struct rule_set *
load_rules(const struct options *o)
{
	struct rule_set *set = xcalloc(1, sizeof(*set));
	char err[1024];
	int rc;

	if (o->rules_path != NULL)
		rc = rules_load(o->rules_path, o->compat, set, err, sizeof(err));
	else
		rc = rules_parse("", 0, "(no rules)", false, set, err,
		    sizeof(err));
	if (rc == 0)
		return set;
	/* The injector prints its messages bare and exits 1. */
	if (o->compat) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	die(EXIT_USAGE, "%s", err);
}

/* The backend, and the layers the options put over it. */
static void
open_backend(struct options *o)
{
	struct server *srv = &o->srv;
	char err[512];

	/* A file is as big as it is, unless --size says less. */
	if (!o->size_given && strncmp(o->backend, "file:", 5) == 0)
		o->size = 0;
	srv->backend = backend_open(o->compat ? "zero" : o->backend, o->size,
	    srv->readonly, err, sizeof(err));
	if (srv->backend == NULL)
		die(EXIT_USAGE, "--backend: %s", err);
	if (o->volatile_max != 0 && (srv->backend = backend_volatile(
	    srv->backend, o->volatile_max, err, sizeof(err))) == NULL)
		die(EXIT_USAGE, "--volatile-cache: %s", err);
	if (o->write_log != NULL && (srv->backend = backend_log(srv->backend,
	    o->write_log, err, sizeof(err))) == NULL)
		die(EXIT_USAGE, "--write-log: %s", err);
}

/*
 * The pid file, then the ready line.  Returns the exit status: 0, or
 * after a message 2 for a --pidfile that cannot be written (the
 * injector's 1), 71 for a ready line that cannot: a full server that
 * cannot say it listens has nobody to serve.  The injector's ready line
 * sits in Python's buffer until it exits, so it goes on without it.
 */
static int
announce(const struct options *o, const char *bound)
{
	int rc = 0;
	json_t *j;
	char *line;

	if (o->pidfile != NULL) {
		FILE *f = fopen(o->pidfile, "w");

		pidfile_ours = f != NULL;
		if (f == NULL || fprintf(f, "%ld\n", (long)getpid()) < 0 ||
		    fclose(f) != 0) {
			error_errno("%s", o->pidfile);
			return o->compat ? 1 : EXIT_USAGE;
		}
	}
	if (!o->srv.log_json) {
		rc = server_say((struct server *)&o->srv, STDOUT_FILENO,
		    "Listening on %s", bound);
	} else {
		j = json_pack("{s:s}", "listening", bound);
		line = jsonl_encode(j, NULL);
		if (line != NULL)
			rc = fd_write_all(STDOUT_FILENO, line, strlen(line));
		free(line);
		json_decref(j);
	}
	if (rc < 0 && !o->compat) {
		error_errno("stdout");
		return EXIT_LOCAL;
	}
	return 0;
}

/* What a run leaves: a full server's socket file, and the pid file. */
static void
clean_up(const struct options *o, const struct sock_addr *addr)
{
	/* The injector leaves its socket file; a full server cleans up. */
	if (addr->is_unix && !o->compat)
		unlink(addr->path);
	if (pidfile_ours)
		unlink(o->pidfile);
}

int
main(int argc, char **argv)
{
	/*
	 * The server lives as long as the process: a connection thread that
	 * outlasts the wait for it after a stop may still use it while main
	 * returns, so it is never freed, and static so that it stays
	 * reachable to the end.
	 */
	static struct options o;
	struct sock_addr addr;
	char bound[512];
	int lfd, rc;

	diag_init(argv[0]);
	options_parse(argc, argv, &o);
	pthread_mutex_init(&o.srv.out_lock, NULL);
	pthread_mutex_init(&o.srv.conns_lock, NULL);

	/* A full server checks everything before it listens. */
	if (!o.compat)
		o.srv.rules = load_rules(&o);
	open_backend(&o);
	options_address(&o, &addr);
	/* From here on a stop signal ends whatever the server waits for. */
	if (stopsig_catch(o.exit_with_parent) < 0)
		die_errno(EXIT_LOCAL, "signalfd");
	lfd = sock_listen(&addr, bound, sizeof(bound));
	if (lfd < 0)
		die_errno(o.compat ? 1 : EXIT_USAGE, "%s", o.addr);
	if (addr.is_unix)
		snprintf(bound, sizeof(bound), "%s", o.addr);
	if ((rc = announce(&o, bound)) != 0) {
		close(lfd);
		clean_up(&o, &addr);
		exit(rc);
	}
	/* The injector reads its rules only once it listens. */
	if (o.compat)
		o.srv.rules = load_rules(&o);

	/* The injector serves one client at a time; so does --once. */
	listener_run(&o.srv, lfd, o.compat, o.once);
	close(lfd);
	server_report_dropped(&o.srv);
	clean_up(&o, &addr);
	sock_addr_free(&addr);
	return EXIT_OK;
}
