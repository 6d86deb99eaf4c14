/*
 * match: the event that --wait-event NAME --match KEY=VALUE... describes.
 * KEY is a dotted path into the event's data.  VALUE matches a string
 * field by its text and any other field by its value, typed as command
 * arguments are (so running=false and size=8 match booleans and numbers).
 * Running out of memory ends the tool with status 71.
 */
#ifndef QMP_SEND_MATCH_H
#define QMP_SEND_MATCH_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct event_match;

/* Never NULL: running out of memory ends the tool. */
struct event_match *match_new(const char *event_name);
/* Adds KEY=VALUE; -1 with a reason in why if the word is malformed. */
int match_add(struct event_match *m, const char *word, char *why,
    size_t whylen);
bool match_event(const struct event_match *m, const json_t *event);
const char *match_name(const struct event_match *m);
void match_free(struct event_match *m);

#endif
