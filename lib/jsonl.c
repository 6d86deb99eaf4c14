#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "xalloc.h"

json_t *
jsonl_parse(const char *line, size_t len, json_error_t *err)
{
	return json_loadb(line, len, JSON_DECODE_ANY, err);
}

const char *
jsonl_error_text(const json_error_t *err, char *buf, size_t size)
{
	snprintf(buf, size, "%s at column %d", err->text, err->column);
	return buf;
}

char *
jsonl_encode(const json_t *value, size_t *len)
{
	const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
	size_t n;
	char *s;

	n = json_dumpb(value, NULL, 0, flags);
	if (n == 0)
		return NULL;
	s = xmalloc(n + 2);
	if (json_dumpb(value, s, n, flags) != n) {
		free(s);
		return NULL;
	}
	s[n] = '\n';
	s[n + 1] = '\0';
	if (len != NULL)
		*len = n + 1;
	return s;
}

int
jsonl_write(FILE *out, const json_t *value, bool pretty)
{
	size_t flags = JSON_ENCODE_ANY |
	    (pretty ? JSON_INDENT(2) : JSON_COMPACT);

	if (json_dumpf(value, out, flags) < 0 || fputc('\n', out) == EOF)
		return -1;
	return fflush(out) == 0 ? 0 : -1;
}

const char *
jsonl_excerpt(const char *bytes, size_t len, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;
	unsigned char c;

	for (i = 0; i < len && o + 8 < size && o < 60; i++) {
		c = bytes[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			buf[o++] = c;
			continue;
		}
		buf[o++] = '\\';
		buf[o++] = 'x';
		buf[o++] = hex[c >> 4];
		buf[o++] = hex[c & 15];
	}
	if (i < len && o + 4 < size) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}
