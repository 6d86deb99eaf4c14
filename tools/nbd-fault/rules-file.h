/*
 * rules-file: a rule file as Python's configparser sees it, between its
 * reading (rules-parse.c) and its meaning (rules-keys.c).
 */
#ifndef NBD_FAULT_RULES_FILE_H
#define NBD_FAULT_RULES_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "rules.h"

struct kv {
	char *key;		/* lowercase, as configparser's optionxform */
	char *value;		/* continuation lines joined with "\n" */
	unsigned line;
};

struct section {
	char *name;		/* as written between the brackets */
	unsigned line;
	struct kv *kv;
	size_t n, cap;
};

struct rule_file {
	const char *path;	/* what errors begin with */
	bool compat;
	char *err;		/* the first error, one line */
	size_t errlen;
	bool failed;
	struct section *sec;	/* in file order, without [DEFAULT] */
	size_t nsec, seccap;
	struct section defaults;	/* the keys of every [DEFAULT] */
};

/* The key in s, or NULL. */
struct kv *rf_find(const struct section *s, const char *key);

/*
 * Records the first error as "PATH:LINE: message", or as the message
 * alone for the injector's own errors (python) in compat mode, where they
 * must read as its do.  Returns -1.
 */
int rf_error(struct rule_file *f, unsigned line, bool python,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Makes f's sections rules (rules-keys.c).  Returns 0, or -1 with f->err. */
int rf_build(struct rule_file *f, struct rule_set *set);

#endif
