#include <locale.h>
#include <string.h>
#include <wchar.h>

#include "sanitize.h"

#define ESC 0x1b
#define CAN 0x18	/* cancels an escape sequence */
#define SUB 0x1a	/* so does this */
#define BEL 0x07	/* ends an OSC */

enum {
	ST_TEXT,
	ST_ESC,		/* after ESC */
	ST_ESC_MID,	/* ESC and intermediate bytes, as ESC ( B */
	ST_CSI,		/* ESC [ and parameters */
	ST_STRING,	/* OSC, DCS, SOS, PM, APC: until BEL or ESC \ */
	ST_STRING_ESC,	/* an ESC in a string */
};

int
san_locale(void)
{
	static const char *const names[] = { "C.UTF-8", "C.utf8",
	    "en_US.UTF-8" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (setlocale(LC_CTYPE, names[i]) != NULL)
			return 0;
	return -1;
}

void
san_decoder_reset(struct san_decoder *d)
{
	memset(d, 0, sizeof(*d));
}

void
san_reset(struct san_line *l)
{
	/* Not text[]: a reset per line must stay cheap for short lines. */
	memset(l, 0, offsetof(struct san_line, text));
}

static bool
is_bidi_control(uint32_t cp)
{
	/* Reordering the row could pull text across the window's lines. */
	return cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

static void
put_char(uint32_t cp, struct san_token *t)
{
	char *s = t->bytes;

	if (cp < 0xa0 || is_bidi_control(cp))
		return;		/* C1 controls: some terminals obey them */
	if ((t->width = wcwidth((wchar_t)cp)) < 0)
		return;
	if (cp < 0x800) {
		s[0] = (char)(0xc0 | cp >> 6);
		s[1] = (char)(0x80 | (cp & 0x3f));
		t->len = 2;
	} else if (cp < 0x10000) {
		s[0] = (char)(0xe0 | cp >> 12);
		s[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		s[2] = (char)(0x80 | (cp & 0x3f));
		t->len = 3;
	} else {
		s[0] = (char)(0xf0 | cp >> 18);
		s[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		s[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		s[3] = (char)(0x80 | (cp & 0x3f));
		t->len = 4;
	}
	t->kind = SAN_CHAR;
}

/*
 * A byte of text.  UTF-8 is checked as RFC 3629 has it (no overlong
 * forms, no surrogates, nothing past U+10FFFF), and each maximal invalid
 * subsequence becomes one '?', as Unicode recommends: a byte that breaks
 * a character is decoded again after that character's '?'.
 */
static int
text_byte(struct san_decoder *d, unsigned char c, struct san_token *t)
{
	if (d->u8_need > 0) {
		if (c >= d->u8_lo && c <= d->u8_hi) {
			d->u8_cp = d->u8_cp << 6 | (c & 0x3f);
			d->u8_lo = 0x80;
			d->u8_hi = 0xbf;
			if (--d->u8_need == 0)
				put_char(d->u8_cp, t);
			return 1;
		}
		d->u8_need = 0;
		t->kind = SAN_INVALID;
		return 0;
	}
	if (c >= 0x20 && c < 0x7f) {
		t->kind = SAN_CHAR;
		t->bytes[0] = (char)c;
		t->len = 1;
		t->width = 1;
		return 1;
	}
	if (c < 0x80) {
		if (c == '\t')
			t->kind = SAN_TAB;
		else if (c == '\r')
			t->kind = SAN_CR;
		else if (c == '\b')
			t->kind = SAN_BACKSPACE;
		else if (c == ESC)
			d->state = ST_ESC;
		return 1;	/* other controls and DEL: dropped */
	}
	d->u8_lo = 0x80;
	d->u8_hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf) {
		d->u8_need = 1;
		d->u8_cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		d->u8_need = 2;
		d->u8_cp = c & 0x0f;
		if (c == 0xe0)
			d->u8_lo = 0xa0;	/* overlong */
		if (c == 0xed)
			d->u8_hi = 0x9f;	/* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		d->u8_need = 3;
		d->u8_cp = c & 0x07;
		if (c == 0xf0)
			d->u8_lo = 0x90;	/* overlong */
		if (c == 0xf4)
			d->u8_hi = 0x8f;	/* past U+10FFFF */
	} else
		t->kind = SAN_INVALID;
	return 1;
}

/* A byte after ESC: which sequence this is, or its end. */
static int
esc_byte(struct san_decoder *d, unsigned char c, struct san_token *t)
{
	if (c == '[')
		d->state = ST_CSI;
	else if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_')
		d->state = ST_STRING;
	else if (c >= 0x20 && c <= 0x2f)
		d->state = ST_ESC_MID;
	else if ((c >= 0x30 && c <= 0x7e) || c == CAN || c == SUB)
		d->state = ST_TEXT;
	else if (c == ESC)
		d->state = ST_ESC;
	else if (c == '\r')
		t->kind = SAN_CR;
	else if (c >= 0x80) {
		d->state = ST_TEXT;	/* not an escape after all */
		return text_byte(d, c, t);
	}
	return 1;
}

static int
escape_byte(struct san_decoder *d, unsigned char c, struct san_token *t)
{
	switch (d->state) {
	case ST_ESC:
		return esc_byte(d, c, t);
	case ST_ESC_MID:
		if (c >= 0x30 && c <= 0x7e)
			d->state = ST_TEXT;
		else if (c < 0x20 || c > 0x2f)
			return esc_byte(d, c, t);
		break;
	case ST_CSI:
		if (c >= 0x20 && c <= 0x3f)
			break;		/* parameters, intermediates */
		if (c >= 0x40 && c <= 0x7e)
			d->state = ST_TEXT;
		else if (c == ESC || c == CAN || c == SUB)
			d->state = c == ESC ? ST_ESC : ST_TEXT;
		else if (c == '\r')
			t->kind = SAN_CR;
		else if (c >= 0x80) {
			d->state = ST_TEXT;
			return text_byte(d, c, t);
		}
		break;
	case ST_STRING:
		if (c == BEL || c == CAN || c == SUB)
			d->state = ST_TEXT;
		else if (c == ESC)
			d->state = ST_STRING_ESC;
		break;
	case ST_STRING_ESC:
		/* ESC \ ends the string; any other escape aborts it. */
		if (c == '\\')
			d->state = ST_TEXT;
		else {
			d->state = ST_ESC;
			return esc_byte(d, c, t);
		}
		break;
	}
	return 1;
}

int
san_decode(struct san_decoder *d, unsigned char c, struct san_token *t)
{
	t->kind = SAN_NOTHING;
	if (c == '\n') {
		/* A line end ends escapes and characters alike. */
		if (d->u8_need > 0) {
			d->u8_need = 0;
			t->kind = SAN_INVALID;
			return 0;
		}
		d->state = ST_TEXT;
		t->kind = SAN_NEWLINE;
		return 1;
	}
	if (d->state != ST_TEXT)
		return escape_byte(d, c, t);
	return text_byte(d, c, t);
}

static void
clear_text(struct san_line *l)
{
	l->len = l->shown_len = 0;
	l->cols = l->shown_cols = 0;
	l->full = l->clipped = l->cr = false;
}

/*
 * Adds one character of n bytes and w columns.  Once something does not
 * fit, nothing more is kept, or a narrow character after a wide one that
 * did not fit would show in the wrong place.
 */
static void
append(struct san_line *l, const char *s, size_t n, int w, bool blank)
{
	if (l->cr)
		clear_text(l);
	if (l->full || l->cols + w > SAN_COLS || l->len + n > SAN_BYTES) {
		l->full = true;
		if (!blank)
			l->clipped = true;
		return;
	}
	memcpy(l->text + l->len, s, n);
	l->len += n;
	l->cols += w;
	if (!blank) {
		l->shown_len = l->len;
		l->shown_cols = l->cols;
	}
}

static void
put_tab(struct san_line *l)
{
	int to;

	if (l->cr)
		clear_text(l);
	to = (l->cols / 8 + 1) * 8;
	do
		append(l, " ", 1, 1, true);
	while (l->cols < to && !l->full);
}

/* What a token does to the line; true at its end. */
static bool
put_token(struct san_line *l, const struct san_token *t)
{
	switch (t->kind) {
	case SAN_CHAR:
		append(l, t->bytes, t->len, t->width,
		    t->len == 1 && t->bytes[0] == ' ');
		break;
	case SAN_INVALID:
		append(l, "?", 1, 1, false);
		break;
	case SAN_TAB:
		put_tab(l);
		break;
	case SAN_CR:
		l->cr = true;
		break;
	case SAN_NEWLINE:
		return true;
	case SAN_NOTHING:
	case SAN_BACKSPACE:
		break;		/* the window draws no control */
	}
	return false;
}

size_t
san_feed(struct san_line *l, const void *data, size_t len, bool *ended)
{
	const unsigned char *start = data, *p = start, *end = p + len;
	struct san_token t;
	unsigned char c;

	*ended = false;
	if (len > 0)
		l->started = true;
	while (p < end) {
		if (l->clipped && !l->cr && l->dec.state == ST_TEXT) {
			/*
			 * Nothing can show any more but after a CR, and an
			 * escape may hide that CR: a line of any length
			 * costs one quick scan.  A character cut short here
			 * would only have added a '?' that does not fit.
			 */
			while (p < end && *p != '\n' && *p != '\r' && *p != ESC)
				p++;
			l->dec.u8_need = 0;
			if (p == end)
				break;
		}
		c = *p;
		if (c >= 0x20 && c < 0x7f && l->dec.state == ST_TEXT &&
		    l->dec.u8_need == 0 && !l->cr && !l->full &&
		    l->cols < SAN_COLS && l->len < SAN_BYTES) {
			/* Plain ASCII, the bulk of any log: kept at once. */
			l->text[l->len++] = (char)c;
			l->cols++;
			if (c != ' ') {
				l->shown_len = l->len;
				l->shown_cols = l->cols;
			}
			p++;
			continue;
		}
		p += san_decode(&l->dec, c, &t);
		if (put_token(l, &t)) {
			*ended = true;
			break;
		}
	}
	return (size_t)(p - start);
}

/* The character at s[i] (valid UTF-8, as text[] always is) and its width. */
static size_t
char_at(const char *s, size_t i, int *w)
{
	const unsigned char *u = (const unsigned char *)s + i;
	uint32_t cp;
	size_t k, n;

	if (u[0] < 0x80) {
		*w = 1;
		return 1;
	}
	if (u[0] < 0xe0) {
		n = 2;
		cp = u[0] & 0x1f;
	} else if (u[0] < 0xf0) {
		n = 3;
		cp = u[0] & 0x0f;
	} else {
		n = 4;
		cp = u[0] & 0x07;
	}
	for (k = 1; k < n; k++)
		cp = cp << 6 | (u[k] & 0x3f);
	*w = wcwidth((wchar_t)cp);
	if (*w < 0)
		*w = 1;		/* the locale changed since: be safe */
	return n;
}

size_t
san_render(const struct san_line *l, int width, char *out, size_t size)
{
	int avail = width - 1, budget, cols = 0, w;
	size_t i = 0, n;

	if (size < SAN_RENDER_MAX)
		return 0;
	if (avail < 0)
		avail = 0;
	if (!l->clipped && l->shown_cols <= avail) {
		memcpy(out, l->text, l->shown_len);
		out[l->shown_len] = '\0';
		return l->shown_len;
	}
	/* Too long: as much as fits with "...", if "..." itself fits. */
	budget = avail >= 4 ? avail - 3 : avail;
	while (i < l->shown_len) {
		n = char_at(l->text, i, &w);
		if (cols + w > budget)
			break;
		cols += w;
		i += n;
	}
	while (i > 0 && l->text[i - 1] == ' ')
		i--;		/* "abc ..." reads as if "..." were text */
	memcpy(out, l->text, i);
	if (avail >= 4) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return i;
}

size_t
san_text(const void *in, size_t len, int width, char *out, size_t size)
{
	struct san_line l;
	bool ended;

	san_reset(&l);
	san_feed(&l, in, len, &ended);
	if (!ended && l.dec.u8_need > 0)
		append(&l, "?", 1, 1, false);	/* the line is all there is */
	return san_render(&l, width, out, size);
}
