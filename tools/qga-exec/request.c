#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "diag.h"
#include "request.h"
#include "stop.h"
#include "xalloc.h"

extern char **environ;

/*
 * The guest side of every run but a plain capture: POSIX sh, so that any
 * guest with /bin/sh will do.  It points stdout and stderr at the files
 * qga-exec has already opened for reading and unlinks them at once (the
 * open handles keep the data, and nothing is left behind however the run
 * ends), exports the --env words, changes directory, and becomes the
 * command, so that the pid guest-exec returns is the command's own.
 */
static const char wrapper[] =
	"mode=$1 out=$2 err=$3 dir=$4 n=$5\n"
	"shift 5\n"
	"case $mode in\n"
	"files) exec >>\"$out\" 2>>\"$err\"; rm -f -- \"$out\" \"$err\" ;;\n"
	"file) exec >>\"$out\" 2>&1; rm -f -- \"$out\" ;;\n"
	"merge) exec 2>&1 ;;\n"
	"esac\n"
	"while [ \"$n\" -gt 0 ]; do export \"$1\"; shift; n=$((n - 1)); done\n"
	"if [ -n \"$dir\" ]; then cd -- \"$dir\" || exit 126; fi\n"
	"exec \"$@\"\n";

static bool
is_env_name(const char *word, size_t len)
{
	size_t i;

	if (len == 0 || (word[0] >= '0' && word[0] <= '9'))
		return false;
	for (i = 0; i < len; i++)
		if (!(word[i] == '_' || (word[i] >= 'a' && word[i] <= 'z') ||
		    (word[i] >= 'A' && word[i] <= 'Z') ||
		    (word[i] >= '0' && word[i] <= '9')))
			return false;
	return true;
}

static bool
is_utf8(const char *s)
{
	json_t *v = json_string(s);

	json_decref(v);
	return v != NULL;
}

int
request_check(const struct request *r, char *why, size_t whylen)
{
	const char *eq;
	int i;

	for (i = 0; i < r->nenv; i++) {
		eq = strchr(r->env[i], '=');
		if (eq == NULL || !is_env_name(r->env[i], eq - r->env[i])) {
			snprintf(why, whylen, "--env '%s': expected NAME=VALUE",
			    r->env[i]);
			return -1;
		}
		if (!is_utf8(r->env[i])) {
			snprintf(why, whylen, "--env '%s': not valid UTF-8",
			    r->env[i]);
			return -1;
		}
	}
	for (i = 0; i < r->argc; i++)
		if (!is_utf8(r->argv[i])) {
			snprintf(why, whylen, "argument %d is not valid UTF-8 "
			    "(the agent takes only UTF-8)", i + 1);
			return -1;
		}
	if (r->cwd != NULL && !is_utf8(r->cwd)) {
		snprintf(why, whylen, "--cwd: not valid UTF-8");
		return -1;
	}
	return 0;
}

void
request_read_stdin(struct request *r)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	size_t cap = 65536;
	ssize_t n;

	r->input = xmalloc(cap);
	for (;;) {
		/* A writer that takes its time must not hold off a Ctrl-C. */
		if (stop_poll(&pfd, 1, DEADLINE_NEVER) < 0) {
			if (errno == EINTR)
				exit(EXIT_SIGNAL_BASE + stop_signal());
			die_errno(EXIT_LOCAL, "stdin");
		}
		n = read(STDIN_FILENO, r->input + r->input_len,
		    cap - r->input_len);
		if (n == 0)
			break;
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			die_errno(EXIT_LOCAL, "stdin");
		r->input_len += n;
		if (r->input_len > REQUEST_MAX_INPUT)
			die(EXIT_USAGE, "stdin: more than 32 MiB, the most "
			    "--stdin can send through the agent");
		if (r->input_len == cap)
			r->input = xrealloc(r->input, cap *= 2);
	}
}

