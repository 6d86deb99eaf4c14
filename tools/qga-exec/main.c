/*
 * qga-exec: run a command in the guest through the QEMU guest agent, as
 * if it ran here: its output on our stdout and stderr as it comes, its
 * exit status ours.
 *
 * The job: check the request, connect to the agent and synchronise
 * (waiting for a booting guest if asked, and only as long as QEMU lives),
 * mount the shares asked for, start the command with its output going to
 * guest files we tail, poll its status on an adaptive schedule, stop it
 * on a timeout, a signal or an output nobody reads, and exit with its
 * status.
 */
#include <sys/prctl.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "cli.h"
#include "diag.h"
#include "mount.h"
#include "request.h"
#include "run.h"
#include "stop.h"

static const char usage_text[] =
"usage: qga-exec --sock ADDR [--wait DURATION] [--pid PID] [--timeout DURATION]\n"
"                [--kill-after DURATION] [--rpc-timeout DURATION] [--cwd DIR]\n"
"                [--env NAME=VALUE ...] [--env-host] [--stdin] [--merge]\n"
"                [--capture] [--tmpdir DIR] [--json] [--poll-initial DURATION]\n"
"                [--poll-max DURATION] [--mount TAG:DIR[:ro|:rw] ...]\n"
"                [--tee FILE] -- COMMAND [ARG ...]\n"
"       qga-exec --sock ADDR [--wait DURATION] [--pid PID]\n"
"                --mount TAG:DIR[:ro|:rw] ...\n"
"       qga-exec --sock ADDR [--wait DURATION] [--pid PID] --ping | --info\n";

static const char help_text[] =
"\n"
"Runs COMMAND in the guest through the QEMU guest agent at ADDR: its output\n"
"streams to our stdout and stderr, and its exit status is ours.\n"
"\n"
"  -s, --sock ADDR          the agent's socket: a Unix path, HOST:PORT, unix:, tcp:\n"
"  -w, --wait DURATION      keep reconnecting until the agent answers (default 0)\n"
"      --pid PID            QEMU's pid: if it exits, stop at once with 69\n"
"  -t, --timeout DURATION   stop the command after DURATION and exit 124\n"
"      --kill-after DURATION  SIGKILL this long after SIGTERM (default 5s)\n"
"      --rpc-timeout DURATION  bound on each agent reply (default 30s)\n"
"  -C, --cwd DIR            run in guest directory DIR\n"
"  -e, --env NAME=VALUE     set a variable for the command (repeatable)\n"
"  -E, --env-host           pass this environment, with a sensible PATH\n"
"  -i, --stdin              send our stdin as the command's input (32 MiB at most)\n"
"  -m, --merge              stderr into stdout, in order\n"
"      --tee FILE           also append the output, both streams in order, to FILE\n"
"      --capture            the agent's own capture: output at exit, 16 MiB cap\n"
"      --tmpdir DIR         guest directory for the output files (default /tmp)\n"
"      --json               no streaming: print one JSON result line\n"
"      --poll-initial DURATION  first pause between status polls (default 1ms)\n"
"      --poll-max DURATION  longest pause (default 100ms, 250ms after 2s, 1s after 30s)\n"
"      --mount TAG:DIR[:ro|:rw]  mount 9p share TAG at guest DIR first (repeatable)\n"
"      --ping               exit 0 if the agent answers\n"
"      --info               print guest-info as JSON\n"
"  -h, --help               this help\n"
"  -V, --version            print the version\n"
"\n"
"Exit status: the command's; 128+N if killed by signal N (or if we were);\n"
"126/127 if it could not be executed/found; 1 agent refused or a share could\n"
"not be mounted, 2 usage, 69 agent unreachable or gone or QEMU exited,\n"
"71 local failure (our output unwritable), 76 protocol error, 124 timeout.\n";

enum {
	OPT_PID = 256,
	OPT_KILL_AFTER,
	OPT_RPC_TIMEOUT,
	OPT_CAPTURE,
	OPT_TMPDIR,
	OPT_JSON,
	OPT_POLL_INITIAL,
	OPT_POLL_MAX,
	OPT_MOUNT,
	OPT_TEE,
	OPT_PING,
	OPT_INFO,
};

