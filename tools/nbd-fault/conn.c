#include <sys/socket.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "conn.h"
#include "diag.h"
#include "fdio.h"
#include "jsonl.h"
#include "nbd-proto.h"
#include "stopsig.h"

/* Read ahead in full mode; the compatible mode reads exactly, see below. */
#define READ_AHEAD (256 * 1024)

int
conn_init(struct conn *c, struct server *srv, int fd, uint64_t index)
{
	memset(c, 0, sizeof(*c));
	c->srv = srv;
	c->fd = fd;
	c->index = index;
	/* This connection's own: short of it, the listener refuses it. */
	if (rule_state_init(&c->rules, srv->rules, index, srv->seed) < 0)
		return -1;
	if ((c->matches = calloc(srv->rules->n + 1,
	    sizeof(*c->matches))) == NULL) {
		rule_state_free(&c->rules);
		errno = ENOMEM;
		return -1;
	}
	c->peek_requests = rules_select_by_content(srv->rules, EV_REQUEST);
	c->peek_options = rules_select_by_content(srv->rules, EV_OPTION);
	/*
	 * The injector reads exactly what each message needs, so bytes a
	 * client sent beyond a cut stay in the kernel, and closing then
	 * resets the connection.  Clients' error messages depend on that
	 * (RST or FIN), so the compatible mode reads the same way.
	 */
	if (!srv->compat) {
		c->in = malloc(READ_AHEAD);
		c->in_cap = c->in != NULL ? READ_AHEAD : 0;
	}
	pthread_mutex_lock(&srv->conns_lock);
	c->next = srv->conns;
	if (c->next != NULL)
		c->next->prev = c;
	srv->conns = c;
	pthread_mutex_unlock(&srv->conns_lock);
	return 0;
}

void
conn_free(struct conn *c)
{
	pthread_mutex_lock(&c->srv->conns_lock);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else if (c->srv->conns == c)
		c->srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->next = c->prev = NULL;
	pthread_mutex_unlock(&c->srv->conns_lock);
	rule_state_free(&c->rules);
	free(c->matches);
	free(c->in);
	c->matches = NULL;
	c->in = NULL;
}

int
server_say(struct server *srv, int fd, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n, rc, e;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	pthread_mutex_lock(&srv->out_lock);
	rc = fd_write_all(fd, line, (size_t)n);
	e = errno;
	pthread_mutex_unlock(&srv->out_lock);
	errno = e;
	return rc;
}

static const char *
command_name(int command)
{
	static const char *names[] = { "read", "write", "disc", "flush",
	    "trim", "cache", "zeroes", "block-status" };

	return command >= 0 && command < 8 ? names[command] : NULL;
}

static const char *
errno_name(uint32_t e)
{
	switch (e) {
	case NBD_EPERM: return "EPERM";
	case NBD_EIO: return "EIO";
	case NBD_ENOMEM: return "ENOMEM";
	case NBD_EINVAL: return "EINVAL";
	case NBD_ENOSPC: return "ENOSPC";
	case NBD_EOVERFLOW: return "EOVERFLOW";
	case NBD_ENOTSUP: return "ENOTSUP";
	case NBD_ESHUTDOWN: return "ESHUTDOWN";
	}
	return "?";
}

/*
 * What a power cut kept or lost: how many operations and bytes, and the
 * [offset, length] of each, in the order the client sent them.
 */
static json_t *
cut_json(const struct power_cut *pc, bool kept)
{
	json_t *ranges = json_array();
	size_t k;

	for (k = 0; k < pc->n; k++)
		if (pc->ops[k].kept == kept)
			json_array_append_new(ranges, json_pack("[I,I]",
			    (json_int_t)pc->ops[k].offset,
			    (json_int_t)pc->ops[k].length));
	return json_pack("{s:I,s:I,s:o}", "operations", (json_int_t)(kept ?
	    pc->kept_ops : pc->lost_ops), "bytes", (json_int_t)(kept ?
	    pc->kept_bytes : pc->lost_bytes), "ranges", ranges);
}

/*
 * One line on stderr per injection and, with --log-json, one JSON object
 * on stdout.  The compatible mode prints only what the injector prints.
 */
