/*
 * qmp-send: send commands to QEMU over QMP and print the replies.
 *
 * The job: connect (waiting for the socket if asked), read the greeting,
 * negotiate capabilities, run the commands given on the command line or
 * read as JSON lines from stdin, then wait for an event or follow the
 * event stream if asked.  Every wait on QEMU is bounded by --timeout.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"
#include "diag.h"
#include "jsonl.h"
#include "parse.h"
#include "session.h"
#include "sock.h"

#define DEFAULT_TIMEOUT_MS 10000

static const char usage_text[] =
"usage: qmp-send --sock ADDR [--wait DURATION] [--timeout DURATION] [--oob]\n"
"                [--greeting] [--full] [--pretty] [--keep-going] [--events]\n"
"                [--wait-event NAME [--match KEY=VALUE ...]] [--follow]\n"
"                [--hmp TEXT ...] [COMMAND [ARG=VALUE | ARG:=JSON ...]]\n";

static const char help_text[] =
"\n"
"Sends commands to QEMU's QMP monitor and prints each reply's return value\n"
"as one JSON line.  With no COMMAND and no --hmp, reads commands from stdin,\n"
"one JSON object ({\"execute\": ...}) a line.\n"
"\n"
"  -s, --sock ADDR          QMP socket: a Unix path, HOST:PORT, unix:PATH, tcp:HOST:PORT\n"
"  -w, --wait DURATION      retry connecting while the socket is missing (default 0)\n"
"  -t, --timeout DURATION   bound on each wait for QEMU (default 10s; 0 = forever)\n"
"      --oob                enable out-of-band execution (exec-oob)\n"
"      --greeting           print QEMU's greeting first\n"
"      --full               print whole responses, errors included\n"
"      --pretty             indent JSON output\n"
"  -k, --keep-going         run the remaining commands after an error reply\n"
"  -e, --events             print events as they arrive\n"
"      --wait-event NAME    after the commands, wait for event NAME and print it\n"
"      --match KEY=VALUE    only an event whose data has KEY=VALUE (repeatable)\n"
"  -f, --follow             after the commands, print events until QEMU quits\n"
"      --hmp TEXT           run a human monitor command, print its text (repeatable)\n"
"  -h, --help               this help\n"
"  -V, --version            print the version\n"
"\n"
"ARG=VALUE is typed: integers and numbers, true, false, null, {...} and [...]\n"
"as JSON, anything else a string; ARG:=JSON passes any JSON; a.b=1 nests.\n"
"Exit status: 0 success, 1 error reply, 2 usage, 69 QEMU unreachable or gone,\n"
"71 stdout unwritable or out of memory, 76 protocol error, 124 timeout.\n";

enum {
	OPT_OOB = 256,
	OPT_GREETING,
	OPT_FULL,
	OPT_PRETTY,
	OPT_WAIT_EVENT,
	OPT_MATCH,
	OPT_HMP,
};

static const struct option long_options[] = {
	{ "sock", required_argument, NULL, 's' },
	{ "wait", required_argument, NULL, 'w' },
	{ "timeout", required_argument, NULL, 't' },
	{ "oob", no_argument, NULL, OPT_OOB },
	{ "greeting", no_argument, NULL, OPT_GREETING },
	{ "full", no_argument, NULL, OPT_FULL },
	{ "pretty", no_argument, NULL, OPT_PRETTY },
	{ "keep-going", no_argument, NULL, 'k' },
	{ "events", no_argument, NULL, 'e' },
	{ "wait-event", required_argument, NULL, OPT_WAIT_EVENT },
	{ "match", required_argument, NULL, OPT_MATCH },
	{ "follow", no_argument, NULL, 'f' },
	{ "hmp", required_argument, NULL, OPT_HMP },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

struct options {
	const char *sock;
	int64_t wait_ms;
	int64_t timeout_ms;	/* -1 until given */
	bool oob, greeting, full, pretty, keep_going, events, follow;
	const char *wait_event;
	char **matches;
	int nmatches;
	char **hmp;
	int nhmp;
	char **command;		/* COMMAND and its ARG words */
	int ncommand;
};

static void
parse_options(int argc, char **argv, struct options *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->timeout_ms = -1;
	while ((c = getopt_long(argc, argv, "+s:w:t:kefhV", long_options,
	    NULL)) != -1) {
		switch (c) {
		case 's': o->sock = optarg; break;
		case 'w': o->wait_ms = cli_duration("--wait", optarg); break;
		case 't':
			o->timeout_ms = cli_duration("--timeout", optarg);
			break;
		case OPT_OOB: o->oob = true; break;
		case OPT_GREETING: o->greeting = true; break;
		case OPT_FULL: o->full = true; break;
		case OPT_PRETTY: o->pretty = true; break;
		case 'k': o->keep_going = true; break;
		case 'e': o->events = true; break;
		case OPT_WAIT_EVENT: o->wait_event = optarg; break;
		case OPT_MATCH: cli_push(&o->matches, &o->nmatches, optarg); break;
		case 'f': o->follow = true; break;
		case OPT_HMP: cli_push(&o->hmp, &o->nhmp, optarg); break;
		case 'h':
			fputs(usage_text, stdout);
			fputs(help_text, stdout);
			exit(EXIT_OK);
		case 'V':
			printf("qmp-send (vmtest-tools) %s\n", VERSION);
			exit(EXIT_OK);
		default:
			cli_usage(usage_text);
		}
	}
	o->command = argv + optind;
	o->ncommand = argc - optind;

	if (o->sock == NULL)
		die(EXIT_USAGE, "--sock is required (the QMP socket)");
	if (o->nmatches > 0 && o->wait_event == NULL)
		die(EXIT_USAGE, "--match needs --wait-event");
	if (o->nhmp > 0 && o->ncommand > 0)
		die(EXIT_USAGE, "--hmp and a COMMAND cannot be mixed");
	/* A follow is open-ended unless a timeout is asked for. */
	if (o->timeout_ms < 0)
		o->timeout_ms = o->follow ? 0 : DEFAULT_TIMEOUT_MS;
}

