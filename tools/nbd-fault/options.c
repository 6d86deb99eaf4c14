#include <sys/socket.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "options.h"
#include "parse.h"
#include "xalloc.h"

#define DEFAULT_SIZE (8ULL << 30)	/* the injector's disk */

static const char usage_text[] =
"usage: nbd-fault [--classic-negotiation] ADDR RULES\n"
"       nbd-fault [--compat] [--classic-negotiation] [--backend BACKEND]\n"
"                 [--size SIZE] [--export-name NAME] [--read-only] [--multi-conn]\n"
"                 [--volatile-cache[=MAX]] [--write-log FILE] [--seed N]\n"
"                 [--log-json] [--pidfile FILE] [--exit-with-parent] [--once]\n"
"                 ADDR [RULES]\n";

static const char help_text[] =
"\n"
"An NBD server that injects faults by the rules in RULES.  Invoked as\n"
"QEMU's nbd-fault-injector.py is, it behaves exactly as that tool; any other\n"
"option makes it a full server.  ADDR is a Unix socket path or HOST:PORT.\n"
"\n"
"      --compat             the injector's behaviour, even with other options\n"
"      --classic-negotiation  oldstyle handshake\n"
"  -b, --backend BACKEND    zero (default), memory, pattern, file:PATH\n"
"  -s, --size SIZE          export size (default 8G; file: the file's)\n"
"  -n, --export-name NAME   serve only NAME (default: any name)\n"
"  -r, --read-only          refuse writes\n"
"      --multi-conn         advertise that connections share one cache\n"
"      --volatile-cache[=MAX]  writes stay in memory (at most MAX, default\n"
"                           1G) until a FLUSH; FUA writes are durable at once\n"
"      --write-log FILE     every write, trim, zero, flush and power cut as a\n"
"                           JSON line in FILE, the data in FILE.data\n"
"      --seed N             seed for rate= rules (default 0)\n"
"      --log-json           the ready line and every injection as JSON on stdout\n"
"      --pidfile FILE       write the pid to FILE once listening\n"
"      --exit-with-parent   exit when the parent process does\n"
"      --once               serve one connection, then exit\n"
"  -h, --help               this help\n"
"  -V, --version            print the version\n"
"\n"
"Exit status: 0 on SIGTERM, SIGINT, SIGHUP or a rule's exit; 2 usage or\n"
"rules (1 in the compatible mode, as the injector); 71 out of memory, or the\n"
"ready line could not be written.\n";

enum {
	OPT_COMPAT = 256,
	OPT_CLASSIC,
	OPT_MULTI_CONN,
	OPT_SEED,
	OPT_LOG_JSON,
	OPT_PIDFILE,
	OPT_EXIT_WITH_PARENT,
	OPT_ONCE,
	OPT_VOLATILE,
	OPT_WRITE_LOG,
};

#define DEFAULT_VOLATILE_MAX (1ULL << 30)

static const struct option long_options[] = {
	{ "compat", no_argument, NULL, OPT_COMPAT },
	{ "classic-negotiation", no_argument, NULL, OPT_CLASSIC },
	{ "backend", required_argument, NULL, 'b' },
	{ "size", required_argument, NULL, 's' },
	{ "export-name", required_argument, NULL, 'n' },
	{ "read-only", no_argument, NULL, 'r' },
	{ "multi-conn", no_argument, NULL, OPT_MULTI_CONN },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "log-json", no_argument, NULL, OPT_LOG_JSON },
	{ "pidfile", required_argument, NULL, OPT_PIDFILE },
	{ "exit-with-parent", no_argument, NULL, OPT_EXIT_WITH_PARENT },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "volatile-cache", optional_argument, NULL, OPT_VOLATILE },
	{ "write-log", required_argument, NULL, OPT_WRITE_LOG },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* The injector's own usage lines and status, for its command line. */
static void
compat_usage(void)
{
	fprintf(stderr, "usage: %s [--classic-negotiation] "
	    "<tcp-port>|<unix-path> <config-file>\n"
	    "Run an fault injector NBD server with rules defined in a config "
	    "file.\n", diag_progname());
	exit(1);
}