static void
log_injection(struct conn *c, const struct message *m, const struct rule *r,
    const struct power_cut *pc)
{
	const char *cmd = command_name(m->command);
	char action[64], event[64], *text;
	json_t *j;

	if (r->action == ACT_ERROR)
		snprintf(action, sizeof(action), "error %s",
		    errno_name(r->errno_wire));
	else if (r->action == ACT_DELAY)
		snprintf(action, sizeof(action), "delay %" PRId64 "ms",
		    r->delay_ms);
	else
		snprintf(action, sizeof(action), "%s", action_name(r->action));
	snprintf(event, sizeof(event), "%s%s%s", event_name(m->event),
	    cmd != NULL ? " " : "", cmd != NULL ? cmd : "");
	if (pc != NULL)
		snprintf(action, sizeof(action), "power-cut: lost %" PRIu64
		    " operation%s (%" PRIu64 " bytes), kept %" PRIu64 " (%"
		    PRIu64 " bytes)", pc->lost_ops, pc->lost_ops == 1 ? "" :
		    "s", pc->lost_bytes, pc->kept_ops, pc->kept_bytes);
	if (!c->srv->compat)
		server_say(c->srv, STDERR_FILENO, "nbd-fault: injecting %s at %s "
		    "by rule %s (connection %" PRIu64 ")", action, event,
		    r->name, c->index);
	if (!c->srv->log_json)
		return;
	j = json_pack("{s:s,s:s,s:s,s:I}", "rule", r->name, "action",
	    action_name(r->action), "event", event_name(m->event),
	    "connection", (json_int_t)c->index);
	if (r->action == ACT_ERROR)
		json_object_set_new(j, "errno",
		    json_string(errno_name(r->errno_wire)));
	if (r->action == ACT_DELAY)
		json_object_set_new(j, "delay_ms", json_integer(r->delay_ms));
	if (pc != NULL) {
		json_object_set_new(j, "kept", cut_json(pc, true));
		json_object_set_new(j, "lost", cut_json(pc, false));
	}
	if (cmd != NULL) {
		json_object_set_new(j, "command", json_string(cmd));
		json_object_set_new(j, "offset", json_integer(m->offset));
		json_object_set_new(j, "length", json_integer(m->length));
	}
	text = jsonl_encode(j, NULL);
	if (text != NULL) {
		text[strlen(text) - 1] = '\0';
		server_say(c->srv, STDOUT_FILENO, "%s", text);
	}
	free(text);
	json_decref(j);
}

void
conn_judge(struct conn *c, const struct message *m, struct verdict *v)
{
	const struct rule *rules = c->srv->rules->rules, *r;
	size_t n, i;

	v->actor = NULL;
	v->point = m->size;
	n = rules_match(c->srv->rules, &c->rules, m, c->matches);
	if (n == 0)
		return;
	/*
	 * The injector's two scans: before the I/O, the first matching rule
	 * that is not "after" decides where the message is cut ("before"
	 * acts at once, a count moves that many bytes); after the I/O, the
	 * first matching rule acts.
	 */
	for (i = 0; i < n; i++) {
		r = &rules[c->matches[i]];
		if (r->when == WHEN_AFTER)
			continue;
		if (r->when == WHEN_BEFORE) {
			v->actor = r;
			v->point = 0;
			return;
		}
		if ((uint64_t)r->when < m->size)
			v->point = (size_t)r->when;
		break;
	}
	v->actor = &rules[c->matches[0]];
}

/*
 * Every socket call here is non-blocking (MSG_DONTWAIT) and every wait
 * goes through stopsig_poll(), so that a stop signal ends a connection
 * wherever it is: in the handshake, in a request, in a reply the client
 * does not read.
 */
static bool
would_block(ssize_t n)
{
	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR);
}

/* Waits until the socket has one of events; false on a stop signal. */
static bool
await(struct conn *c, short events)
{
	return stopsig_poll(c->fd, events, -1) >= 0;
}

/* Sends at most limit bytes of iov; the iov array is consumed. */
static enum conn_status
send_upto(struct conn *c, struct iovec *iov, int iovcnt, size_t limit)
{
	struct msghdr msg = { 0 };
	size_t total = 0, keep;
	ssize_t n;
	int i;

	/* Trim the vector to the limit. */
	for (i = 0; i < iovcnt; i++) {
		if (total + iov[i].iov_len >= limit) {
			keep = limit - total;
			iov[i].iov_len = keep;
			iovcnt = i + (keep > 0);
			break;
		}
		total += iov[i].iov_len;
	}
	while (iovcnt > 0) {
		if (stopsig_seen())
			return CONN_STOP;
		msg.msg_iov = iov;
		msg.msg_iovlen = iovcnt;
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (would_block(n)) {
			if (!await(c, POLLOUT))
				return CONN_STOP;
			continue;
		}
		if (n < 0)
			return CONN_STOP;	/* EPIPE, ECONNRESET: the client left */
		while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
			n -= iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= n;
		}
	}
	return CONN_OK;
}

