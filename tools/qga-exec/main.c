/*
 * qga-exec: run a command in the guest through the QEMU guest agent, as
 * if it ran here: its output on our stdout and stderr as it comes, its
 * exit status ours.
 *
 * The job: check the request, connect to the agent and synchronise
 * (waiting for a booting guest if asked), start the command with its
 * output going to guest files we tail, poll its status on an adaptive
 * schedule, stop it on a timeout or a signal, and exit with its status.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "cli.h"
#include "diag.h"
#include "jsonl.h"
#include "parse.h"
#include "qga.h"
#include "request.h"
#include "run.h"

#define MAX_STDIN (32u << 20)	/* the agent takes 64 MiB lines; base64 */

static const char usage_text[] =
"usage: qga-exec --sock ADDR [--wait DURATION] [--timeout DURATION]\n"
"                [--kill-after DURATION] [--rpc-timeout DURATION] [--cwd DIR]\n"
"                [--env NAME=VALUE ...] [--env-host] [--stdin] [--merge]\n"
"                [--capture] [--tmpdir DIR] [--json] [--poll-initial DURATION]\n"
"                [--poll-max DURATION] -- COMMAND [ARG ...]\n"
"       qga-exec --sock ADDR [--wait DURATION] --ping | --info\n";

static const char help_text[] =
"\n"
"Runs COMMAND in the guest through the QEMU guest agent at ADDR: its output\n"
"streams to our stdout and stderr, and its exit status is ours.\n"
"\n"
"  -s, --sock ADDR          the agent's socket: a Unix path, HOST:PORT, unix:, tcp:\n"
"  -w, --wait DURATION      keep reconnecting until the agent answers (default 0)\n"
"  -t, --timeout DURATION   stop the command after DURATION and exit 124\n"
"      --kill-after DURATION  SIGKILL this long after SIGTERM (default 5s)\n"
"      --rpc-timeout DURATION  bound on each agent reply (default 30s)\n"
"  -C, --cwd DIR            run in guest directory DIR\n"
"  -e, --env NAME=VALUE     set a variable for the command (repeatable)\n"
"  -E, --env-host           pass this environment, with a sensible PATH\n"
"  -i, --stdin              send our stdin as the command's input (32 MiB at most)\n"
"  -m, --merge              stderr into stdout, in order\n"
"      --capture            the agent's own capture: output at exit, 16 MiB cap\n"
"      --tmpdir DIR         guest directory for the output files (default /tmp)\n"
"      --json               no streaming: print one JSON result line\n"
"      --poll-initial DURATION  first pause between status polls (default 1ms)\n"
"      --poll-max DURATION  longest pause (default 100ms, 250ms after 2s, 1s after 30s)\n"
"      --ping               exit 0 if the agent answers\n"
"      --info               print guest-info as JSON\n"
"  -h, --help               this help\n"
"  -V, --version            print the version\n"
"\n"
"Exit status: the command's; 128+N if killed by signal N; 126/127 if it could\n"
"not be executed/found; 1 agent refused, 2 usage, 69 agent unreachable or gone,\n"
"76 protocol error, 124 timeout.\n";

enum {
	OPT_KILL_AFTER = 256,
	OPT_RPC_TIMEOUT,
	OPT_CAPTURE,
	OPT_TMPDIR,
	OPT_JSON,
	OPT_POLL_INITIAL,
	OPT_POLL_MAX,
	OPT_PING,
	OPT_INFO,
};

static const struct option long_options[] = {
	{ "sock", required_argument, NULL, 's' },
	{ "wait", required_argument, NULL, 'w' },
	{ "timeout", required_argument, NULL, 't' },
	{ "kill-after", required_argument, NULL, OPT_KILL_AFTER },
	{ "rpc-timeout", required_argument, NULL, OPT_RPC_TIMEOUT },
	{ "cwd", required_argument, NULL, 'C' },
	{ "env", required_argument, NULL, 'e' },
	{ "env-host", no_argument, NULL, 'E' },
	{ "stdin", no_argument, NULL, 'i' },
	{ "merge", no_argument, NULL, 'm' },
	{ "capture", no_argument, NULL, OPT_CAPTURE },
	{ "tmpdir", required_argument, NULL, OPT_TMPDIR },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "poll-initial", required_argument, NULL, OPT_POLL_INITIAL },
	{ "poll-max", required_argument, NULL, OPT_POLL_MAX },
	{ "ping", no_argument, NULL, OPT_PING },
	{ "info", no_argument, NULL, OPT_INFO },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

