/*
 * listener: takes connections and serves them, each in a thread of its
 * own or, the injector's way, one after the other, until a stop signal.
 */
#ifndef NBD_FAULT_LISTENER_H
#define NBD_FAULT_LISTENER_H

#include <stdbool.h>

#include "conn.h"

/*
 * Serves the connections that come to the listening socket fd until a
 * stop signal, or a rule's exit.  serial serves them one at a time on
 * this thread; once serves one that way and returns when it ends.
 * Connections in threads see the stop signal too, and are given a
 * moment to end before this returns.
 */
void listener_run(struct server *srv, int fd, bool serial, bool once);

#endif
