#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nbd-proto.h"
#include "serve.h"

/* Zeros to send from, for the zero backend and the compatible mode. */
#define ZERO_CHUNK (1u << 20)
static unsigned char zeros[ZERO_CHUNK];

/* Extents in one BLOCK_STATUS reply, at most. */
#define MAX_EXTENTS 1024

struct request {
	uint16_t flags, type;
	uint64_t cookie, offset;
	uint32_t length;
};

/* A host errno as the protocol spells it. */
static uint32_t
wire_errno(int e)
{
	switch (e) {
	case 0: return 0;
	case EPERM: case EROFS: return NBD_EPERM;
	case EIO: return NBD_EIO;
	case ENOMEM: return NBD_ENOMEM;
	case ENOSPC: case EDQUOT: case EFBIG: return NBD_ENOSPC;
	case ESHUTDOWN: return NBD_ESHUTDOWN;
	case EOVERFLOW: return NBD_EOVERFLOW;
	case ENOTSUP: return NBD_ENOTSUP;
	}
	return NBD_EINVAL;
}

static struct message
message_of(enum event ev, enum io_dir io, const struct request *r, size_t size)
{
	return (struct message){ .event = ev, .io = io, .command = r->type,
	    .option = -1, .offset = r->offset, .length = r->length,
	    .size = size };
}

/* A simple reply header: magic, error, cookie. */
static void
simple_header(unsigned char h[16], uint32_t err, uint64_t cookie)
{
	put32(h, NBD_SIMPLE_REPLY_MAGIC);
	put32(h + 4, err);
	put64(h + 8, cookie);
}

static void
chunk_header(unsigned char h[20], uint16_t flags, uint16_t type,
    uint64_t cookie, uint32_t len)
{
	put32(h, NBD_STRUCTURED_REPLY_MAGIC);
	put16(h + 4, flags);
	put16(h + 6, type);
	put64(h + 8, cookie);
	put32(h + 16, len);
}

/*
 * An error reply: structured for READ and BLOCK_STATUS once structured
 * replies are on, simple otherwise.  judged sends it as a reply message
 * under the rules; an error a rule injected goes out as it is.
 */
static enum conn_status
send_error(struct conn *c, const struct request *r, uint32_t err,
    bool judged)
{
	unsigned char h[20 + 6];
	struct message m;
	struct iovec iov;
	enum conn_status st;

	if (c->structured && (r->type == NBD_CMD_READ ||
	    r->type == NBD_CMD_BLOCK_STATUS)) {
		chunk_header(h, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_ERROR,
		    r->cookie, 6);
		put32(h + 20, err);
		put16(h + 24, 0);
		iov = (struct iovec){ h, 26 };
	} else {
		simple_header(h, err, r->cookie);
		iov = (struct iovec){ h, 16 };
	}
	if (!judged)
		return conn_send_raw(c, &iov, 1);
	m = message_of(EV_REPLY, IO_WRITE, r, iov.iov_len);
	st = conn_send(c, &m, NULL, &iov, 1);
	/* A rule may turn an error reply into another error. */
	if (st == CONN_ERROR)
		return send_error(c, r, c->wire_errno, false);
	return st;
}

/* A reply with no data, for everything but READ and BLOCK_STATUS. */
static enum conn_status
send_done(struct conn *c, const struct request *r)
{
	unsigned char h[16];
	struct message m = message_of(EV_REPLY, IO_WRITE, r, sizeof(h));
	struct iovec iov = { h, sizeof(h) };
	enum conn_status st;

	simple_header(h, 0, r->cookie);
	st = conn_send(c, &m, NULL, &iov, 1);
	return st == CONN_ERROR ? send_error(c, r, c->wire_errno, false) : st;
}

/* Points iov at len zero bytes; returns the count of entries. */
static int
zero_iov(struct iovec *iov, size_t len)
{
	int n = 0;

	while (len > 0) {
		iov[n].iov_base = zeros;
		iov[n].iov_len = len < ZERO_CHUNK ? len : ZERO_CHUNK;
		len -= iov[n++].iov_len;
	}
	return n;
}

