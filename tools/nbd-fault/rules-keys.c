/*
 * rules-keys: the meaning of a rule file's keys.  Each [inject-error ...]
 * section becomes a struct rule: first the injector's keys with its
 * checks and words, then ours.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ascii.h"
#include "parse.h"
#include "rules-file.h"
#include "rules.h"
#include "xalloc.h"

struct name {
	const char *name;
	unsigned value;
};

static const struct name command_names[] = {
	{ "read", 0 }, { "write", 1 }, { "disc", 2 }, { "flush", 3 },
	{ "trim", 4 }, { "cache", 5 }, { "zeroes", 6 }, { "write-zeroes", 6 },
	{ "block-status", 7 }, { NULL, 0 }
};

static const struct name option_names[] = {
	{ "export-name", 1 }, { "abort", 2 }, { "list", 3 }, { "starttls", 5 },
	{ "info", 6 }, { "go", 7 }, { "structured-reply", 8 },
	{ "list-meta-context", 9 }, { "set-meta-context", 10 }, { NULL, 0 }
};

/* The protocol's errno values, not the host's. */
static const struct name errno_names[] = {
	{ "EPERM", 1 }, { "EIO", 5 }, { "ENOMEM", 12 }, { "EINVAL", 22 },
	{ "ENOSPC", 28 }, { "EOVERFLOW", 75 }, { "ENOTSUP", 95 },
	{ "ESHUTDOWN", 108 }, { NULL, 0 }
};

static const struct name lose_names[] = {
	{ "all", LOSE_ALL }, { "none", LOSE_NONE }, { "random", LOSE_RANDOM },
	{ "prefix", LOSE_PREFIX }, { NULL, 0 }
};

static const char *const known_keys[] = {
	"event", "io", "when", "command", "commands", "option", "offset",
	"skip", "count", "once", "rate", "trigger", "trigger-file",
	"connection", "scope", "action", "errno", "delay", "bits", "lose", NULL
};

static bool
lookup(const struct name *t, const char *s, unsigned *value)
{
	for (; t->name != NULL; t++) {
		if (ascii_equal_nocase(s, t->name)) {
			*value = t->value;
			return true;
		}
	}
	return false;
}

/*
 * Python's int() of a string, in ASCII: blanks around (its whitespace
 * includes \x1c-\x1f), a sign, single underscores between digits.  Beyond
 * int64 it saturates: a count above any message's size means all of it.
 */
static bool
python_int(const char *s, int64_t *v)
{
	uint64_t x = 0, d, top = (uint64_t)INT64_MAX + 1;
	bool neg = false;

	while (ascii_is_space(*s) || (*s >= 0x1c && *s <= 0x1f))
		s++;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (!ascii_is_digit(*s))
		return false;
	for (;;) {
		if (ascii_is_digit(*s)) {
			d = (uint64_t)(*s++ - '0');
			x = x > (top - d) / 10 ? top : x * 10 + d;
		} else if (*s == '_' && ascii_is_digit(s[1]))
			s++;
		else
			break;
	}
	while (ascii_is_space(*s) || (*s >= 0x1c && *s <= 0x1f))
		s++;
	if (*s != '\0')
		return false;
	if (neg)
		*v = x >= top ? INT64_MIN : -(int64_t)x;
	else
		*v = x >= top ? INT64_MAX : (int64_t)x;
	return true;
}

static bool
parse_bool(const char *s, bool *b)
{
	if (ascii_equal_nocase(s, "true") || ascii_equal_nocase(s, "yes") ||
	    ascii_equal_nocase(s, "on") || strcmp(s, "1") == 0)
		*b = true;
	else if (ascii_equal_nocase(s, "false") || ascii_equal_nocase(s, "no") ||
	    ascii_equal_nocase(s, "off") || strcmp(s, "0") == 0)
		*b = false;
	else
		return false;
	return true;
}

