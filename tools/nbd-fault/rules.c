/*
 * rules: matching protocol messages against the fault rules.  The rule
 * file itself is read in rules-parse.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "rules.h"

/* The config spellings, which rules-parse.c looks names up in. */
static const char *const event_names[EV_COUNT] = {
	[EV_NEG_CLASSIC] = "neg-classic",
	[EV_NEG1] = "neg1",
	[EV_EXPORT] = "export",
	[EV_OPTION] = "option",
	[EV_OPTION_REPLY] = "option-reply",
	[EV_NEG2] = "neg2",
	[EV_REQUEST] = "request",
	[EV_REPLY] = "reply",
	[EV_DATA] = "data",
};

static const char *const action_names[] = {
	[ACT_EXIT] = "exit",
	[ACT_CLOSE] = "close",
	[ACT_RESET] = "reset",
	[ACT_ERROR] = "error",
	[ACT_DELAY] = "delay",
	[ACT_STALL] = "stall",
	[ACT_CORRUPT] = "corrupt",
	[ACT_TRUNCATE] = "truncate",
	[ACT_POWER_CUT] = "power-cut",
};

const char *
event_name(enum event e)
{
	if ((unsigned)e >= EV_COUNT)
		return NULL;
	return event_names[e];
}

const char *
action_name(enum action a)
{
	if ((unsigned)a >= sizeof(action_names) / sizeof(action_names[0]))
		return NULL;
	return action_names[a];
}

/* splitmix64: spreads a seed over all 64 bits, so seeds 1, 2, 3 differ. */
static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* xorshift64*: small, fast, and the same on every host for one seed. */
static uint64_t
next_random(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

int
rule_state_init(struct rule_state *st, const struct rule_set *set,
    uint64_t connection, uint64_t seed)
{
	st->connection = connection;
	st->seen = NULL;
	st->fired = NULL;
	if (set->n > 0) {
		st->seen = calloc(set->n, sizeof(*st->seen));
		st->fired = calloc(set->n, sizeof(*st->fired));
		if (st->seen == NULL || st->fired == NULL) {
			rule_state_free(st);
			errno = ENOMEM;
			return -1;
		}
	}
	/*
	 * Each connection draws from its own stream, a function of the seed
	 * and its index only, so a run repeats whatever order the
	 * connections' threads happen to run in.  xorshift must not start
	 * at 0, where it stays.
	 */
	st->rng = mix(seed ^ mix(connection));
	if (st->rng == 0)
		st->rng = 0x2545f4914f6cdd1dULL;
	return 0;
}

void
rule_state_free(struct rule_state *st)
{
	free(st->seen);
	free(st->fired);
	st->seen = NULL;
	st->fired = NULL;
}

/*
 * Whether the request [offset, offset + length) overlaps [start, end).  A
 * zero-length request counts as the point at its offset, so that a FLUSH
 * or a zero-length READ inside the range matches.  The request's end may
 * pass 2^64 in a hostile request: it saturates.
 */
static bool
overlaps(const struct rule *r, const struct message *m)
{
	uint64_t end;

	if (m->length == 0)
		return m->offset >= r->range_start && m->offset < r->range_end;
	end = m->length > UINT64_MAX - m->offset ? UINT64_MAX :
	    m->offset + m->length;
	return m->offset < r->range_end && end > r->range_start;
}

/* The selectors that do not count anything. */
static bool
selects(const struct rule *r, const struct rule_state *st,
    const struct message *m)
{
	if (r->event != m->event || (r->io & (unsigned)m->io) == 0)
		return false;
	if (r->commands != 0 && (m->command < 0 || m->command > 31 ||
	    (r->commands & (UINT32_C(1) << m->command)) == 0))
		return false;
	if (r->option >= 0 && m->option != r->option)
		return false;
	if (r->has_range && !overlaps(r, m))
		return false;
	if (r->connection != 0 && r->connection != st->connection)
		return false;
	/* Last: the only selector that costs a system call. */
	if (r->trigger != NULL && access(r->trigger, F_OK) != 0)
		return false;
	return true;
}

/*
 * One more occurrence of the rule: whether it fires.  A draw that fails
 * still counts as seen (skip counts occurrences, not firings) but not as
 * fired.  Rates 0 and 1 draw nothing, so adding a sure rule does not shift
 * the random stream of the others.
 */
static bool
counts(const struct rule *r, struct rule_state *st, uint64_t *seen,
    uint64_t *fired)
{
	double u;

	if (*seen < UINT64_MAX)
		(*seen)++;
	if (*seen <= r->skip)
		return false;
	if (r->count != 0 && *fired >= r->count)
		return false;
	if (r->rate <= 0)
		return false;
	if (r->rate < 1) {
		u = (double)(next_random(&st->rng) >> 11) * 0x1.0p-53;
		if (u >= r->rate)
			return false;
	}
	(*fired)++;
	return true;
}

size_t
rules_match(struct rule_set *set, struct rule_state *st,
    const struct message *m, size_t *matches)
{
	struct rule *r;
	size_t i, n = 0;
	bool fire;

	for (i = 0; i < set->n; i++) {
		r = &set->rules[i];
		if (!selects(r, st, m))
			continue;
		if (r->server_scope) {
			pthread_mutex_lock(&set->lock);
			fire = counts(r, st, &r->seen, &r->fired);
			pthread_mutex_unlock(&set->lock);
		} else
			fire = counts(r, st, &st->seen[i], &st->fired[i]);
		if (fire)
			matches[n++] = i;
	}
	return n;
}

bool
rules_select_by_content(const struct rule_set *set, enum event ev)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (set->rules[i].event == ev && (set->rules[i].commands != 0 ||
		    set->rules[i].has_range || set->rules[i].option >= 0))
			return true;
	return false;
}
