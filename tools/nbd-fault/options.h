/*
 * options: the command line in its two dialects: the injector's (ADDR and
 * RULES, at most --classic-negotiation), which makes nbd-fault that tool,
 * and the full server's.
 */
#ifndef NBD_FAULT_OPTIONS_H
#define NBD_FAULT_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "conn.h"
#include "sock.h"

struct options {
	bool compat, full_option;
	const char *backend;
	uint64_t size;
	bool size_given;
	const char *addr, *rules_path, *pidfile, *write_log;
	bool exit_with_parent, once;
	uint64_t volatile_max;		/* 0: no volatile cache */
	struct server srv;
};

/*
 * Fills o from the command line, or exits: --help and --version 0, misuse
 * 2, or 1 with the injector's usage lines for its own command line.
 */
void options_parse(int argc, char **argv, struct options *o);

/* ADDR as the mode reads it (free with sock_addr_free), or exits 2. */
void options_address(const struct options *o, struct sock_addr *addr);

#endif
