/*
 * nbd-harness: runs nbd-fault's server side of one connection on bytes
 * from the fuzzer.  A thread writes them as the client would and another
 * drains what the server answers, so the real handshake and transmission
 * code reads from a socket as it does in production.
 */
#ifndef FUZZ_NBD_HARNESS_H
#define FUZZ_NBD_HARNESS_H

#include <sys/socket.h>

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tools/nbd-fault/serve.h"

struct feed {
	int fd;
	const uint8_t *data;
	size_t size;
};

static void *
feed_client(void *arg)
{
	struct feed *f = arg;
	ssize_t n;

	while (f->size > 0) {
		n = send(f->fd, f->data, f->size, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		f->data += n;
		f->size -= n;
	}
	shutdown(f->fd, SHUT_WR);
	return NULL;
}

static void *
drain_replies(void *arg)
{
	char sink[65536];
	int fd = *(int *)arg;

	while (read(fd, sink, sizeof(sink)) > 0)
		;
	return NULL;
}

/* One connection over the fuzz input; transmission_only skips the handshake. */
static void
run_connection(const uint8_t *data, size_t size, bool transmission_only)
{
	static struct server srv;
	static struct rule_set rules;
	static bool ready;
	struct feed f;
	struct conn c;
	pthread_t writer, reader;
	char err[256];
	int sv[2];

	if (!ready) {
		pthread_mutex_init(&srv.out_lock, NULL);
		pthread_mutex_init(&srv.conns_lock, NULL);
		rules_parse("", 0, "(none)", false, &rules, err, sizeof(err));
		srv.rules = &rules;
		/* Memory under a volatile cache: both see every request. */
		srv.backend = backend_open("memory", 1 << 20, false, err,
		    sizeof(err));
		if (srv.backend == NULL ||
		    (srv.backend = backend_volatile(srv.backend, 4 << 20, err,
		    sizeof(err))) == NULL)
			abort();
		ready = true;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		abort();
	f = (struct feed){ sv[1], data, size };
	pthread_create(&writer, NULL, feed_client, &f);
	pthread_create(&reader, NULL, drain_replies, &sv[1]);
	conn_init(&c, &srv, sv[0], 1);
	if (transmission_only) {
		c.structured = true;
		c.meta_allocation = true;
		serve_transmission(&c);
	} else if (serve_handshake(&c) == CONN_OK)
		serve_transmission(&c);
	shutdown(sv[0], SHUT_RDWR);
	pthread_join(writer, NULL);
	pthread_join(reader, NULL);
	close(sv[0]);
	close(sv[1]);
	conn_free(&c);
}

#endif
