/*
 * config: targets from an INI file, one [target NAME] section each, with
 * vmtest's config keys.  Every setting remembers its file and line.
 */
#ifndef QEMU_LAUNCH_CONFIG_H
#define QEMU_LAUNCH_CONFIG_H

#include <stddef.h>

#include "target.h"

struct config {
	const char *path;	/* as given: what messages begin with */
	char *dir;		/* its directory, absolute: relative paths' base */
	struct target *targets;	/* in file order */
	size_t n;
};

/*
 * Reads path.  Each problem is printed as "PATH:LINE: message"; returns
 * how many (0: all is well).  path must outlive the config.
 */
int config_read(struct config *c, const char *path);
void config_free(struct config *c);

/* The target named name, or NULL. */
struct target *config_find(struct config *c, const char *name);

#endif