struct options {
	const char *sock;
	int64_t wait_ms;
	bool ping, info, json, read_stdin;
	struct request request;
	struct run_config run;
};

static void
parse_options(int argc, char **argv, struct options *o)
{
	struct request *r = &o->request;
	int c;

	memset(o, 0, sizeof(*o));
	o->run.tmpdir = "/tmp";
	o->run.timeout_ms = -1;
	o->run.kill_after_ms = 5000;
	o->run.rpc_timeout_ms = 30000;
	o->run.poll_initial_ms = 1;
	while ((c = getopt_long(argc, argv, "+s:w:t:C:e:EimhV", long_options,
	    NULL)) != -1) {
		switch (c) {
		case 's': o->sock = optarg; break;
		case 'w': o->wait_ms = cli_duration("--wait", optarg); break;
		case 't':
			o->run.timeout_ms = cli_duration("--timeout", optarg);
			break;
		case OPT_KILL_AFTER:
			o->run.kill_after_ms = cli_duration("--kill-after",
			    optarg);
			break;
		case OPT_RPC_TIMEOUT:
			o->run.rpc_timeout_ms = cli_duration("--rpc-timeout",
			    optarg);
			break;
		case 'C': r->cwd = optarg; break;
		case 'e': cli_push(&r->env, &r->nenv, optarg); break;
		case 'E': r->env_host = true; break;
		case 'i': o->read_stdin = true; break;
		case 'm': r->merge = true; break;
		case OPT_CAPTURE: o->run.capture = true; break;
		case OPT_TMPDIR: o->run.tmpdir = optarg; break;
		case OPT_JSON: o->json = true; break;
		case OPT_POLL_INITIAL:
			o->run.poll_initial_ms = cli_duration("--poll-initial",
			    optarg);
			break;
		case OPT_POLL_MAX:
			o->run.poll_max_ms = cli_duration("--poll-max", optarg);
			break;
		case OPT_PING: o->ping = true; break;
		case OPT_INFO: o->info = true; break;
		case 'h':
			fputs(usage_text, stdout);
			fputs(help_text, stdout);
			exit(EXIT_OK);
		case 'V':
			printf("qga-exec (vmtest-tools) %s\n", VERSION);
			exit(EXIT_OK);
		default:
			cli_usage(usage_text);
		}
	}
	r->argv = argv + optind;
	r->argc = argc - optind;
	o->run.sock = o->sock;
	o->run.collect = o->json;

	if (o->sock == NULL)
		die(EXIT_USAGE, "--sock is required (the guest agent's socket)");
	if (o->ping && o->info)
		die(EXIT_USAGE, "--ping and --info cannot be mixed");
	if ((o->ping || o->info) && r->argc > 0)
		die(EXIT_USAGE, "--%s takes no COMMAND", o->ping ? "ping" : "info");
	if (!o->ping && !o->info && r->argc == 0)
		die(EXIT_USAGE, "no COMMAND given (qga-exec --sock ADDR -- COMMAND)");
	if (o->run.poll_initial_ms == 0)
		o->run.poll_initial_ms = 1;
	if (o->run.rpc_timeout_ms == 0)
		o->run.rpc_timeout_ms = -1;
}

/* Reads all of stdin, refusing more than the agent can take. */
static void
slurp_stdin(struct request *r)
{
	size_t cap = 65536;
	ssize_t n;

	r->input = malloc(cap);
	for (;;) {
		if (r->input == NULL)
			die(EXIT_USAGE, "out of memory reading stdin");
		n = read(STDIN_FILENO, r->input + r->input_len,
		    cap - r->input_len);
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die(EXIT_USAGE, "stdin: %s", strerror(errno));
		r->input_len += n;
		if (r->input_len > MAX_STDIN)
			die(EXIT_USAGE, "stdin: more than 32 MiB, the most "
			    "--stdin can send through the agent");
		if (r->input_len == cap)
			r->input = realloc(r->input, cap *= 2);
	}
}

static void
on_signal(int sig)
{
	run_stop_signal = sig;
}

