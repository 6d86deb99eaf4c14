/*
 * vm-initrd's parser of a kernel build tree's modules.order.  Beyond the
 * sanitizers, it checks what treedir.c relies on when it joins a path to
 * the tree and to the cache's modules directory: every path is relative,
 * ends in ".ko", has no empty, "." or ".." component and no byte below
 * 0x21; paths are unique and in the file's order.  A refusal names the
 * file and a line.  And the parser is its own inverse: the paths, written
 * out one a line, parse to the same list.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tools/vm-initrd/modorder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_path(const char *p)
{
	size_t n = strlen(p), i, start = 0;

	if (n < 4 || n > MODORDER_PATH_MAX + 1 || p[0] == '/' ||
	    strcmp(p + n - 3, ".ko") != 0)
		abort();
	for (i = 0; i <= n; i++) {
		if (i < n && (unsigned char)p[i] <= 0x20)
			abort();
		if (i < n && p[i] != '/')
			continue;
		if (i == start || (i - start == 1 && p[start] == '.') ||
		    (i - start == 2 && p[start] == '.' && p[start + 1] == '.'))
			abort();
		start = i + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct modorder mo, again;
	char why[512], *text, *p;
	size_t i, j, len = 0;

	why[0] = '\0';
	if (modorder_parse((const char *)data, size, "m.order", &mo, why,
	    sizeof(why)) < 0) {
		if (strncmp(why, "m.order:", 8) != 0 || mo.n != 0)
			abort();
		return 0;
	}
	for (i = 0; i < mo.n; i++) {
		check_path(mo.e[i].path);
		if (i > 0 && mo.e[i].line <= mo.e[i - 1].line)
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(mo.e[i].path, mo.e[j].path) == 0)
				abort();
		len += strlen(mo.e[i].path) + 1;
	}
	if ((p = text = malloc(len + 1)) == NULL)
		abort();
	for (i = 0; i < mo.n; i++)
		p += sprintf(p, "%s\n", mo.e[i].path);
	if (modorder_parse(text, len, "again", &again, why, sizeof(why)) < 0 ||
	    again.n != mo.n)
		abort();
	for (i = 0; i < mo.n; i++)
		if (strcmp(again.e[i].path, mo.e[i].path) != 0 ||
		    again.e[i].line != i + 1)
			abort();
	modorder_free(&again);
	modorder_free(&mo);
	free(text);
	return 0;
}