enum conn_status
conn_send_raw(struct conn *c, struct iovec *iov, int iovcnt)
{
	return send_upto(c, iov, iovcnt, SIZE_MAX);
}

/* Receives exactly len bytes, from what was read ahead first. */
static enum conn_status
recv_bytes(struct conn *c, unsigned char *buf, size_t len)
{
	size_t take;
	ssize_t n;

	while (len > 0) {
		if (c->in_start < c->in_end) {
			take = c->in_end - c->in_start;
			if (take > len)
				take = len;
			memcpy(buf, c->in + c->in_start, take);
			c->in_start += take;
			buf += take;
			len -= take;
			continue;
		}
		if (stopsig_seen())
			return CONN_STOP;
		/* Small reads go through the read-ahead buffer, big ones not. */
		if (c->in != NULL && len < c->in_cap) {
			n = recv(c->fd, c->in, c->in_cap, MSG_DONTWAIT);
			if (n > 0) {
				c->in_start = 0;
				c->in_end = n;
				continue;
			}
		} else
			n = recv(c->fd, buf, len, MSG_DONTWAIT);
		if (n > 0) {
			buf += n;
			len -= n;
		} else if (!would_block(n) || !await(c, POLLIN))
			return CONN_STOP;	/* the client left, or a signal */
	}
	return CONN_OK;
}

/*
 * Peeks without taking, for the exact reads of the compatible mode.  With
 * part of the message there, POLLIN holds already and cannot tell when
 * the rest comes, so the wait is for the client to hang up, in pauses
 * that grow to 64 ms: a client that sends a header in pieces is rare.
 */
static enum conn_status
peek_exact(struct conn *c, void *buf, size_t len, size_t *got)
{
	int64_t pause_ms = 1;
	bool hung_up = false;
	ssize_t n;
	int ev;

	for (;;) {
		if (stopsig_seen())
			return CONN_STOP;
		n = recv(c->fd, buf, len, MSG_PEEK | MSG_DONTWAIT);
		if (n == (ssize_t)len || n == 0 || hung_up ||
		    (n < 0 && !would_block(n))) {
			*got = n > 0 ? n : 0;
			return n == (ssize_t)len ? CONN_OK : CONN_STOP;
		}
		if (n < 0) {
			if (!await(c, POLLIN))
				return CONN_STOP;
			continue;
		}
		if ((ev = stopsig_poll(c->fd, POLLRDHUP, pause_ms)) < 0)
			return CONN_STOP;
		hung_up = ev != 0;
		if (pause_ms < 64)
			pause_ms *= 2;
	}
}

enum conn_status
conn_peek(struct conn *c, void *buf, size_t len, size_t *got)
{
	ssize_t n;

	*got = 0;
	/* Reading exactly: let the kernel keep the bytes. */
	if (c->in == NULL)
		return peek_exact(c, buf, len, got);
	while (c->in_end - c->in_start < len) {
		if (c->in_start > 0) {
			memmove(c->in, c->in + c->in_start,
			    c->in_end - c->in_start);
			c->in_end -= c->in_start;
			c->in_start = 0;
		}
		if (stopsig_seen())
			return CONN_STOP;
		n = recv(c->fd, c->in + c->in_end, c->in_cap - c->in_end,
		    MSG_DONTWAIT);
		if (n > 0)
			c->in_end += n;
		else if (!would_block(n)) {
			*got = c->in_end - c->in_start;
			return CONN_STOP;	/* the client left */
		} else if (!await(c, POLLIN))
			return CONN_STOP;
	}
	memcpy(buf, c->in + c->in_start, len);
	*got = len;
	return CONN_OK;
}

enum conn_status
conn_discard(struct conn *c, uint64_t len)
{
	unsigned char sink[65536];
	size_t n;

	while (len > 0) {
		n = len < sizeof(sink) ? len : sizeof(sink);
		if (recv_bytes(c, sink, n) != CONN_OK)
			return CONN_STOP;
		len -= n;
	}
	return CONN_OK;
}