static void
catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* No SA_RESTART: a signal must cut a pause between polls short. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void
open_agent(struct qmp *q, const struct options *o)
{
	enum qmp_status st;
	struct sock_addr addr;
	char t[32];

	if (sock_addr_parse(o->sock, &addr) < 0)
		die(EXIT_USAGE, "--sock: invalid address '%s'", o->sock);
	st = qga_open(q, &addr, deadline_in_ms(o->wait_ms));
	sock_addr_free(&addr);
	if (st == QMP_OK)
		return;
	if (st == QMP_TIMEOUT && o->wait_ms > 0)
		die(EXIT_UNREACHABLE, "%s: the guest agent did not answer "
		    "within %s", o->sock, format_duration_ms(o->wait_ms, t,
		    sizeof(t)));
	if (st == QMP_TIMEOUT)
		die(EXIT_UNREACHABLE, "%s: the guest agent did not answer "
		    "(a guest still booting wants --wait)", o->sock);
	die(st == QMP_BROKEN ? EXIT_PROTOCOL : EXIT_UNREACHABLE, "%s: %s",
	    o->sock, q->why);
}

/* --ping and --info: one call, for scripts. */
static int
ask_agent(struct qmp *q, const struct options *o)
{
	enum qmp_status st;
	json_t *ret;

	st = qga_call(q, o->ping ? "guest-ping" : "guest-info", NULL,
	    deadline_in_ms(o->run.rpc_timeout_ms), &ret);
	if (st != QMP_OK) {
		error_msg("%s: %s", o->sock, q->why);
		return st == QMP_REFUSED ? EXIT_REFUSED :
		    st == QMP_BROKEN ? EXIT_PROTOCOL : EXIT_UNREACHABLE;
	}
	if (o->info && jsonl_write(stdout, ret, false) < 0)
		die(EXIT_REFUSED, "stdout: %s", strerror(errno));
	json_decref(ret);
	return EXIT_OK;
}

/*
 * The --json result.  Output that is not UTF-8 cannot be a JSON string:
 * it is null, with the exact bytes in base64 beside it.
 */
static void
add_output(json_t *result, const char *key, const struct sink *s)
{
	char b64key[32];
	json_t *text;
	char *b64;

	text = json_stringn((const char *)s->buf, s->len);
	if (text != NULL || s->len == 0) {
		json_object_set_new(result, key, text ? text : json_string(""));
		return;
	}
	b64 = base64_encode(s->buf, s->len, NULL);
	snprintf(b64key, sizeof(b64key), "%s_base64", key);
	json_object_set_new(result, key, json_null());
	json_object_set_new(result, b64key, json_string(b64));
	free(b64);
}

static void
print_result(const struct run_result *res)
{
	json_t *result = json_object();

	json_object_set_new(result, "exitcode", res->has_exitcode ?
	    json_integer(res->exitcode) : json_null());
	json_object_set_new(result, "signal", res->has_signal ?
	    json_integer(res->signal) : json_null());
	add_output(result, "stdout", &res->out);
	add_output(result, "stderr", &res->err);
	json_object_set_new(result, "truncated", json_boolean(res->truncated));
	json_object_set_new(result, "duration_ms",
	    json_integer(res->duration_ms));
	if (jsonl_write(stdout, result, false) < 0)
		die(EXIT_REFUSED, "stdout: %s", strerror(errno));
	json_decref(result);
}

int
main(int argc, char **argv)
{
	struct run_result res;
	struct options o;
	struct qmp q;
	char why[256];
	int rc;

	diag_init(argv[0]);
	parse_options(argc, argv, &o);
	if (request_check(&o.request, why, sizeof(why)) < 0)
		die(EXIT_USAGE, "%s", why);
	if (o.read_stdin)
		slurp_stdin(&o.request);

	open_agent(&q, &o);
	if (o.ping || o.info) {
		rc = ask_agent(&q, &o);
		qga_close(&q);
		return rc;
	}

	memset(&res, 0, sizeof(res));
	sink_init(&res.out, STDOUT_FILENO, o.json);
	sink_init(&res.err, o.request.merge ? STDOUT_FILENO : STDERR_FILENO,
	    o.json);
	catch_signals();
	run_command(&q, &o.request, &o.run, &res);
	qga_close(&q);
	if (o.json && (res.has_exitcode || res.has_signal))
		print_result(&res);

	sink_free(&res.out);
	sink_free(&res.err);
	free(o.request.env);
	free(o.request.input);
	return res.status;
}
