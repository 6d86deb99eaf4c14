#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"
#include "xalloc.h"

static char *
executable_in(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", *dir != '\0' ? dir : ".", name);

	if (access(p, X_OK) == 0)
		return p;
	free(p);
	return NULL;
}

char *
tool_find(const char *name)
{
	char self[PATH_MAX], *p, *path, *dir, *save;
	const char *env;
	ssize_t n;

	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		if ((p = executable_in(dirname(self), name)) != NULL)
			return p;
	}
	if ((env = getenv("PATH")) == NULL)
		return NULL;
	path = xstrdup(env);
	p = NULL;
	for (dir = strtok_r(path, ":", &save); dir != NULL && p == NULL;
	    dir = strtok_r(NULL, ":", &save))
		p = executable_in(dir, name);
	free(path);
	return p;
}
