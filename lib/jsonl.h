/*
 * jsonl: JSON lines over jansson.  One value per line in, one compact
 * value per line out, flushed at once so that jq and `while read`
 * consumers see each line as it happens.
 */
#ifndef VT_JSONL_H
#define VT_JSONL_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

/*
 * Parses one whole line (trailing whitespace allowed, anything else after
 * the value is an error) into any JSON value.  On error returns NULL and
 * fills err, whose text jsonl_error_text() turns into one message.
 */
json_t *jsonl_parse(const char *line, size_t len, json_error_t *err);

/* "expected value near 'x' at column 3": for "file:line: ..." messages. */
const char *jsonl_error_text(const json_error_t *err, char *buf, size_t size);

/*
 * Encodes a value as one compact line ending in '\n'; scalars allowed.
 * Returns a malloc'd NUL-terminated string and its length, or NULL if
 * jansson cannot encode the value; running out of memory for the copy
 * ends the tool (xalloc.h).
 */
char *jsonl_encode(const json_t *value, size_t *len);

/* Writes a value as one line (indented if pretty) and flushes; -1 on error. */
int jsonl_write(FILE *out, const json_t *value, bool pretty);

/*
 * A short, printable excerpt of bytes from a peer, for error messages:
 * at most about 60 characters, control and non-ASCII bytes escaped.
 */
const char *jsonl_excerpt(const char *bytes, size_t len, char *buf,
    size_t size);

#endif
