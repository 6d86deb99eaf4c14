/*
 * request: what the user asked qga-exec to run, and the arguments of the
 * guest-exec call that runs it.
 */
#ifndef QGA_EXEC_REQUEST_H
#define QGA_EXEC_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct request {
	char **argv;			/* COMMAND and its ARGs */
	int argc;
	const char *cwd;		/* guest directory, or NULL */
	char **env;			/* K=V words from --env */
	int nenv;
	bool env_host;			/* send this environment */
	bool merge;			/* stderr into stdout, in order */
	unsigned char *input;		/* --stdin bytes, or NULL */
	size_t input_len;
};

/* How the command's output reaches us. */
enum output_route {
	ROUTE_FILES,		/* two guest files, tailed (default) */
	ROUTE_FILE,		/* one guest file, stderr merged into it */
	ROUTE_CAPTURE,		/* the agent's capture-output, at exit */
};

/* The most --stdin sends: the agent takes 64 MiB lines, in base64. */
#define REQUEST_MAX_INPUT (32u << 20)

/*
 * Checks what can be checked before connecting: ENV names, UTF-8.
 * Returns -1 with a reason in why.
 */
int request_check(const struct request *r, char *why, size_t whylen);

/*
 * Reads all of stdin into r->input (--stdin), or exits: 2 past
 * REQUEST_MAX_INPUT, 71 when it cannot be read or held, 128+N for a stop
 * signal.
 */
void request_read_stdin(struct request *r);

/*
 * The guest-exec arguments.  out_path and err_path are the guest files
 * for the file routes (err_path NULL for ROUTE_FILE).  merged_enum says
 * the agent takes capture-output "merged" (8.1 and later).
 */
json_t *request_exec_args(const struct request *r, enum output_route route,
    const char *out_path, const char *err_path, bool merged_enum);

/* The guest-exec arguments that send SIGNAL to pid and its descendants. */
json_t *request_kill_args(const char *signal, long long pid);

#endif