/* s[0..n) without blanks around, into buf; false if empty or too long. */
static bool
trimmed(const char *s, size_t n, char *buf, size_t size)
{
	while (n > 0 && ascii_is_space(*s)) {
		s++;
		n--;
	}
	while (n > 0 && ascii_is_space(s[n - 1]))
		n--;
	if (n == 0 || n >= size)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return true;
}

/* "read, write, flush" into a bit per command. */
static bool
parse_commands(const char *s, uint32_t *bits)
{
	const char *comma;
	char word[32];
	unsigned cmd;

	*bits = 0;
	for (;;) {
		comma = strchr(s, ',');
		if (!trimmed(s, comma ? (size_t)(comma - s) : strlen(s), word,
		    sizeof(word)) || !lookup(command_names, word, &cmd))
			return false;
		*bits |= UINT32_C(1) << cmd;
		if (comma == NULL)
			return true;
		s = comma + 1;
	}
}

/* "START-END" (END excluded), "START+LENGTH" or "START", as sizes. */
static bool
parse_range(const char *s, uint64_t *start, uint64_t *end)
{
	const char *sep = strpbrk(s, "-+");
	char a[32], b[32];
	uint64_t x, y;

	if (!trimmed(s, sep ? (size_t)(sep - s) : strlen(s), a, sizeof(a)) ||
	    parse_size(a, &x) == -1)
		return false;
	if (sep == NULL) {
		if (x == UINT64_MAX)
			return false;
		*start = x;
		*end = x + 1;
		return true;
	}
	if (!trimmed(sep + 1, strlen(sep + 1), b, sizeof(b)) ||
	    parse_size(b, &y) == -1)
		return false;
	if (*sep == '+') {
		if (y == 0 || y > UINT64_MAX - x)
			return false;
		y += x;
	} else if (y <= x)
		return false;
	*start = x;
	*end = y;
	return true;
}

/* A decimal number as strtod() reads it, without inf, nan or hex. */
static bool
parse_real(const char *s, size_t n, double *v)
{
	char buf[64], *end;
	size_t i = 0, digits = 0;

	if (!trimmed(s, n, buf, sizeof(buf)))
		return false;
	for (; ascii_is_digit(buf[i]); i++)
		digits++;
	if (buf[i] == '.')
		for (i++; ascii_is_digit(buf[i]); i++)
			digits++;
	if (digits == 0)
		return false;
	if (buf[i] == 'e' || buf[i] == 'E') {
		i++;
		if (buf[i] == '+' || buf[i] == '-')
			i++;
		if (!ascii_is_digit(buf[i]))
			return false;
		while (ascii_is_digit(buf[i]))
			i++;
	}
	if (buf[i] != '\0')
		return false;
	/* The tools never call setlocale(): the point is a point. */
	*v = strtod(buf, &end);
	return *end == '\0';
}

/* A probability as nbdkit writes one: 10%, 0.1, 1e-1, 1:10, 1/10. */
static bool
parse_rate(const char *s, double *rate)
{
	const char *sep = strpbrk(s, ":/");
	size_t n = strlen(s);
	double a, b;
	bool ok;

	if (n > 0 && s[n - 1] == '%') {
		ok = parse_real(s, n - 1, &a);
		if (ok)
			a /= 100;
	} else if (sep != NULL) {
		ok = parse_real(s, (size_t)(sep - s), &a) &&
		    parse_real(sep + 1, strlen(sep + 1), &b) && b > 0;
		if (ok)
			a /= b;
	} else
		ok = parse_real(s, n, &a);
	/* Written so that a NaN fails too. */
	if (!ok || !(a >= 0 && a <= 1))
		return false;
	*rate = a;
	return true;
}

/*
 * The section's own value of key (or of its alias), else DEFAULT's, as
 * configparser's items() merges them.  Both spellings in one place is an
 * error: which would win is a guess.
 */