/* A PATH a guest can find commands with: ours, plus the usual places. */
static char *
sensible_path(const char *path)
{
	static const char *usual[] = { "/usr/local/sbin", "/usr/local/bin",
	    "/usr/sbin", "/usr/bin", "/sbin", "/bin" };
	char *out, *p;
	size_t i, len, dlen;

	if (path == NULL)
		path = "";
	out = xmalloc(strlen(path) + 128);
	p = stpcpy(stpcpy(out, "PATH="), path);
	for (i = 0; i < sizeof(usual) / sizeof(usual[0]); i++) {
		dlen = strlen(usual[i]);
		for (const char *s = path; *s != '\0'; s += len + (s[len] == ':')) {
			len = strcspn(s, ":");
			if (len == dlen && strncmp(s, usual[i], len) == 0)
				goto present;
		}
		if (p[-1] != '=')
			*p++ = ':';
		p = stpcpy(p, usual[i]);
present:
		;
	}
	return out;
}

/* This process's environment with a sensible PATH, as a JSON array. */
static json_t *
host_environment(void)
{
	json_t *env = json_array();
	char **e, *path = sensible_path(getenv("PATH"));

	for (e = environ; *e != NULL; e++)
		if (strncmp(*e, "PATH=", 5) != 0)
			json_array_append_new(env, json_string(*e));
	json_array_append_new(env, json_string(path));
	free(path);
	return env;
}

json_t *
request_exec_args(const struct request *r, enum output_route route,
    const char *out_path, const char *err_path, bool merged_enum)
{
	bool wrapped = route != ROUTE_CAPTURE || r->cwd != NULL ||
	    r->nenv > 0 || (r->merge && !merged_enum);
	const char *mode = route == ROUTE_FILES ? "files" :
	    route == ROUTE_FILE ? "file" : r->merge && !merged_enum ? "merge" :
	    "none";
	json_t *args, *arg;
	char count[16];
	int i;

	args = json_object();
	arg = json_array();
	if (wrapped) {
		snprintf(count, sizeof(count), "%d", r->nenv);
		json_object_set_new(args, "path", json_string("/bin/sh"));
		json_array_append_new(arg, json_string("-c"));
		json_array_append_new(arg, json_string(wrapper));
		json_array_append_new(arg, json_string("qga-exec"));
		json_array_append_new(arg, json_string(mode));
		json_array_append_new(arg, json_string(out_path ? out_path : ""));
		json_array_append_new(arg, json_string(err_path ? err_path : ""));
		json_array_append_new(arg, json_string(r->cwd ? r->cwd : ""));
		json_array_append_new(arg, json_string(count));
		for (i = 0; i < r->nenv; i++)
			json_array_append_new(arg, json_string(r->env[i]));
		for (i = 0; i < r->argc; i++)
			json_array_append_new(arg, json_string(r->argv[i]));
	} else {
		json_object_set_new(args, "path", json_string(r->argv[0]));
		for (i = 1; i < r->argc; i++)
			json_array_append_new(arg, json_string(r->argv[i]));
	}
	json_object_set_new(args, "arg", arg);
	if (r->env_host)
		json_object_set_new(args, "env", host_environment());
	if (route == ROUTE_CAPTURE)
		json_object_set_new(args, "capture-output",
		    r->merge && merged_enum ? json_string("merged") :
		    json_true());
	if (r->input != NULL) {
		char *b64 = base64_encode(r->input, r->input_len, NULL);

		json_object_set_new(args, "input-data", json_string(b64));
		free(b64);
	}
	return args;
}

/*
 * Signals a process and all its descendants, found through
 * /proc/PID/task/TID/children and all collected before any is signalled.
 * The command shares the agent's process group: a group kill is no option.
 */
static const char killer[] =
	"sig=$1 pids=\n"
	"walk() {\n"
	"	pids=\"$pids $1\"\n"
	"	for t in /proc/$1/task/*/children; do\n"
	"		[ -r \"$t\" ] || continue\n"
	"		for c in $(cat \"$t\"); do walk \"$c\"; done\n"
	"	done\n"
	"}\n"
	"walk \"$2\"\n"
	"kill -s \"$sig\" $pids 2>/dev/null\n"
	"exit 0\n";

json_t *
request_kill_args(const char *signal, long long pid)
{
	char id[32];

	snprintf(id, sizeof(id), "%lld", pid);
	return json_pack("{s:s,s:[s,s,s,s,s]}", "path", "/bin/sh", "arg", "-c",
	    killer, "sh", signal, id);
}
