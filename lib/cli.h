/*
 * cli: the option-parsing chores every tool's main.c shares: the usage
 * exit, number and duration arguments, repeatable options.  Misuse exits
 * 2 with one message naming the flag, as the exit-status table says.
 */
#ifndef VT_CLI_H
#define VT_CLI_H

#include <stdint.h>
#include <stdnoreturn.h>

/* Prints usage_text on stderr and exits 2. */
noreturn void cli_usage(const char *usage_text);

/* The milliseconds of a DURATION argument of flag, or exit 2 naming it. */
int64_t cli_duration(const char *flag, const char *text);

/*
 * The value of a decimal argument of flag from min to max (parse.h's
 * parse_uint), or exit 2: "FLAG: 'TEXT' is not a number from MIN to
 * MAX".
 */
uint64_t cli_uint(const char *flag, const char *text, uint64_t min,
    uint64_t max);

/* Appends item to a growing list (a repeatable option). */
void cli_push(char ***list, int *count, char *item);

#endif
