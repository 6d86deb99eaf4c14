/*
 * number: numbers written as jq 1.6 writes them ("2", "0.5", "1e-05",
 * "0.30000000000000004"), so that the times in a report read as they did
 * when bin/vmtest made it with jq, digit for digit.
 */
#ifndef VMTEST_REPORT_NUMBER_H
#define VMTEST_REPORT_NUMBER_H

#include <stddef.h>

/* Room for any double so written, with its sign and NUL. */
#define NUMBER_SIZE 40

/* Writes x into buf (NUMBER_SIZE bytes) and returns buf. */
const char *number_text(double x, char *buf);

#endif
