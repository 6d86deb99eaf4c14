/*
 * rules: the fault rules of nbd-fault, from an INI file, and the matching
 * of protocol messages against them.
 *
 * A rule is an [inject-error ...] section.  It names an event (a kind of
 * protocol message), may narrow it down (command, option, offset range,
 * the nth occurrence, a probability, a trigger file, a connection), and
 * says what to do (an action) and where in the message (when).  The
 * Python injector's files are valid rule files with the same meaning.
 */
#ifndef NBD_FAULT_RULES_H
#define NBD_FAULT_RULES_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"

/* Protocol messages, in the order a connection meets them. */
enum event {
	EV_NEG_CLASSIC,		/* oldstyle greeting, 152 bytes sent */
	EV_NEG1,		/* newstyle greeting, 18 bytes sent */
	EV_EXPORT,		/* client flags (+ first option header in compat), read */
	EV_OPTION,		/* an option header, 16 bytes read (full mode) */
	EV_OPTION_REPLY,	/* an option reply, sent (full mode) */
	EV_NEG2,		/* the EXPORT_NAME answer, 10 or 134 bytes sent */
	EV_REQUEST,		/* a request header, 28 bytes read */
	EV_REPLY,		/* a reply header (simple, or a structured chunk's) */
	EV_DATA,		/* a READ's data sent, or a WRITE's payload read */
	EV_COUNT
};

enum io_dir { IO_READ = 1, IO_WRITE = 2, IO_READWRITE = 3 };

enum action {
	ACT_EXIT,		/* print the match line, exit 0 (the injector's) */
	ACT_CLOSE,		/* close this connection (FIN) */
	ACT_RESET,		/* reset this connection (RST) */
	ACT_ERROR,		/* an error reply with errno_wire instead */
	ACT_DELAY,		/* pause delay_ms, then go on */
	ACT_STALL,		/* stop talking, keep the connection open */
	ACT_CORRUPT,		/* flip corrupt_bits bits in READ data */
	ACT_TRUNCATE,		/* send READ data short, then go on */
	ACT_POWER_CUT,		/* lose unflushed writes, close every connection */
};

#define WHEN_BEFORE 0
#define WHEN_AFTER (-1)

struct rule {
	char *name;		/* the section as written: inject-error "x" */
	unsigned line;		/* the section's line in the file */
	enum event event;
	unsigned io;		/* enum io_dir bits */
	int64_t when;		/* WHEN_BEFORE, WHEN_AFTER or a byte count */

	/* Selectors; each one unset matches everything. */
	uint32_t commands;	/* bit (1 << NBD command) for request/reply/data */
	int option;		/* NBD option number for option events, or -1 */
	bool has_range;
	uint64_t range_start, range_end;	/* a request overlapping [start, end) */
	uint64_t skip;		/* let this many matches pass first */
	uint64_t count;		/* fire at most this many times; 0 = no limit */
	double rate;		/* probability of firing, 0..1; 1 = always */
	bool once;		/* fire once in the server's life (count=1, server scope) */
	char *trigger;		/* only while this file exists, or NULL */
	uint64_t connection;	/* only on the nth connection (1-based); 0 = any */
	bool server_scope;	/* skip/count over all connections, not each */

	/* The action. */
	enum action action;
	uint32_t errno_wire;	/* NBD errno for ACT_ERROR (default EIO = 5) */
	int64_t delay_ms;	/* ACT_DELAY */
	unsigned corrupt_bits;	/* ACT_CORRUPT, default 1 */
	enum lose lose;		/* ACT_POWER_CUT, default LOSE_ALL */

	/* Server-scope counters, under the rule set's lock. */
	uint64_t seen, fired;
};

struct rule_set {
	struct rule *rules;
	size_t n;
	pthread_mutex_t lock;	/* guards server-scope counters */
};

/* Per connection: its index and its own counters and random stream. */
struct rule_state {
	uint64_t connection;	/* 1-based index of the connection */
	uint64_t *seen, *fired;	/* per rule, for connection-scope rules */
	uint64_t rng;		/* xorshift state, from --seed and the index */
};

/* A message about to move, as the matcher sees it. */
struct message {
	enum event event;
	enum io_dir io;		/* IO_READ (we receive) or IO_WRITE (we send) */
	int command;		/* NBD command for request/reply/data, or -1 */
	int option;		/* NBD option for option events, or -1 */
	uint64_t offset, length;	/* the request's, for request/reply/data */
	size_t size;		/* bytes in this message */
};

/*
 * Loads a rule file.  compat selects the injector's rules: unknown keys
 * are ignored and errors read as the injector's ('missing "event" option
 * in NAME'); otherwise unknown keys are errors and every error names
 * FILE:LINE.  Returns 0, or -1 with one line in err.
 */
int rules_load(const char *path, bool compat, struct rule_set *set,
    char *err, size_t errlen);

/* The same from a string (for tests and fuzzing); name stands for the file. */
int rules_parse(const char *text, size_t len, const char *name, bool compat,
    struct rule_set *set, char *err, size_t errlen);

void rules_free(struct rule_set *set);

/*
 * A connection's counters and random stream: 0, or -1 with errno ENOMEM
 * and nothing held.  Only that connection needs them, so running short
 * refuses it alone; the server goes on.
 */
int rule_state_init(struct rule_state *st, const struct rule_set *set,
    uint64_t connection, uint64_t seed);
void rule_state_free(struct rule_state *st);

/*
 * Matches m against the rules, in file order, counting occurrences and
 * drawing probabilities once per message, and stores the matching rules'
 * indexes in matches (room for set->n).  Returns how many matched.
 */
size_t rules_match(struct rule_set *set, struct rule_state *st,
    const struct message *m, size_t *matches);

/*
 * Whether a rule on event ev selects by content (command, offset or
 * option): only then must a message be looked at before it is judged.
 */
bool rules_select_by_content(const struct rule_set *set, enum event ev);

/* Names for messages and logs. */
const char *event_name(enum event e);
const char *action_name(enum action a);

#endif