/* Everything given on the command line is checked before connecting. */
static json_t *
argv_command(const struct options *o)
{
	json_t *args = NULL, *command;
	char why[512];

	if (o->ncommand > 1) {
		args = args_build(o->command + 1, o->ncommand - 1, why,
		    sizeof(why));
		if (args == NULL)
			die(EXIT_USAGE, "%s: %s", o->command[0], why);
	}
	command = qmp_command(o->command[0], args);
	if (command == NULL)
		die(EXIT_USAGE, "COMMAND '%s' is not valid UTF-8", o->command[0]);
	return command;
}

static struct event_match *
awaited_event(const struct options *o)
{
	struct event_match *m;
	char why[512];
	int i;

	if (o->wait_event == NULL)
		return NULL;
	m = match_new(o->wait_event);
	for (i = 0; i < o->nmatches; i++)
		if (match_add(m, o->matches[i], why, sizeof(why)) < 0)
			die(EXIT_USAGE, "%s", why);
	return m;
}

static int
connect_qmp(const struct options *o)
{
	struct sock_addr addr;
	int fd;

	if (sock_addr_parse(o->sock, &addr) < 0)
		die(EXIT_USAGE, "--sock: invalid address '%s'", o->sock);
	fd = sock_connect(&addr, deadline_in_ms(o->wait_ms));
	if (fd < 0)
		die_errno(EXIT_UNREACHABLE, "%s: cannot connect", o->sock);
	sock_addr_free(&addr);
	return fd;
}

static int
handshake(struct session *s, const struct options *o)
{
	struct deadline d = deadline_in_ms(s->timeout_ms);
	enum qmp_status st;

	st = qmp_read_greeting(&s->qmp, d);
	if (st == QMP_TIMEOUT) {
		error_msg("%s: no QMP greeting: another client is connected, "
		    "or this is not a QMP socket", s->sock);
		return EXIT_UNREACHABLE;
	}
	if (st != QMP_OK)
		return session_fail(s, st, "before its greeting");
	if (o->greeting && jsonl_write(stdout, s->qmp.greeting, o->pretty) < 0)
		die_errno(EXIT_LOCAL, "stdout");
	return session_fail(s, qmp_negotiate(&s->qmp, o->oob, d),
	    "to qmp_capabilities");
}

static int
run_commands(struct session *s, const struct options *o, json_t *command)
{
	json_t *cmd;
	int i, rc = EXIT_OK;

	if (command != NULL)
		return session_run(s, command, false);
	if (o->nhmp == 0)
		return session_run_stream(s, STDIN_FILENO);
	for (i = 0; i < o->nhmp && rc == EXIT_OK; i++) {
		cmd = qmp_command("human-monitor-command",
		    json_pack("{s:s}", "command-line", o->hmp[i]));
		if (cmd == NULL)
			die(EXIT_USAGE, "--hmp '%s': not valid UTF-8", o->hmp[i]);
		rc = session_run(s, cmd, true);
		json_decref(cmd);
	}
	if (rc == EXIT_OK && s->failures > 0)
		rc = EXIT_REFUSED;
	return rc;
}

int
main(int argc, char **argv)
{
	struct options o;
	struct session s;
	json_t *command = NULL;
	int rc;

	diag_init(argv[0]);
	/* A reader that leaves (| head) is a write error: exit 71, not 141. */
	signal(SIGPIPE, SIG_IGN);
	parse_options(argc, argv, &o);
	if (o.ncommand > 0)
		command = argv_command(&o);

	memset(&s, 0, sizeof(s));
	s.sock = o.sock;
	s.timeout_ms = o.timeout_ms == 0 ? -1 : o.timeout_ms;
	s.full = o.full;
	s.pretty = o.pretty;
	s.keep_going = o.keep_going;
	s.print_events = o.events || o.follow;
	s.awaited = awaited_event(&o);
	session_init(&s, connect_qmp(&o));

	rc = handshake(&s, &o);
	if (rc == EXIT_OK)
		rc = run_commands(&s, &o, command);
	if (rc == EXIT_OK && s.awaited != NULL)
		rc = session_await_event(&s);
	if (rc == EXIT_OK && o.follow)
		rc = session_follow(&s);

	qmp_close(&s.qmp);
	json_decref(command);
	match_free(s.awaited);
	free(o.matches);
	free(o.hmp);
	return rc;
}
