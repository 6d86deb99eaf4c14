/*
 * summary: the results as the table vmtest prints after its targets.
 */
#ifndef VMTEST_REPORT_SUMMARY_H
#define VMTEST_REPORT_SUMMARY_H

#include <stdbool.h>
#include <stdio.h>

#include "result.h"

/*
 * Writes "=> Summary" and one row per result to out: the name, padded to
 * the widest name's display width and 2, the status padded to 18
 * columns, the total seconds rounded to a tenth.  With color, the heading
 * is bold, PASS green and every other status bold red.  The caller checks
 * ferror(out).
 */
void summary_write(FILE *out, const struct result_list *l, bool color);

#endif