/*
 * A READ's reply: the header (simple, or an OFFSET_DATA chunk) and the
 * data, as two messages.  Both are judged before either moves: an error
 * a rule asks for on the data must replace the header too.
 */
static enum conn_status
send_read(struct conn *c, const struct request *r, void *data)
{
	struct iovec iov[2 + MAX_PAYLOAD / ZERO_CHUNK + 1];
	struct message mh, md;
	struct verdict vh, vd;
	unsigned char h[28];
	enum conn_status st;
	size_t hlen;
	int n;

	if (c->structured) {
		chunk_header(h, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_OFFSET_DATA,
		    r->cookie, 8 + r->length);
		put64(h + 20, r->offset);
		hlen = 28;
	} else {
		simple_header(h, 0, r->cookie);
		hlen = 16;
	}
	mh = message_of(EV_REPLY, IO_WRITE, r, hlen);
	md = message_of(EV_DATA, IO_WRITE, r, r->length);
	conn_judge(c, &mh, &vh);
	conn_judge(c, &md, &vd);
	iov[0] = (struct iovec){ h, hlen };
	if (data != NULL) {
		iov[1] = (struct iovec){ data, r->length };
		n = 2;
	} else
		n = 1 + zero_iov(iov + 1, r->length);
	if (vh.actor == NULL && vd.actor == NULL)
		return conn_send_raw(c, iov, n);
	if (vd.actor != NULL && vd.actor->action == ACT_ERROR) {
		conn_send(c, &md, &vd, iov + 1, n - 1);
		return send_error(c, r, c->wire_errno, false);
	}
	st = conn_send(c, &mh, &vh, iov, 1);
	if (st == CONN_ERROR)
		return send_error(c, r, c->wire_errno, false);
	if (st != CONN_OK)
		return st;
	return conn_send(c, &md, &vd, iov + 1, n - 1);
}

static enum conn_status
block_status(struct conn *c, const struct request *r)
{
	unsigned char *d, h[20];
	struct message m;
	struct iovec iov[2];
	uint64_t off = r->offset, end = r->offset + r->length, len;
	uint32_t flags;
	size_t n = 0;
	enum conn_status st;
	int e = 0;

	d = malloc(4 + 8 * MAX_EXTENTS);
	if (d == NULL)
		return send_error(c, r, NBD_ENOMEM, true);
	put32(d, 1);			/* base:allocation's context id */
	while (off < end && n < MAX_EXTENTS) {
		e = backend_extent(c->srv->backend, off, end - off, &len, &flags);
		if (e != 0 || len == 0)
			break;
		if (len > 0xfffff000u)	/* a u32, kept 4 KiB aligned */
			len = 0xfffff000u;
		put32(d + 4 + 8 * n, (uint32_t)len);
		put32(d + 8 + 8 * n, flags);
		n++;
		off += len;
		if (r->flags & NBD_CMD_FLAG_REQ_ONE)
			break;
	}
	if (n == 0) {
		free(d);
		return send_error(c, r, e ? wire_errno(e) : NBD_EIO, true);
	}
	chunk_header(h, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_BLOCK_STATUS,
	    r->cookie, 4 + 8 * n);
	iov[0] = (struct iovec){ h, sizeof(h) };
	iov[1] = (struct iovec){ d, 4 + 8 * n };
	m = message_of(EV_REPLY, IO_WRITE, r, sizeof(h) + 4 + 8 * n);
	st = conn_send(c, &m, NULL, iov, 2);
	free(d);
	return st == CONN_ERROR ? send_error(c, r, c->wire_errno, false) : st;
}