static const struct option long_options[] = {
	{ "sock", required_argument, NULL, 's' },
	{ "wait", required_argument, NULL, 'w' },
	{ "pid", required_argument, NULL, OPT_PID },
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
	{ "mount", required_argument, NULL, OPT_MOUNT },
	{ "tee", required_argument, NULL, OPT_TEE },
	{ "ping", no_argument, NULL, OPT_PING },
	{ "info", no_argument, NULL, OPT_INFO },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

struct options {
	int64_t wait_ms;
	pid_t qemu_pid;
	bool ping, info, json, read_stdin;
	int tee;		/* --tee FILE, or -1 */
	struct mount mounts[MOUNT_MAX];
	int nmounts;
	struct agent agent;
	struct request request;
	struct run_config run;
};

static void
add_mount(struct options *o, const char *text)
{
	char why[512];

	if (o->nmounts == MOUNT_MAX)
		die(EXIT_USAGE, "--mount: more than %d shares", MOUNT_MAX);
	if (mount_parse(text, &o->mounts[o->nmounts], why, sizeof(why)) < 0)
		die(EXIT_USAGE, "%s", why);
	o->nmounts++;
}

static void
check_options(struct options *o)
{
	const char *mode = o->ping ? "--ping" : "--info";

	if (o->agent.sock == NULL)
		die(EXIT_USAGE, "--sock is required (the guest agent's socket)");
	if (o->ping && o->info)
		die(EXIT_USAGE, "--ping and --info cannot be mixed");
	if ((o->ping || o->info) && (o->request.argc > 0 || o->nmounts > 0))
		die(EXIT_USAGE, "%s takes no COMMAND and no --mount", mode);
	if (!o->ping && !o->info && o->request.argc == 0 && o->nmounts == 0)
		die(EXIT_USAGE, "no COMMAND given (qga-exec --sock ADDR -- COMMAND)");
	if (o->run.poll_initial_ms == 0)
		o->run.poll_initial_ms = 1;
	if (o->agent.rpc_timeout_ms == 0)
		o->agent.rpc_timeout_ms = -1;
}

static void
parse_options(int argc, char **argv, struct options *o)
{
	struct request *r = &o->request;
	struct run_config *c = &o->run;
	int ch;

	memset(o, 0, sizeof(*o));
	c->tmpdir = "/tmp";
	c->timeout_ms = -1;
	c->kill_after_ms = 5000;
	c->poll_initial_ms = 1;
	o->agent.rpc_timeout_ms = 30000;
	o->tee = -1;
	while ((ch = getopt_long(argc, argv, "+s:w:t:C:e:EimhV",
	    long_options, NULL)) != -1) {
		switch (ch) {
		case 's': o->agent.sock = optarg; break;
		case 'w': o->wait_ms = cli_duration("--wait", optarg); break;
		case OPT_PID:
			o->qemu_pid = (pid_t)cli_uint("--pid", optarg, 1, INT32_MAX);
			break;
		case 't': c->timeout_ms = cli_duration("--timeout", optarg); break;
		case OPT_KILL_AFTER:
			c->kill_after_ms = cli_duration("--kill-after", optarg);
			break;
		case OPT_RPC_TIMEOUT:
			o->agent.rpc_timeout_ms = cli_duration("--rpc-timeout",
			    optarg);
			break;
		case 'C': r->cwd = optarg; break;
		case 'e': cli_push(&r->env, &r->nenv, optarg); break;
		case 'E': r->env_host = true; break;
		case 'i': o->read_stdin = true; break;
		case 'm': r->merge = true; break;
		case OPT_CAPTURE: c->capture = true; break;
		case OPT_TMPDIR: c->tmpdir = optarg; break;
		case OPT_JSON: o->json = true; break;
		case OPT_POLL_INITIAL:
			c->poll_initial_ms = cli_duration("--poll-initial", optarg);
			break;
		case OPT_POLL_MAX:
			c->poll_max_ms = cli_duration("--poll-max", optarg);
			break;
		case OPT_MOUNT: add_mount(o, optarg); break;
		case OPT_TEE: o->tee = tee_open(optarg); break;
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
	check_options(o);
}

/*
 * qga-exec may outlive whoever started it (a driver killed with SIGKILL):
 * it then gets SIGTERM, a stop like any other.  A parent that died before
 * the request would leave us reparented already: that is a stop too.
 */
static void
die_with_parent(void)
{
	pid_t parent = getppid();

	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == 0 && getppid() != parent)
		raise(SIGTERM);
}

static int
finish(struct options *o, struct run_result *res)
{
	int rc = res->status;

	if (o->json && (res->has_exitcode || res->has_signal) &&
	    run_print_result(res) < 0) {
		error_errno("stdout");
		rc = EXIT_LOCAL;
	}
	sink_free(&res->out);
	sink_free(&res->err);
	return rc;
}

int
main(int argc, char **argv)
{
	static struct options o;
	struct run_result res;
	char why[256];
	int i, rc;

	diag_init(argv[0]);
	parse_options(argc, argv, &o);
	if (request_check(&o.request, why, sizeof(why)) < 0)
		die(EXIT_USAGE, "%s", why);
	/* Our output may go to a reader that leaves: EPIPE, not death. */
	signal(SIGPIPE, SIG_IGN);
	stop_catch();
	die_with_parent();
	if (o.read_stdin)
		request_read_stdin(&o.request);
	if (o.qemu_pid != 0)
		agent_watch_qemu(&o.agent, o.qemu_pid);

	agent_open(&o.agent, o.wait_ms);
	rc = EXIT_OK;
	if (o.ping || o.info)
		rc = agent_ask(&o.agent, o.info);
	else if (o.nmounts > 0)
		rc = mount_all(&o.agent, o.mounts, o.nmounts);
	if (rc == EXIT_OK && o.request.argc > 0) {
		memset(&res, 0, sizeof(res));
		sink_init(&res.out, STDOUT_FILENO, "stdout", o.json);
		sink_init(&res.err, o.request.merge ? STDOUT_FILENO :
		    STDERR_FILENO, o.request.merge ? "stdout" : "stderr", o.json);
		res.out.tee = res.err.tee = o.tee;
		run_command(&o.agent, &o.request, &o.run, &res);
		rc = finish(&o, &res);
	}
	agent_close(&o.agent);
	for (i = 0; i < o.nmounts; i++)
		mount_free(&o.mounts[i]);
	free(o.request.env);
	free(o.request.input);
	return rc;
}