/* Holds the connection without a word until the client gives up. */
static void
stall(struct conn *c)
{
	char sink[4096];
	ssize_t n;

	for (;;) {
		if (!await(c, POLLIN))
			return;
		n = recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && !would_block(n)))
			return;
	}
}

static uint64_t
next_random(struct conn *c)
{
	uint64_t x = c->rules.rng ? c->rules.rng : 0x9e3779b97f4a7c15ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	c->rules.rng = x;
	return x;
}

/*
 * A power cut: the volatile cache keeps what the rule's lose says, and
 * every connection closes, this one too, as the disk goes away.  The
 * server stays; its next client sees the disk as after a reboot.
 */
static enum conn_status
power_cut(struct conn *c, const struct message *m, const struct rule *r)
{
	struct power_cut pc;
	struct conn *o;
	int e;

	e = backend_power_cut(c->srv->backend, r->lose, next_random(c), &pc);
	log_injection(c, m, r, &pc);
	if (e != 0) {
		errno = e;
		note_errno("power cut: the backend failed to take what was "
		    "kept");
	}
	power_cut_free(&pc);
	pthread_mutex_lock(&c->srv->conns_lock);
	for (o = c->srv->conns; o != NULL; o = o->next)
		shutdown(o->fd, SHUT_RDWR);
	pthread_mutex_unlock(&c->srv->conns_lock);
	return CONN_STOP;
}

/* The actions that end the message where it was cut. */
static enum conn_status
finish(struct conn *c, const struct message *m, const struct rule *r)
{
	struct linger lg = { 1, 0 };

	switch (r->action) {
	case ACT_POWER_CUT:
		return power_cut(c, m, r);
	case ACT_EXIT:
		server_say(c->srv, STDOUT_FILENO,
		    "Closing connection on rule match %s", r->name);
		close(c->fd);
		exit(0);
	case ACT_RESET:
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		break;
	case ACT_STALL:
		stall(c);
		break;
	default:
		break;
	}
	return CONN_STOP;
}

static bool
bit_differs(const unsigned char *a, const unsigned char *b, uint64_t bit)
{
	return ((a[bit / 8] ^ b[bit / 8]) >> (bit % 8)) & 1;
}

/*
 * Flips `bits` distinct random bits of buf.  A position already flipped
 * is drawn again; past half of all the bits, flipping every bit and then
 * restoring the rest keeps the draws few.
 */
static void
flip_bits(struct conn *c, unsigned char *buf, size_t len, uint64_t bits)
{
	uint64_t total = (uint64_t)len * 8, bit, left;
	unsigned char *orig;
	bool invert;
	size_t i;

	if (len == 0 || (orig = malloc(len)) == NULL)
		return;
	memcpy(orig, buf, len);
	if (bits > total)
		bits = total;
	invert = bits > total / 2;
	left = invert ? total - bits : bits;
	if (invert)
		for (i = 0; i < len; i++)
			buf[i] ^= 0xff;
	while (left > 0) {
		bit = next_random(c) % total;
		/* Flipped means differing from orig; inverted, the reverse. */
		if (bit_differs(buf, orig, bit) != invert)
			continue;
		buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		left--;
	}
	free(orig);
}

/* The message flattened, for actions that change its bytes. */
static unsigned char *
flatten(const struct iovec *iov, int iovcnt, size_t size)
{
	unsigned char *copy = malloc(size ? size : 1), *p = copy;
	int i;

	for (i = 0; copy != NULL && i < iovcnt; i++) {
		memcpy(p, iov[i].iov_base, iov[i].iov_len);
		p += iov[i].iov_len;
	}
	return copy;
}

/* Sends the first point bytes, pauses, then sends the rest. */
static enum conn_status
send_with_pause(struct conn *c, struct iovec *iov, int iovcnt, size_t size,
    size_t point, int64_t ms)
{
	enum conn_status st;
	struct iovec part;
	unsigned char *flat;

	if (point == 0) {
		if (!stopsig_pause(ms))
			return CONN_STOP;
		return send_upto(c, iov, iovcnt, SIZE_MAX);
	}
	if (point >= size) {
		st = send_upto(c, iov, iovcnt, SIZE_MAX);
		if (st == CONN_OK && !stopsig_pause(ms))
			st = CONN_STOP;
		return st;
	}
	flat = flatten(iov, iovcnt, size);
	if (flat == NULL)
		return CONN_STOP;
	part = (struct iovec){ flat, point };
	st = send_upto(c, &part, 1, SIZE_MAX);
	if (st == CONN_OK && !stopsig_pause(ms))
		st = CONN_STOP;
	if (st == CONN_OK) {
		part = (struct iovec){ flat + point, size - point };
		st = send_upto(c, &part, 1, SIZE_MAX);
	}
	free(flat);
	return st;
}