/* The spec's checks, in nbdkit's order: flags, read-only, range. */
static uint32_t
validate(const struct conn *c, const struct request *r)
{
	uint64_t size = backend_size(c->srv->backend);
	bool ro = (transmission_flags(c) & NBD_FLAG_READ_ONLY) != 0;
	bool beyond = r->offset > size || r->length > size - r->offset;
	uint16_t allowed;

	switch (r->type) {
	case NBD_CMD_READ: allowed = c->structured ? NBD_CMD_FLAG_DF : 0; break;
	case NBD_CMD_WRITE: allowed = NBD_CMD_FLAG_FUA; break;
	case NBD_CMD_TRIM: allowed = NBD_CMD_FLAG_FUA; break;
	case NBD_CMD_WRITE_ZEROES:
		allowed = NBD_CMD_FLAG_FUA | NBD_CMD_FLAG_NO_HOLE |
		    NBD_CMD_FLAG_FAST_ZERO;
		break;
	case NBD_CMD_BLOCK_STATUS: allowed = NBD_CMD_FLAG_REQ_ONE; break;
	case NBD_CMD_DISC: case NBD_CMD_FLUSH: case NBD_CMD_CACHE:
		allowed = 0;
		break;
	default:
		return NBD_EINVAL;
	}
	if (r->flags & ~allowed)
		return NBD_EINVAL;
	switch (r->type) {
	case NBD_CMD_FLUSH:
		return r->offset != 0 || r->length != 0 ? NBD_EINVAL : 0;
	case NBD_CMD_DISC:
		return 0;
	case NBD_CMD_WRITE:
	case NBD_CMD_WRITE_ZEROES:
	case NBD_CMD_TRIM:
		if (ro)
			return NBD_EPERM;
		break;
	case NBD_CMD_BLOCK_STATUS:
		if (!c->structured || !c->meta_allocation)
			return NBD_EINVAL;
		break;
	}
	if (r->length == 0)
		return NBD_EINVAL;
	if ((r->type == NBD_CMD_READ || r->type == NBD_CMD_WRITE) &&
	    r->length > MAX_PAYLOAD)
		return NBD_EINVAL;
	if (beyond)
		return r->type == NBD_CMD_WRITE ||
		    r->type == NBD_CMD_WRITE_ZEROES ? NBD_ENOSPC : NBD_EINVAL;
	return 0;
}

/* A growing per-connection buffer for payloads. */
static void *
payload_buffer(void **buf, size_t *cap, size_t len)
{
	void *grown;

	if (len <= *cap)
		return *buf;
	grown = realloc(*buf, len);
	if (grown == NULL)
		return NULL;
	*cap = len;
	return *buf = grown;
}

static enum conn_status
do_read(struct conn *c, const struct request *r, void **buf, size_t *cap)
{
	void *data = NULL;
	int e;

	if (backend_is_zero(c->srv->backend))
		return send_read(c, r, NULL);
	data = payload_buffer(buf, cap, r->length);
	if (data == NULL)
		return send_error(c, r, NBD_ENOMEM, true);
	e = backend_read(c->srv->backend, data, r->offset, r->length);
	if (e != 0)
		return send_error(c, r, wire_errno(e), true);
	return send_read(c, r, data);
}

static enum conn_status
do_write(struct conn *c, const struct request *r, uint32_t err, void **buf,
    size_t *cap)
{
	struct message m = message_of(EV_DATA, IO_READ, r, r->length);
	enum conn_status st;
	void *data;
	int e;

	/* The payload comes whatever we answer; too much cannot be drained. */
	if (r->length > 2 * MAX_PAYLOAD)
		return CONN_STOP;
	if (err != 0 || r->length > MAX_PAYLOAD) {
		if (conn_discard(c, r->length) != CONN_OK)
			return CONN_STOP;
		return send_error(c, r, err ? err : NBD_EINVAL, true);
	}
	data = payload_buffer(buf, cap, r->length);
	if (data == NULL)
		return CONN_STOP;
	st = conn_recv(c, &m, NULL, data);
	if (st == CONN_ERROR)
		return send_error(c, r, c->wire_errno, false);
	if (st != CONN_OK)
		return st;
	if (c->srv->compat)
		return send_done(c, r);
	e = backend_write(c->srv->backend, data, r->offset, r->length,
	    (r->flags & NBD_CMD_FLAG_FUA) != 0);
	return e ? send_error(c, r, wire_errno(e), true) : send_done(c, r);
}

