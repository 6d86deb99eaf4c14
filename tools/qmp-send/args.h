/*
 * args: QMP arguments from the command line, typed as qmp-shell types
 * them.  ARG=VALUE gives VALUE a type by its look: an integer or other
 * JSON number, true or false (any case), null, a JSON object or array if
 * it starts with '{' or '[', otherwise a string.  ARG:=JSON takes any JSON
 * literal as it is.  A dotted ARG (a.b=1) builds nested objects.
 * Running out of memory ends the tool with status 71.
 */
#ifndef QMP_SEND_ARGS_H
#define QMP_SEND_ARGS_H

#include <stddef.h>

#include <jansson.h>

/* The value of VALUE, typed as above; NULL with a reason in why. */
json_t *args_typed_value(const char *text, char *why, size_t whylen);

/*
 * The arguments object for words like "id=disk0 size=8G opts:={...}";
 * NULL with a reason in why naming the word at fault.
 */
json_t *args_build(char **words, int count, char *why, size_t whylen);

#endif
