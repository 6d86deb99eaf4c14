/*
 * Fuzzes nbd-fault's rule files: any bytes through rules_parse in both
 * modes, and what parses through rules_match, with messages of every
 * event and direction from two connections and a fixed seed.  Beyond the
 * sanitizers, it checks what a parse promises: one error or none, rules
 * that keep their invariants, and matches in file order that fit the
 * message.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tools/nbd-fault/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_rule(const struct rule *r)
{
	if (strncmp(r->name, "inject-error", 12) != 0 ||
	    (unsigned)r->event >= EV_COUNT || r->io < 1 || r->io > 3 ||
	    r->when < WHEN_AFTER || !(r->rate >= 0 && r->rate <= 1) ||
	    (r->has_range && r->range_start >= r->range_end) ||
	    (r->once && (r->count != 1 || !r->server_scope)) ||
	    r->corrupt_bits == 0 || action_name(r->action) == NULL ||
	    r->seen != 0 || r->fired != 0)
		abort();
}

static void
match_all(struct rule_set *set)
{
	static const uint64_t offsets[] = { 0, 4095, 4096, UINT64_MAX - 7 };
	static const uint64_t lengths[] = { 0, 1, 512, UINT64_MAX };
	struct rule_state st[2];
	struct message m;
	const struct rule *r;
	size_t *idx, n, i;
	int k;

	if ((idx = calloc(set->n + 1, sizeof(*idx))) == NULL)
		abort();
	rule_state_init(&st[0], set, 1, 12345);
	rule_state_init(&st[1], set, 2, 12345);
	for (k = 0; k < 96; k++) {
		memset(&m, 0, sizeof(m));
		m.event = (enum event)(k % EV_COUNT);
		m.io = (k / EV_COUNT) % 2 ? IO_READ : IO_WRITE;
		m.command = k % 10 - 1;
		m.option = k % 12 - 1;
		m.offset = offsets[k % 4];
		m.length = lengths[(k / 4) % 4];
		m.size = 28;
		n = rules_match(set, &st[k % 2], &m, idx);
		if (n > set->n)
			abort();
		for (i = 0; i < n; i++) {
			if (idx[i] >= set->n || (i > 0 && idx[i] <= idx[i - 1]))
				abort();
			r = &set->rules[idx[i]];
			if (r->event != m.event || (r->io & m.io) == 0)
				abort();
		}
	}
	rule_state_free(&st[0]);
	rule_state_free(&st[1]);
	free(idx);
}

/*
 * Whether err is rules-parse.c's "FILE:LINE: libinih and configparser
 * disagree on this line" (not a value that happens to hold those words).
 */
static bool
disagrees(const char *err)
{
	const char *p = err + strlen("fuzz.ini:");

	if (strncmp(err, "fuzz.ini:", strlen("fuzz.ini:")) != 0)
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	return strcmp(p, ": libinih and configparser disagree on this "
	    "line") == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rule_set set;
	char err[512];
	size_t i;
	int compat, rc;

	for (compat = 0; compat < 2; compat++) {
		rc = rules_parse((const char *)data, size, "fuzz.ini",
		    compat, &set, err, sizeof(err));
		if (rc == -1) {
			/*
			 * The reader rewrites lines so that libinih and
			 * configparser agree: this message is a bug.
			 */
			if (err[0] == '\0' || set.n != 0 || disagrees(err))
				abort();
		} else {
			if (rc != 0 || err[0] != '\0')
				abort();
			for (i = 0; i < set.n; i++)
				check_rule(&set.rules[i]);
			match_all(&set);
		}
		rules_free(&set);
	}
	return 0;
}
