#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nbd-proto.h"
#include "serve.h"

/* Names, option and query strings: the spec's 4096-byte bound. */
#define MAX_STRING 4096
/* Option data we read and drop for options we do not know. */
#define MAX_OPTION_DATA (1u << 20)

uint16_t
transmission_flags(const struct conn *c)
{
	const struct server *srv = c->srv;
	uint16_t f = NBD_FLAG_HAS_FLAGS;

	/*
	 * The injector sends 0, which modern clients refuse; HAS_FLAGS
	 * alone changes no byte count and says nothing it does not do.
	 */
	if (srv->compat)
		return f;
	f |= NBD_FLAG_SEND_FLUSH | NBD_FLAG_SEND_FUA | NBD_FLAG_SEND_TRIM |
	    NBD_FLAG_SEND_WRITE_ZEROES | NBD_FLAG_SEND_FAST_ZERO |
	    NBD_FLAG_SEND_CACHE;
	if (c->structured)
		f |= NBD_FLAG_SEND_DF;
	if (srv->readonly || backend_readonly(srv->backend))
		f |= NBD_FLAG_READ_ONLY;
	if (srv->multi_conn)
		f |= NBD_FLAG_CAN_MULTI_CONN;
	return f;
}

static void
note_client(struct conn *c, const char *what)
{
	server_say(c->srv, STDERR_FILENO, "nbd-fault: connection %" PRIu64
	    ": %s", c->index, what);
}

static enum conn_status
send_message(struct conn *c, enum event ev, int option, void *buf,
    size_t len)
{
	struct message m = { .event = ev, .io = IO_WRITE, .command = -1,
	    .option = option, .size = len };
	struct iovec iov = { buf, len };

	return conn_send(c, &m, NULL, &iov, 1);
}

static enum conn_status
oldstyle(struct conn *c)
{
	unsigned char g[NBD_OLDSTYLE_GREETING_SIZE] = { 0 };

	put64(g, NBD_MAGIC);
	put64(g + 8, NBD_OLDSTYLE_MAGIC);
	put64(g + 16, backend_size(c->srv->backend));
	put32(g + 24, transmission_flags(c));
	return send_message(c, EV_NEG_CLASSIC, -1, g, sizeof(g));
}

/* The EXPORT_NAME answer: size, flags, and 124 zeros unless NO_ZEROES. */
static enum conn_status
export_answer(struct conn *c)
{
	unsigned char a[134] = { 0 };

	put64(a, backend_size(c->srv->backend));
	put16(a + 8, transmission_flags(c));
	return send_message(c, EV_NEG2, -1, a, c->no_zeroes ? 10 : 134);
}

static bool
export_known(const struct conn *c, const char *name)
{
	return c->srv->export_name == NULL ||
	    strcmp(name, c->srv->export_name) == 0;
}

/*
 * The injector's non-fixed newstyle: its greeting, the client flags and
 * one EXPORT_NAME option read as one 20-byte message, the name, the
 * answer.  There is no way to report an error in this style: anything
 * else closes the connection.
 */
static enum conn_status
compat_newstyle(struct conn *c)
{
	unsigned char g[NBD_NEWSTYLE_GREETING_SIZE], h[20];
	struct message m = { .event = EV_EXPORT, .io = IO_READ, .command = -1,
	    .option = -1, .size = sizeof(h) };
	char *name;
	uint32_t len;
	enum conn_status st;

	put64(g, NBD_MAGIC);
	put64(g + 8, NBD_OPTS_MAGIC);
	put16(g + 16, 0);
	if ((st = send_message(c, EV_NEG1, -1, g, sizeof(g))) != CONN_OK)
		return st;
	if ((st = conn_recv(c, &m, NULL, h)) != CONN_OK)
		return st;
	if (get64(h + 4) != NBD_OPTS_MAGIC || get32(h + 12) != NBD_OPT_EXPORT_NAME) {
		note_client(c, "expected the EXPORT_NAME option; closing");
		return CONN_STOP;
	}
	len = get32(h + 16);
	if (len > MAX_STRING) {
		note_client(c, "export name too long; closing");
		return CONN_STOP;
	}
	name = malloc(len + 1);
	if (name == NULL)
		return CONN_STOP;
	m = (struct message){ .event = EV_COUNT, .io = IO_READ, .command = -1,
	    .option = -1, .size = len };
	st = conn_recv(c, &m, NULL, name);
	free(name);
	return st == CONN_OK ? export_answer(c) : st;
}

/* One option reply: header and data, as an option-reply message. */
static enum conn_status
option_reply(struct conn *c, uint32_t option, uint32_t type,
    const void *data, uint32_t len)
{
	struct message m = { .event = EV_OPTION_REPLY, .io = IO_WRITE,
	    .command = -1, .option = option, .size = 20 + len };
	unsigned char h[20];
	struct iovec iov[2] = { { h, sizeof(h) }, { (void *)data, len } };

	put64(h, NBD_REP_MAGIC);
	put32(h + 8, option);
	put32(h + 12, type);
	put32(h + 16, len);
	return conn_send(c, &m, NULL, iov, len > 0 ? 2 : 1);
}

