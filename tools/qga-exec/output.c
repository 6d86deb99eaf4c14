#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "output.h"

void
sink_init(struct sink *s, int fd, bool collect)
{
	memset(s, 0, sizeof(*s));
	s->fd = collect ? -1 : fd;
}

void
sink_free(struct sink *s)
{
	free(s->buf);
	s->buf = NULL;
	s->len = s->cap = 0;
}

int
sink_put(struct sink *s, const void *data, size_t len)
{
	const unsigned char *p = data;
	unsigned char *grown;
	size_t want;

	if (s->fd < 0) {
		if (s->len + len > s->cap) {
			want = s->cap == 0 ? 65536 : s->cap;
			while (want < s->len + len)
				want *= 2;
			grown = realloc(s->buf, want);
			if (grown == NULL)
				return -1;
			s->buf = grown;
			s->cap = want;
		}
		memcpy(s->buf + s->len, data, len);
		s->len += len;
		return 0;
	}
	return fd_write_all(s->fd, p, len);
}