enum conn_status
conn_send(struct conn *c, const struct message *m, const struct verdict *v,
    struct iovec *iov, int iovcnt)
{
	struct verdict judged;
	const struct rule *r;
	enum conn_status st;
	struct iovec one;
	size_t cut;

	if (v == NULL) {
		conn_judge(c, m, &judged);
		v = &judged;
	}
	r = v->actor;
	if (r == NULL)
		return send_upto(c, iov, iovcnt, SIZE_MAX);
	if (r->action != ACT_POWER_CUT)
		log_injection(c, m, r, NULL);
	switch (r->action) {
	case ACT_ERROR:
		c->wire_errno = r->errno_wire;
		return CONN_ERROR;
	case ACT_DELAY:
		return send_with_pause(c, iov, iovcnt, m->size, v->point,
		    r->delay_ms);
	case ACT_CORRUPT:
	case ACT_TRUNCATE:
		one.iov_base = flatten(iov, iovcnt, m->size);
		if (one.iov_base == NULL)
			return CONN_STOP;
		one.iov_len = m->size;
		if (r->action == ACT_CORRUPT)
			flip_bits(c, one.iov_base, m->size, r->corrupt_bits);
		else {
			cut = v->point > 0 && v->point < m->size ? v->point :
			    m->size / 2;
			one.iov_len = cut;
		}
		{
			void *base = one.iov_base;

			st = send_upto(c, &one, 1, SIZE_MAX);
			free(base);
		}
		return st;
	default:
		st = send_upto(c, iov, iovcnt, v->point);
		return st == CONN_OK ? finish(c, m, r) : st;
	}
}

enum conn_status
conn_recv(struct conn *c, const struct message *m, const struct verdict *v,
    void *buf)
{
	struct verdict judged;
	const struct rule *r;
	enum conn_status st;
	unsigned char *p = buf;
	size_t cut;

	if (v == NULL) {
		conn_judge(c, m, &judged);
		v = &judged;
	}
	r = v->actor;
	if (r == NULL)
		return recv_bytes(c, p, m->size);
	if (r->action != ACT_POWER_CUT)
		log_injection(c, m, r, NULL);
	switch (r->action) {
	case ACT_ERROR:
		c->wire_errno = r->errno_wire;
		st = recv_bytes(c, p, m->size);
		return st == CONN_OK ? CONN_ERROR : st;
	case ACT_DELAY:
		st = recv_bytes(c, p, v->point);
		if (st != CONN_OK)
			return st;
		if (!stopsig_pause(r->delay_ms))
			return CONN_STOP;
		return recv_bytes(c, p + v->point, m->size - v->point);
	case ACT_CORRUPT:
		st = recv_bytes(c, p, m->size);
		if (st == CONN_OK)
			flip_bits(c, p, m->size, r->corrupt_bits);
		return st;
	case ACT_TRUNCATE:
		cut = v->point > 0 && v->point < m->size ? v->point :
		    m->size / 2;
		st = recv_bytes(c, p, cut);
		memset(p + cut, 0, m->size - cut);
		return st;
	default:
		st = recv_bytes(c, p, v->point);
		return st == CONN_OK ? finish(c, m, r) : st;
	}
}

/*
 * A volatile cache's unflushed writes die with the server, as with the
 * power: nothing reaches the backend that the client did not flush.
 */
void
server_report_dropped(struct server *srv)
{
	uint64_t ops, bytes;

	backend_pending(srv->backend, &ops, &bytes);
	if (ops == 0)
		return;
	server_say(srv, STDERR_FILENO, "nbd-fault: dropped %" PRIu64
	    " unflushed operation%s (%" PRIu64 " bytes) on shutdown", ops,
	    ops == 1 ? "" : "s", bytes);
	if (srv->log_json)
		server_say(srv, STDOUT_FILENO, "{\"dropped\":{\"operations\":%"
		    PRIu64 ",\"bytes\":%" PRIu64 "}}", ops, bytes);
}
