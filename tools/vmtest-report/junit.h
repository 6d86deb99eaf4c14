/*
 * junit: the results as a JUnit XML report, the one bin/vmtest wrote.
 */
#ifndef VMTEST_REPORT_JUNIT_H
#define VMTEST_REPORT_JUNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "result.h"

struct junit_options {
	const char *timestamp;	/* the suite's, "2026-12-07T10:00:00" (UTC) */
	uint64_t max_output;	/* how much of each output file's end to keep */
	bool read_outputs;	/* false: take every output as empty */
};

/*
 * Writes the report to out: a testcase per result, with its failure or
 * error, and its output file's last max_output bytes as system-out.  A
 * missing output file is an empty output.  Returns 0, or -1 with one
 * sentence in err when an output file is there but cannot be read.
 * The caller checks ferror(out).
 */
int junit_write(FILE *out, const struct result_list *l,
    const struct junit_options *o, char *err, size_t errlen);

#endif
