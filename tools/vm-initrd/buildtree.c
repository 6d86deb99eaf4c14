#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buildtree.h"
#include "diag.h"
#include "modorder.h"
#include "readfile.h"
#include "treedir.h"
#include "xalloc.h"

/* modules.order of a distribution's kernel is some hundred kB. */
#define MODORDER_FILE_MAX (64 * 1024 * 1024)
#define SMALL_FILE_MAX (1024 * 1024)

static bool
is_file(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct stat st;
	bool yes = stat(path, &st) == 0 && S_ISREG(st.st_mode);

	free(path);
	return yes;
}

static bool
is_tree(const char *dir)
{
	return is_file(dir, "Makefile") && (is_file(dir, "modules.order") ||
	    is_file(dir, "include/config/kernel.release"));
}

/* The nearest tree above the image's real path, into tree; or false. */
static bool
find_tree(const char *kernel, char tree[PATH_MAX])
{
	char *slash;

	if (realpath(kernel, tree) == NULL)
		return false;
	while ((slash = strrchr(tree, '/')) != NULL) {
		/* The image's directory first, the root last. */
		slash[slash == tree ? 1 : 0] = '\0';
		if (is_tree(tree))
			return true;
		if (slash == tree)
			break;
	}
	return false;
}

/* A small file's first line, or NULL if it is not there. */
static char *
first_line(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name), *line;
	unsigned char *data;
	size_t len;

	if (read_whole(path, SMALL_FILE_MAX, &data, &len) < 0) {
		free(path);
		return NULL;
	}
	free(path);
	line = xstrndup((char *)data, len);
	free(data);
	line[strcspn(line, "\n")] = '\0';
	return line;
}

/* Whether the configuration the tree was built with has modules. */
static bool
has_modules(const char *tree)
{
	static const char *const configs[] = { "include/config/auto.conf",
	    ".config" };
	unsigned char *data;
	char *path, *text;
	size_t len, i;
	bool yes;

	for (i = 0; i < sizeof(configs) / sizeof(configs[0]); i++) {
		path = xasprintf("%s/%s", tree, configs[i]);
		if (read_whole(path, 64 * SMALL_FILE_MAX, &data, &len) < 0) {
			free(path);
			continue;
		}
		free(path);
		text = xstrndup((char *)data, len);
		free(data);
		yes = strncmp(text, "CONFIG_MODULES=y\n", 17) == 0 ||
		    strstr(text, "\nCONFIG_MODULES=y\n") != NULL;
		free(text);
		return yes;
	}
	return true;	/* no configuration: modules.order decides */
}

/* Reads and parses the tree's modules.order, or ends the tool. */
static void
read_order(const char *tree, struct modorder *mo)
{
	char path[PATH_MAX], why[2048];
	unsigned char *data;
	size_t len;
	int rc;

	if (snprintf(path, sizeof(path), "%s/modules.order", tree) >=
	    (int)sizeof(path))
		die(EXIT_USAGE, "%s: %s", tree, strerror(ENAMETOOLONG));
	if (read_whole(path, MODORDER_FILE_MAX, &data, &len) < 0)
		die(EXIT_USAGE, "%s: %s (the modules of build tree %s are not "
		    "built: run make modules there)", path, strerror(errno),
		    tree);
	rc = modorder_parse((char *)data, len, path, mo, why, sizeof(why));
	free(data);
	if (rc < 0)
		die(EXIT_USAGE, "%s", why);
}

/*
 * The tree to use, into tree: given (it must be one, of this release),
 * or the one the image lies in (passed over if of another release).
 * False if none.
 */
static bool
pick_tree(const char *kernel, const char *release, const char *given,
    bool verbose, char tree[PATH_MAX])
{
	char why[3 * PATH_MAX], *built;
	struct stat st;

	if (given != NULL) {
		if (realpath(given, tree) == NULL)
			die_errno(EXIT_USAGE, "%s", given);
		if (stat(tree, &st) < 0 || !S_ISDIR(st.st_mode))
			die(EXIT_USAGE, "%s: %s (--build-tree)", given,
			    strerror(ENOTDIR));
	} else if (!find_tree(kernel, tree))
		return false;
	built = first_line(tree, "include/config/kernel.release");
	if (built != NULL && strcmp(built, release) != 0) {
		snprintf(why, sizeof(why), "build tree %s is of kernel %s, %s "
		    "of kernel %s (include/config/kernel.release)", tree,
		    built, kernel, release);
		if (verbose && given == NULL)
			note("%s lies in build tree %s, of kernel %s, not %s: "
			    "not its modules", kernel, tree, built, release);
		free(built);
		if (given != NULL)
			die(EXIT_USAGE, "%s", why);
		return false;
	}
	free(built);
	return true;
}

bool
buildtree_modules(const char *kernel, const char *release, const char *tree,
    const char *cache_dir, bool verbose, char **dir)
{
	char t[PATH_MAX];
	struct modorder mo;

	*dir = NULL;
	if (!pick_tree(kernel, release, tree, verbose, t))
		return false;
	if (!is_file(t, "modules.order") && !has_modules(t)) {
		if (verbose)
			note("build tree %s: no module support "
			    "(CONFIG_MODULES): no modules", t);
		return true;
	}
	read_order(t, &mo);
	*dir = treedir_get(t, release, &mo, cache_dir, verbose);
	modorder_free(&mo);
	return true;
}
