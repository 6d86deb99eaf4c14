/*
 * serve: the two phases of a connection: the handshake (handshake.c) and
 * transmission (transmit.c).
 */
#ifndef NBD_FAULT_SERVE_H
#define NBD_FAULT_SERVE_H

#include <stdint.h>

#include "conn.h"

/* The largest READ or WRITE payload we take: the spec's recommended 32 MiB. */
#define MAX_PAYLOAD (32u << 20)

/* Negotiates; CONN_OK means transmission may start. */
enum conn_status serve_handshake(struct conn *c);

/* Serves requests until the client leaves or a rule ends the connection. */
enum conn_status serve_transmission(struct conn *c);

/* What we tell the client the export can do. */
uint16_t transmission_flags(const struct conn *c);

#endif
