/*
 * result: one of vmtest's result lines (vmtest-report(1), INPUT), parsed
 * and checked, and the list of them a report is made of.
 */
#ifndef VMTEST_REPORT_RESULT_H
#define VMTEST_REPORT_RESULT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

enum result_status { RS_PASS, RS_FAIL, RS_TIMEOUT, RS_PANIC, RS_ERROR };

struct result {
	char *name;		/* well-formed UTF-8, NULs allowed: see name_len */
	size_t name_len;
	enum result_status status;
	bool has_exit_code;
	json_int_t exit_code;
	char *message;		/* NULL when null or absent */
	size_t message_len;
	char *output;		/* the path of its output; NULL when absent */
	double total;		/* seconds.total; 0 when null or absent */
};

struct result_list {
	struct result *v;
	size_t n, cap;
};

enum result_parse {
	RESULT_OK,		/* *r is filled, for result_list_push() */
	RESULT_BLANK,		/* nothing but white space: skip it */
	RESULT_BAD,		/* err says what is wrong, in one sentence */
};

/*
 * Parses one line (without its newline) into *r.  Running out of memory
 * ends the tool (xalloc.h).
 */
enum result_parse result_parse(const char *line, size_t len,
    struct result *r, char *err, size_t errlen);

/* "pass", "fail", ...: the status as the input spells it. */
const char *result_status_name(enum result_status s);

/* Moves *r to the end of the list; -1 when out of memory. */
int result_list_push(struct result_list *l, struct result *r);
void result_list_free(struct result_list *l);

#endif