static int
get(struct rule_file *f, const struct section *s, const char *key,
    const char *alias, const struct kv **out)
{
	const struct section *layer[2] = { s, &f->defaults };
	const struct kv *a, *b;
	int i;

	*out = NULL;
	for (i = 0; i < 2; i++) {
		a = rf_find(layer[i], key);
		b = alias != NULL ? rf_find(layer[i], alias) : NULL;
		if (a != NULL && b != NULL)
			return rf_error(f, b->line, false, "\"%s\" and "
			    "\"%s\" in %s are one option: give one", key,
			    alias, s->name);
		if (a != NULL || b != NULL) {
			*out = a != NULL ? a : b;
			return 0;
		}
	}
	return 0;
}

static int
bad(struct rule_file *f, const struct section *s, const struct kv *kv,
    const char *expected)
{
	return rf_error(f, kv->line, false, "invalid \"%s\" option value "
	    "\"%s\" in %s: expected %s", kv->key, kv->value, s->name,
	    expected);
}

static int
needs(struct rule_file *f, const struct section *s, const struct kv *kv,
    const char *what)
{
	return rf_error(f, kv->line, false, "\"%s\" in %s needs %s", kv->key,
	    s->name, what);
}

static bool
is_transmission(enum event e)
{
	return e == EV_REQUEST || e == EV_REPLY || e == EV_DATA;
}

/* The injector's own keys and its checks, in its order. */
static int
python_keys(struct rule_file *f, const struct section *s, struct rule *r)
{
	const struct kv *kv;
	unsigned e;

	if (strncmp(s->name, "inject-error", 12) != 0)
		return rf_error(f, s->line, true, "invalid config section "
		    "name: %s", s->name);
	get(f, s, "event", NULL, &kv);
	if (kv == NULL)
		return rf_error(f, s->line, true, "missing \"event\" option "
		    "in %s", s->name);
	for (e = 0; e < EV_COUNT; e++)
		if (strcmp(kv->value, event_name(e)) == 0)
			break;
	/* The per-option events are ours: not in the injector's files. */
	if (e == EV_COUNT || (f->compat && (e == EV_OPTION ||
	    e == EV_OPTION_REPLY)))
		return rf_error(f, kv->line, true, "invalid \"event\" option "
		    "value \"%s\" in %s", kv->value, s->name);
	r->event = e;

	get(f, s, "io", NULL, &kv);
	if (kv == NULL || strcmp(kv->value, "readwrite") == 0)
		r->io = IO_READWRITE;
	else if (strcmp(kv->value, "read") == 0)
		r->io = IO_READ;
	else if (strcmp(kv->value, "write") == 0)
		r->io = IO_WRITE;
	else
		return rf_error(f, kv->line, true, "invalid \"io\" option "
		    "value \"%s\" in %s", kv->value, s->name);

	get(f, s, "when", NULL, &kv);
	if (kv == NULL || strcmp(kv->value, "before") == 0)
		r->when = WHEN_BEFORE;
	else if (strcmp(kv->value, "after") == 0)
		r->when = WHEN_AFTER;
	else if (!python_int(kv->value, &r->when))
		return rf_error(f, kv->line, true, "invalid \"when\" option "
		    "value \"%s\" in %s", kv->value, s->name);
	else if (r->when < WHEN_AFTER)
		return rf_error(f, kv->line, true, "invalid \"when\" option "
		    "value \"%s\" in %s (below -1: the Python injector took "
		    "it for all but the last bytes, nbd-fault refuses it)",
		    kv->value, s->name);
	return 0;
}