void
options_parse(int argc, char **argv, struct options *o)
{
	struct server *srv = &o->srv;
	int c, positional;

	memset(o, 0, sizeof(*o));
	o->backend = "zero";
	o->size = DEFAULT_SIZE;
	while ((c = getopt_long(argc, argv, "b:s:n:rhV", long_options,
	    NULL)) != -1) {
		if (c != OPT_CLASSIC && c != OPT_COMPAT && c != 'h' && c != 'V')
			o->full_option = true;
		switch (c) {
		case OPT_COMPAT: o->compat = true; break;
		case OPT_CLASSIC: srv->classic = true; break;
		case 'b': o->backend = optarg; break;
		case 's':
			if (parse_size(optarg, &o->size) < 0 || o->size == 0)
				die(EXIT_USAGE, "--size: invalid size '%s' "
				    "(as 512, 64M, 8G)", optarg);
			o->size_given = true;
			break;
		case 'n': srv->export_name = optarg; break;
		case 'r': srv->readonly = true; break;
		case OPT_MULTI_CONN: srv->multi_conn = true; break;
		case OPT_SEED:
			srv->seed = cli_uint("--seed", optarg, 0, UINT64_MAX);
			break;
		case OPT_LOG_JSON: srv->log_json = true; break;
		case OPT_PIDFILE: o->pidfile = optarg; break;
		case OPT_EXIT_WITH_PARENT: o->exit_with_parent = true; break;
		case OPT_ONCE: o->once = true; break;
		case OPT_WRITE_LOG: o->write_log = optarg; break;
		case OPT_VOLATILE:
			o->volatile_max = DEFAULT_VOLATILE_MAX;
			if (optarg != NULL && (parse_size(optarg,
			    &o->volatile_max) < 0 || o->volatile_max == 0))
				die(EXIT_USAGE, "--volatile-cache: not a size: "
				    "'%s'", optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			fputs(help_text, stdout);
			exit(EXIT_OK);
		case 'V':
			printf("nbd-fault (vmtest-tools) %s\n", VERSION);
			exit(EXIT_OK);
		default:
			if (!o->full_option)
				compat_usage();
			cli_usage(usage_text);
		}
	}
	/* Only the injector's own words: be the injector. */
	if (!o->full_option)
		o->compat = true;
	srv->compat = o->compat;
	positional = argc - optind;
	if (o->compat && !o->full_option && positional != 2)
		compat_usage();
	if (positional < 1 || positional > 2)
		cli_usage(usage_text);
	o->addr = argv[optind];
	o->rules_path = positional == 2 ? argv[optind + 1] : NULL;
	if (o->compat && o->rules_path == NULL)
		die(EXIT_USAGE, "the compatible mode needs a RULES file");
	if (o->compat && (o->volatile_max != 0 || o->write_log != NULL))
		die(EXIT_USAGE, "--compat has no volatile cache and no write log");
	if (o->compat && (o->size_given || strcmp(o->backend, "zero") != 0))
		die(EXIT_USAGE, "--compat serves the injector's 8 GiB of zeros: "
		    "no --backend or --size");
}

/*
 * The injector's addresses: anything with a ':' is TCP, split at the first
 * one, IPv4 only, an empty host meaning any; the rest is a Unix path.
 */
static void
compat_address(const char *text, struct sock_addr *addr)
{
	const char *colon = strchr(text, ':');

	memset(addr, 0, sizeof(*addr));
	if (colon == NULL) {
		addr->is_unix = true;
		addr->path = xstrdup(text);
		return;
	}
	addr->host = colon == text ? xstrdup("0.0.0.0") :
	    xstrndup(text, (size_t)(colon - text));
	addr->port = xstrdup(colon + 1);
	addr->family = AF_INET;
}

void
options_address(const struct options *o, struct sock_addr *addr)
{
	if (o->compat)
		compat_address(o->addr, addr);
	else if (sock_addr_parse(o->addr, addr) < 0)
		die(EXIT_USAGE, "invalid address '%s' (a Unix path or "
		    "HOST:PORT)", o->addr);
}
