#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "initbin.h"
#include "readfile.h"
#include "xalloc.h"

/* A static init of more than this is surely not one. */
#define INIT_MAX (256 * 1024 * 1024)

#define ET_EXEC 2
#define ET_DYN 3
#define PT_INTERP 3

/* An ELF field of n bytes (2, 4 or 8) at p, in the file's byte order. */
static uint64_t
field(const unsigned char *p, int n, bool big)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)p[big ? n - 1 - i : i] << (8 * i);
	return v;
}

int
init_check(const unsigned char *p, size_t len, char *why, size_t whylen)
{
	bool wide, big;
	uint64_t type, phoff, phentsize, phnum, i;

	if (len < 16 || memcmp(p, "\177ELF", 4) != 0 ||
	    (p[4] != 1 && p[4] != 2) || (p[5] != 1 && p[5] != 2)) {
		snprintf(why, whylen, "not an ELF executable");
		return -1;
	}
	wide = p[4] == 2;
	big = p[5] == 2;
	if (len < (wide ? 64u : 52u)) {
		snprintf(why, whylen, "truncated ELF header");
		return -1;
	}
	type = field(p + 16, 2, big);
	if (type != ET_EXEC && type != ET_DYN) {
		snprintf(why, whylen, "an ELF file but not an executable");
		return -1;
	}
	phoff = wide ? field(p + 32, 8, big) : field(p + 28, 4, big);
	phentsize = field(p + (wide ? 54 : 42), 2, big);
	phnum = field(p + (wide ? 56 : 44), 2, big);
	if (phnum == 0 || phentsize < 4 || phoff > len ||
	    phnum > (len - phoff) / phentsize) {
		snprintf(why, whylen, "ELF program headers missing or beyond "
		    "the end of the file");
		return -1;
	}
	for (i = 0; i < phnum; i++)
		if (field(p + phoff + i * phentsize, 4, big) == PT_INTERP) {
			snprintf(why, whylen, "dynamically linked (it needs a "
			    "program interpreter, and the initramfs has none): "
			    "/init must be static");
			return -1;
		}
	return 0;
}

/* "DIR/NAME" for the directory our own executable is in. */
static char *
default_path(const char *name)
{
	char self[PATH_MAX], *slash;
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return NULL;
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return NULL;
	*slash = '\0';
	return xasprintf("%s/%s", self, name);
}

int
init_load(const char *given, const char *name, struct init_bin *ib,
    char *why, size_t whylen)
{
	char reason[200];

	memset(ib, 0, sizeof(*ib));
	ib->path = given != NULL ? xstrdup(given) : default_path(name);
	if (ib->path == NULL) {
		snprintf(why, whylen, "cannot find %s next to our own "
		    "executable (/proc/self/exe): give --init PATH", name);
		return -1;
	}
	if (read_whole(ib->path, INIT_MAX, &ib->data, &ib->len) < 0) {
		snprintf(why, whylen, "%s: %s%s", ib->path, strerror(errno),
		    given == NULL ? " (the default init, next to vm-initrd; "
		    "give --init PATH)" : "");
		init_free(ib);
		return -1;
	}
	if (init_check(ib->data, ib->len, reason, sizeof(reason)) < 0) {
		snprintf(why, whylen, "%s: %s", ib->path, reason);
		init_free(ib);
		return -1;
	}
	return 0;
}

void
init_free(struct init_bin *ib)
{
	free(ib->path);
	free(ib->data);
	memset(ib, 0, sizeof(*ib));
}