static enum conn_status
option_error(struct conn *c, uint32_t option, uint32_t type,
    const char *why)
{
	return option_reply(c, option, type, why, strlen(why));
}

/* Reads a u32-length-prefixed string at *p within [*p, end). */
static bool
take_string(const unsigned char **p, const unsigned char *end, char *out)
{
	uint32_t len;

	if (end - *p < 4)
		return false;
	len = get32(*p);
	*p += 4;
	if (len > MAX_STRING || (size_t)(end - *p) < len)
		return false;
	memcpy(out, *p, len);
	out[len] = '\0';
	*p += len;
	return true;
}

static enum conn_status
info_or_go(struct conn *c, uint32_t option, const unsigned char *d,
    uint32_t len, bool *acked)
{
	const unsigned char *p = d, *end = d + len;
	unsigned char info[14];
	char name[MAX_STRING + 1];
	enum conn_status st;
	bool want_block_size = false;
	uint16_t n, i;

	if (!take_string(&p, end, name) || end - p < 2)
		return option_error(c, option, NBD_REP_ERR_INVALID,
		    "malformed INFO/GO request");
	n = get16(p);
	p += 2;
	if (end - p != 2 * n)
		return option_error(c, option, NBD_REP_ERR_INVALID,
		    "wrong number of information requests");
	for (i = 0; i < n; i++)
		if (get16(p + 2 * i) == NBD_INFO_BLOCK_SIZE)
			want_block_size = true;
	if (!export_known(c, name))
		return option_error(c, option, NBD_REP_ERR_UNKNOWN,
		    "no such export");
	put16(info, NBD_INFO_EXPORT);
	put64(info + 2, backend_size(c->srv->backend));
	put16(info + 10, transmission_flags(c));
	if ((st = option_reply(c, option, NBD_REP_INFO, info, 12)) != CONN_OK)
		return st;
	if (want_block_size) {
		put16(info, NBD_INFO_BLOCK_SIZE);
		put32(info + 2, 1);
		put32(info + 6, 4096);
		put32(info + 10, MAX_PAYLOAD);
		if ((st = option_reply(c, option, NBD_REP_INFO, info, 14)) !=
		    CONN_OK)
			return st;
	}
	st = option_reply(c, option, NBD_REP_ACK, NULL, 0);
	*acked = st == CONN_OK;
	return st;
}

static enum conn_status
meta_context(struct conn *c, uint32_t option, const unsigned char *d,
    uint32_t len)
{
	const unsigned char *p = d, *end = d + len;
	char name[MAX_STRING + 1], query[MAX_STRING + 1];
	unsigned char reply[4 + sizeof(NBD_META_BASE_ALLOCATION)];
	bool set = option == NBD_OPT_SET_META_CONTEXT, hit = false;
	uint32_t n, i;
	enum conn_status st;

	if (set && !c->structured)
		return option_error(c, option, NBD_REP_ERR_INVALID,
		    "structured replies first");
	if (!take_string(&p, end, name) || end - p < 4)
		return option_error(c, option, NBD_REP_ERR_INVALID,
		    "malformed meta context request");
	n = get32(p);
	p += 4;
	for (i = 0; i < n; i++) {
		if (!take_string(&p, end, query))
			return option_error(c, option, NBD_REP_ERR_INVALID,
			    "malformed meta context query");
		if (strcmp(query, NBD_META_BASE_ALLOCATION) == 0 ||
		    (!set && strcmp(query, "base:") == 0))
			hit = true;
	}
	if (p != end)
		return option_error(c, option, NBD_REP_ERR_INVALID,
		    "trailing bytes in meta context request");
	if (!export_known(c, name))
		return option_error(c, option, NBD_REP_ERR_UNKNOWN,
		    "no such export");
	/* LIST with no query lists every context we have. */
	if (!set && n == 0)
		hit = true;
	if (set)
		c->meta_allocation = hit;
	if (hit) {
		put32(reply, 1);
		memcpy(reply + 4, NBD_META_BASE_ALLOCATION,
		    sizeof(NBD_META_BASE_ALLOCATION) - 1);
		st = option_reply(c, option, NBD_REP_META_CONTEXT, reply,
		    sizeof(reply) - 1);
		if (st != CONN_OK)
			return st;
	}
	return option_reply(c, option, NBD_REP_ACK, NULL, 0);
}

static enum conn_status
list_exports(struct conn *c)
{
	const char *name = c->srv->export_name ? c->srv->export_name : "";
	size_t len = strlen(name);
	unsigned char *d = malloc(4 + len);
	enum conn_status st;

	if (d == NULL)
		return CONN_STOP;
	put32(d, len);
	memcpy(d + 4, name, len);
	st = option_reply(c, NBD_OPT_LIST, NBD_REP_SERVER, d, 4 + len);
	free(d);
	return st == CONN_OK ?
	    option_reply(c, NBD_OPT_LIST, NBD_REP_ACK, NULL, 0) : st;
}