/* Which messages the rule selects, beyond event and io. */
static int
selector_keys(struct rule_file *f, const struct section *s, struct rule *r)
{
	const struct kv *kv, *count;
	uint64_t v;
	unsigned u;
	bool once;

	if (get(f, s, "command", "commands", &kv) == -1)
		return -1;
	if (kv != NULL && !parse_commands(kv->value, &r->commands))
		return bad(f, s, kv, "a list of read, write, disc, flush, "
		    "trim, cache, zeroes, block-status");
	if (kv != NULL && !is_transmission(r->event))
		return needs(f, s, kv, "event request, reply or data");

	get(f, s, "option", NULL, &kv);
	if (kv != NULL) {
		if (lookup(option_names, kv->value, &u))
			r->option = (int)u;
		else if (parse_uint(kv->value, 0, INT32_MAX, &v) == 0)
			r->option = (int)v;
		else
			return bad(f, s, kv, "an option number or name "
			    "(export-name, abort, list, starttls, info, go, "
			    "structured-reply, list-meta-context, "
			    "set-meta-context)");
		if (r->event != EV_OPTION && r->event != EV_OPTION_REPLY)
			return needs(f, s, kv, "event option or option-reply");
	}

	get(f, s, "offset", NULL, &kv);
	if (kv != NULL) {
		if (!parse_range(kv->value, &r->range_start, &r->range_end))
			return bad(f, s, kv, "START-END (END excluded), "
			    "START+LENGTH or START, in bytes or with K, M, G");
		if (!is_transmission(r->event))
			return needs(f, s, kv, "event request, reply or data");
		r->has_range = true;
	}

	get(f, s, "skip", NULL, &kv);
	if (kv != NULL && parse_uint(kv->value, 0, UINT64_MAX, &r->skip) < 0)
		return bad(f, s, kv, "a number of occurrences");
	get(f, s, "count", NULL, &count);
	if (count != NULL && parse_uint(count->value, 0, UINT64_MAX,
	    &r->count) < 0)
		return bad(f, s, count, "a number of times, 0 for no limit");

	get(f, s, "scope", NULL, &kv);
	if (kv != NULL) {
		if (ascii_equal_nocase(kv->value, "server"))
			r->server_scope = true;
		else if (!ascii_equal_nocase(kv->value, "connection"))
			return bad(f, s, kv, "connection or server");
	}
	get(f, s, "once", NULL, &kv);
	if (kv != NULL && !parse_bool(kv->value, &once))
		return bad(f, s, kv, "true or false");
	if (kv != NULL && once) {
		/* once is count=1 over the server's life: say it one way. */
		if (count != NULL)
			return needs(f, s, kv, "no \"count\"");
		if (rf_find(s, "scope") != NULL ||
		    rf_find(&f->defaults, "scope") != NULL)
			return needs(f, s, kv, "no \"scope\"");
		r->once = true;
		r->count = 1;
		r->server_scope = true;
	}

	get(f, s, "rate", NULL, &kv);
	if (kv != NULL && !parse_rate(kv->value, &r->rate))
		return bad(f, s, kv, "a probability from 0 to 1: 10%, 0.1, "
		    "1e-1, 1:10 or 1/10");

	if (get(f, s, "trigger", "trigger-file", &kv) == -1)
		return -1;
	if (kv != NULL && kv->value[0] == '\0')
		return bad(f, s, kv, "a file name");
	if (kv != NULL)
		r->trigger = xstrdup(kv->value);

	get(f, s, "connection", NULL, &kv);
	if (kv != NULL && parse_uint(kv->value, 1, UINT64_MAX,
	    &r->connection) < 0)
		return bad(f, s, kv, "a connection number from 1");
	return 0;
}