/* Runs a payload-less command on the backend. */
static enum conn_status
do_other(struct conn *c, const struct request *r)
{
	struct backend *b = c->srv->backend;
	bool fua = (r->flags & NBD_CMD_FLAG_FUA) != 0;
	int e = 0;

	switch (r->type) {
	case NBD_CMD_FLUSH:
		e = backend_flush(b);
		break;
	case NBD_CMD_TRIM:
		e = backend_trim(b, r->offset, r->length);
		break;
	case NBD_CMD_WRITE_ZEROES:
		e = backend_zero(b, r->offset, r->length,
		    !(r->flags & NBD_CMD_FLAG_NO_HOLE));
		break;
	case NBD_CMD_CACHE:
		break;
	case NBD_CMD_BLOCK_STATUS:
		return block_status(c, r);
	}
	if (e == 0 && fua)
		e = backend_flush(b);
	return e ? send_error(c, r, wire_errno(e), true) : send_done(c, r);
}

/*
 * Takes the next request.  Where a rule picks requests by command or
 * offset it is peeked first, to be judged by them; otherwise it is judged
 * before it arrives, as the injector does: a rule that acts "before" the
 * request then closes before the client has sent it.
 */
static enum conn_status
next_request(struct conn *c, struct request *r, bool *injected)
{
	unsigned char h[NBD_REQUEST_SIZE];
	struct message m;
	enum conn_status st;
	size_t got;

	*injected = false;
	memset(r, 0, sizeof(*r));
	m = message_of(EV_REQUEST, IO_READ, r, sizeof(h));
	m.command = -1;
	if (c->peek_requests) {
		st = conn_peek(c, h, sizeof(h), &got);
		if (st != CONN_OK) {
			if (got > 0)
				server_say(c->srv, STDERR_FILENO, "nbd-fault: "
				    "connection %" PRIu64 ": the client left in "
				    "the middle of a request", c->index);
			return st;
		}
		m.command = get16(h + 6);
		m.offset = get64(h + 16);
		m.length = get32(h + 24);
	}
	st = conn_recv(c, &m, NULL, h);
	if (st == CONN_ERROR) {
		*injected = true;
		st = CONN_OK;
	}
	r->flags = get16(h + 4);
	r->type = get16(h + 6);
	r->cookie = get64(h + 8);
	r->offset = get64(h + 16);
	r->length = get32(h + 24);
	if (st == CONN_OK && get32(h) != NBD_REQUEST_MAGIC) {
		server_say(c->srv, STDERR_FILENO, "nbd-fault: connection %" PRIu64
		    ": bad request magic; closing", c->index);
		return CONN_STOP;
	}
	return st;
}

/*
 * The injector's transmission: READ and WRITE without flags, DISC; any
 * other command word is reported on stdout and ends the connection.
 */
static enum conn_status
compat_request(struct conn *c, const struct request *r, void **buf,
    size_t *cap)
{
	uint32_t word = (uint32_t)r->flags << 16 | r->type;

	switch (word) {
	case NBD_CMD_READ:
		if (r->length > MAX_PAYLOAD)
			return CONN_STOP;
		return send_read(c, r, NULL);
	case NBD_CMD_WRITE:
		return do_write(c, r, 0, buf, cap);
	case NBD_CMD_DISC:
		return CONN_STOP;
	}
	server_say(c->srv, STDOUT_FILENO, "unrecognized command type %#x", word);
	return CONN_STOP;
}

enum conn_status
serve_transmission(struct conn *c)
{
	struct request r;
	enum conn_status st;
	void *buf = NULL;
	size_t cap = 0;
	uint32_t err;
	bool injected;

	for (;;) {
		st = next_request(c, &r, &injected);
		if (st != CONN_OK)
			break;
		err = injected ? c->wire_errno : 0;
		if (injected && r.type != NBD_CMD_WRITE) {
			st = send_error(c, &r, err, false);
		} else if (c->srv->compat && !injected) {
			st = compat_request(c, &r, &buf, &cap);
		} else if (r.type == NBD_CMD_DISC) {
			st = CONN_STOP;
		} else if (r.type == NBD_CMD_WRITE) {
			st = do_write(c, &r, err ? err : validate(c, &r), &buf,
			    &cap);
		} else if ((err = validate(c, &r)) != 0) {
			st = send_error(c, &r, err, true);
		} else if (r.type == NBD_CMD_READ) {
			st = do_read(c, &r, &buf, &cap);
		} else
			st = do_other(c, &r);
		if (st != CONN_OK)
			break;
	}
	free(buf);
	return st;
}