/*
 * One option: its header (judged by the option it names, so rules can
 * pick one), its data, and the answer.  *go is set when transmission
 * starts.
 */
static enum conn_status
one_option(struct conn *c, bool *go)
{
	unsigned char h[16], *d = NULL;
	const unsigned char *data;
	struct message m = { .event = EV_OPTION, .io = IO_READ, .command = -1,
	    .size = sizeof(h) };
	uint32_t option, len;
	enum conn_status st;
	size_t got;

	/* Peeked only where a rule picks options by name; see transmit.c. */
	m.option = -1;
	if (c->peek_options) {
		if ((st = conn_peek(c, h, sizeof(h), &got)) != CONN_OK)
			return st;
		m.option = (int)get32(h + 8);
	}
	if ((st = conn_recv(c, &m, NULL, h)) != CONN_OK)
		return st;
	if (get64(h) != NBD_OPTS_MAGIC) {
		note_client(c, "bad option magic; closing");
		return CONN_STOP;
	}
	option = get32(h + 8);
	len = get32(h + 12);
	if (len > MAX_OPTION_DATA) {
		note_client(c, "option data too long; closing");
		return CONN_STOP;
	}
	if (len > 0) {
		d = malloc(len);
		if (d == NULL)
			return CONN_STOP;
		m = (struct message){ .event = EV_COUNT, .io = IO_READ,
		    .command = -1, .option = option, .size = len };
		if ((st = conn_recv(c, &m, NULL, d)) != CONN_OK) {
			free(d);
			return st;
		}
	}
	/* The parsers below take an empty buffer, never a null pointer. */
	data = d != NULL ? d : (const unsigned char *)"";
	switch (option) {
	case NBD_OPT_EXPORT_NAME: {
		char name[MAX_STRING + 1];

		if (len > MAX_STRING) {
			st = CONN_STOP;
			break;
		}
		memcpy(name, data, len);
		name[len] = '\0';
		/* No error path exists here: an unknown export hangs up. */
		if (!export_known(c, name)) {
			note_client(c, "unknown export name; closing");
			st = CONN_STOP;
			break;
		}
		st = export_answer(c);
		*go = st == CONN_OK;
		break;
	}
	case NBD_OPT_ABORT:
		option_reply(c, option, NBD_REP_ACK, NULL, 0);
		st = CONN_STOP;
		break;
	case NBD_OPT_LIST:
		st = len != 0 ? option_error(c, option, NBD_REP_ERR_INVALID,
		    "LIST takes no data") : list_exports(c);
		break;
	case NBD_OPT_INFO:
	case NBD_OPT_GO: {
		bool acked = false;

		st = info_or_go(c, option, data, len, &acked);
		/* A GO answered with ACK starts transmission. */
		*go = acked && option == NBD_OPT_GO;
		break;
	}
	case NBD_OPT_STRUCTURED_REPLY:
		if (len != 0 || c->structured)
			st = option_error(c, option, NBD_REP_ERR_INVALID,
			    len != 0 ? "takes no data" : "already negotiated");
		else {
			c->structured = true;
			st = option_reply(c, option, NBD_REP_ACK, NULL, 0);
		}
		break;
	case NBD_OPT_LIST_META_CONTEXT:
	case NBD_OPT_SET_META_CONTEXT:
		st = meta_context(c, option, data, len);
		break;
	default:
		st = option_error(c, option, NBD_REP_ERR_UNSUP,
		    "unsupported option");
		break;
	}
	free(d);
	return st;
}

static enum conn_status
fixed_newstyle(struct conn *c)
{
	unsigned char g[NBD_NEWSTYLE_GREETING_SIZE], f[4];
	struct message m = { .event = EV_EXPORT, .io = IO_READ, .command = -1,
	    .option = -1, .size = sizeof(f) };
	enum conn_status st;
	uint32_t flags;
	bool go = false;

	put64(g, NBD_MAGIC);
	put64(g + 8, NBD_OPTS_MAGIC);
	put16(g + 16, NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES);
	if ((st = send_message(c, EV_NEG1, -1, g, sizeof(g))) != CONN_OK)
		return st;
	if ((st = conn_recv(c, &m, NULL, f)) != CONN_OK)
		return st;
	flags = get32(f);
	/* An unknown client flag is a MUST-drop. */
	if (flags & ~(uint32_t)(NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES)) {
		note_client(c, "unknown client flags; closing");
		return CONN_STOP;
	}
	c->no_zeroes = (flags & NBD_FLAG_C_NO_ZEROES) != 0;
	while (!go)
		if ((st = one_option(c, &go)) != CONN_OK)
			return st;
	return CONN_OK;
}

enum conn_status
serve_handshake(struct conn *c)
{
	if (c->srv->classic)
		return oldstyle(c);
	return c->srv->compat ? compat_newstyle(c) : fixed_newstyle(c);
}