/* What the rule does. */
static int
action_keys(struct rule_file *f, const struct section *s, struct rule *r)
{
	const struct kv *kv, *delay, *err, *bits, *lose;
	uint64_t v;
	unsigned a, u;

	get(f, s, "delay", NULL, &delay);
	if (delay != NULL && parse_duration_ms(delay->value, &r->delay_ms) ==
	    -1)
		return bad(f, s, delay, "a duration: 500ms, 2s, 1.5m");
	get(f, s, "errno", NULL, &err);
	if (err != NULL && !lookup(errno_names, err->value, &r->errno_wire))
		return bad(f, s, err, "EPERM, EIO, ENOMEM, EINVAL, ENOSPC, "
		    "EOVERFLOW, ENOTSUP or ESHUTDOWN");
	get(f, s, "bits", NULL, &bits);
	if (bits != NULL && parse_uint(bits->value, 1, UINT32_MAX, &v) < 0)
		return bad(f, s, bits, "a number of bits from 1");
	if (bits != NULL)
		r->corrupt_bits = (unsigned)v;
	get(f, s, "lose", NULL, &lose);
	if (lose != NULL && !lookup(lose_names, lose->value, &u))
		return bad(f, s, lose, "all, none, random or prefix");
	if (lose != NULL)
		r->lose = (enum lose)u;

	get(f, s, "action", NULL, &kv);
	if (kv != NULL) {
		for (a = 0; action_name(a) != NULL; a++)
			if (ascii_equal_nocase(kv->value, action_name(a)))
				break;
		if (action_name(a) == NULL)
			return bad(f, s, kv, "exit, close, reset, error, "
			    "delay, stall, corrupt, truncate or power-cut");
		r->action = a;
	} else if (delay != NULL)
		r->action = ACT_DELAY;

	if (r->action == ACT_ERROR && !is_transmission(r->event))
		return needs(f, s, kv, "event request, reply or data");
	if (r->action == ACT_CORRUPT || r->action == ACT_TRUNCATE) {
		if (r->event != EV_DATA)
			return needs(f, s, kv, "event data (READ data we "
			    "send)");
		/* They act on data we send: count only those. */
		if (r->io == IO_READ)
			return needs(f, s, kv, "io write or readwrite (READ "
			    "data we send)");
		r->io = IO_WRITE;
	}
	if (r->action == ACT_DELAY && delay == NULL)
		return needs(f, s, kv, "a \"delay\"");
	if (delay != NULL && r->action != ACT_DELAY)
		return needs(f, s, delay, "action delay");
	if (err != NULL && r->action != ACT_ERROR)
		return needs(f, s, err, "action error");
	if (bits != NULL && r->action != ACT_CORRUPT)
		return needs(f, s, bits, "action corrupt");
	if (lose != NULL && r->action != ACT_POWER_CUT)
		return needs(f, s, lose, "action power-cut");
	return 0;
}

static int
unknown_keys(struct rule_file *f, const struct section *s)
{
	size_t i, k;

	for (i = 0; i < s->n; i++) {
		for (k = 0; known_keys[k] != NULL; k++)
			if (strcmp(s->kv[i].key, known_keys[k]) == 0)
				break;
		if (known_keys[k] == NULL)
			return rf_error(f, s->kv[i].line, false, "unknown "
			    "option \"%s\" in %s", s->kv[i].key, s->name);
	}
	return 0;
}

static void
rule_free(struct rule *r)
{
	free(r->name);
	free(r->trigger);
}

/*
 * The injector checks every section's event, io and when before running;
 * checking those first, for all sections, keeps its error for any file
 * it refuses.  Then our own keys.
 */
int
rf_build(struct rule_file *f, struct rule_set *set)
{
	struct rule *rules;
	size_t i;

	if (!f->compat && unknown_keys(f, &f->defaults) == -1)
		return -1;
	if (f->nsec == 0)
		return 0;
	rules = xcalloc(f->nsec, sizeof(*rules));
	for (i = 0; i < f->nsec; i++) {
		rules[i].line = f->sec[i].line;
		rules[i].option = -1;
		rules[i].rate = 1;
		rules[i].action = ACT_EXIT;
		rules[i].errno_wire = 5;
		rules[i].corrupt_bits = 1;
		rules[i].name = xstrdup(f->sec[i].name);
	}
	for (i = 0; i < f->nsec; i++)
		if (python_keys(f, &f->sec[i], &rules[i]) == -1)
			goto fail;
	for (i = 0; i < f->nsec; i++) {
		if (!f->compat && unknown_keys(f, &f->sec[i]) == -1)
			goto fail;
		if (selector_keys(f, &f->sec[i], &rules[i]) == -1 ||
		    action_keys(f, &f->sec[i], &rules[i]) == -1)
			goto fail;
	}
	set->rules = rules;
	set->n = f->nsec;
	return 0;

fail:
	for (i = 0; i < f->nsec; i++)
		rule_free(&rules[i]);
	free(rules);
	return -1;
}

void
rules_free(struct rule_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		rule_free(&set->rules[i]);
	free(set->rules);
	set->rules = NULL;
	set->n = 0;
	pthread_mutex_destroy(&set->lock);
}
