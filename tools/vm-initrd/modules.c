#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libkmod.h>

#include "diag.h"
#include "modules.h"
#include "xalloc.h"

struct resolver {
	struct kmod_ctx *ctx;
	const char *dir;
	const char *version;
	struct module_set *set;
	const char **stack;	/* the modules being visited, for loops */
	size_t depth;
	char *why;
	size_t whylen;
};

/* libkmod's own complaints, in our diagnostic format. */
static void
log_kmod(void *data, int priority, const char *file, int line,
    const char *fn, const char *fmt, va_list args)
{
	char msg[512];
	size_t n;

	(void)data;
	(void)priority;
	(void)file;
	(void)line;
	(void)fn;
	vsnprintf(msg, sizeof(msg), fmt, args);
	n = strlen(msg);
	if (n > 0 && msg[n - 1] == '\n')
		msg[n - 1] = '\0';
	note("libkmod: %s", msg);
}

/* kmod writes '-' and '_' alike in module names. */
static bool
same_module(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (*a != *b && !((*a == '-' || *a == '_') &&
		    (*b == '-' || *b == '_')))
			return false;
	return *a == *b;
}

static bool
strip_suffix(char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	if (n < m || strcmp(s + n - m, suffix) != 0)
		return false;
	s[n - m] = '\0';
	return true;
}

/* The module's name in the initramfs, or NULL with a reason. */
static char *
dest_name(struct resolver *r, const char *name, const char *path)
{
	/* kmod has made the directory absolute, and paths from it. */
	const char *base = kmod_get_dirname(r->ctx), *rel, *slash;
	size_t blen = strlen(base);
	char *dest;

	if (strncmp(path, base, blen) == 0 && path[blen] == '/')
		rel = path + blen + 1;
	else {
		/* modules.dep may name a file elsewhere: keep its name. */
		slash = strrchr(path, '/');
		rel = slash != NULL ? slash + 1 : path;
	}
	if (strstr(rel, "../") != NULL || strncmp(rel, "..", 2) == 0) {
		snprintf(r->why, r->whylen, "module %s: path %s leaves %s",
		    name, path, r->dir);
		return NULL;
	}
	dest = xasprintf("lib/modules/%s/%s", r->version, rel);
	if (!strip_suffix(dest, ".ko.gz") && !strip_suffix(dest, ".ko.xz") &&
	    !strip_suffix(dest, ".ko.zst"))
		return dest;
	strcat(dest, ".ko");	/* what was cut was longer */
	return dest;
}

static bool
have(const struct module_set *set, const char *name)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->mods[i].name, name) == 0)
			return true;
	return false;
}

static int
append(struct resolver *r, const char *name, const char *path)
{
	struct module_set *set = r->set;
	struct module m;

	if ((m.dest = dest_name(r, name, path)) == NULL)
		return -1;
	m.name = xstrdup(name);
	m.path = xstrdup(path);
	set->mods = xreallocarray(set->mods, set->n + 1, sizeof(*set->mods));
	set->mods[set->n++] = m;
	return 0;
}

/* Adds mod after its dependencies, depth first, each module once. */
static int
visit(struct resolver *r, struct kmod_module *mod)
{
	const char *name = kmod_module_get_name(mod);
	const char *path = kmod_module_get_path(mod);
	struct kmod_list *deps, *it;
	struct kmod_module *dep;
	size_t i;
	int rc = 0;

	if (have(r->set, name))
		return 0;
	for (i = 0; i < r->depth; i++)
		if (strcmp(r->stack[i], name) == 0) {
			snprintf(r->why, r->whylen, "%s/modules.dep: module "
			    "%s depends on itself", r->dir, name);
			return -1;
		}
	if (path == NULL) {
		snprintf(r->why, r->whylen, "%s/modules.dep: module %s has "
		    "no file", r->dir, name);
		return -1;
	}
	r->stack = xreallocarray(r->stack, r->depth + 1, sizeof(*r->stack));
	r->stack[r->depth++] = name;
	deps = kmod_module_get_dependencies(mod);
	kmod_list_foreach(it, deps) {
		dep = kmod_module_get_module(it);
		rc = visit(r, dep);
		kmod_module_unref(dep);
		if (rc < 0)
			break;
	}
	kmod_module_unref_list(deps);
	r->depth--;
	return rc < 0 ? -1 : append(r, name, path);
}

static void
add_builtin(struct resolver *r, const char *name)
{
	struct module_set *set = r->set;

	set->builtin = xreallocarray(set->builtin, set->nbuiltin + 1,
	    sizeof(*set->builtin));
	set->builtin[set->nbuiltin++] = xstrdup(name);
}

/*
 * One wanted module.  A lookup may also give modules that merely carry
 * the name as an alias; only the module of that name counts.  A name
 * with a leading '?' is wanted only if the kernel has it.
 */
static int
want(struct resolver *r, const char *wanted)
{
	struct kmod_list *found = NULL, *plain = NULL, *it;
	struct kmod_module *mod = NULL, *m;
	bool builtin = true, optional = wanted[0] == '?';
	int rc;

	if (optional)
		wanted++;
	if ((rc = kmod_module_new_from_lookup(r->ctx, wanted, &found)) < 0) {
		snprintf(r->why, r->whylen, "%s: looking up module %s: %s",
		    r->dir, wanted, strerror(-rc));
		return -1;
	}
	kmod_list_foreach(it, found) {
		m = kmod_module_get_module(it);
		if (mod == NULL && same_module(kmod_module_get_name(m), wanted))
			mod = m;
		else
			kmod_module_unref(m);
	}
	if (mod == NULL) {
		kmod_module_unref_list(found);
		if (optional)
			return 0;
		snprintf(r->why, r->whylen, "module %s is missing: neither in "
		    "%s/modules.dep nor in %s/modules.builtin (kernel %s)",
		    wanted, r->dir, r->dir, r->version);
		return -1;
	}

	/* The filter drops what modules.builtin lists. */
	rc = kmod_module_apply_filter(r->ctx, KMOD_FILTER_BUILTIN, found,
	    &plain);
	kmod_module_unref_list(found);
	if (rc < 0) {
		snprintf(r->why, r->whylen, "%s: module %s: %s", r->dir,
		    wanted, strerror(-rc));
		kmod_module_unref(mod);
		return -1;
	}
	kmod_list_foreach(it, plain) {
		m = kmod_module_get_module(it);
		if (strcmp(kmod_module_get_name(m),
		    kmod_module_get_name(mod)) == 0)
			builtin = false;
		kmod_module_unref(m);
	}
	kmod_module_unref_list(plain);
	rc = 0;
	if (builtin)
		add_builtin(r, kmod_module_get_name(mod));
	else
		rc = visit(r, mod);
	kmod_module_unref(mod);
	return rc < 0 ? -1 : 0;
}

/* Fails naming path unless it is a directory (dir) or a regular file. */
static int
need_path(struct resolver *r, const char *path, bool dir)
{
	struct stat st;
	int err;

	if (stat(path, &st) < 0)
		err = errno;
	else if (dir && !S_ISDIR(st.st_mode))
		err = ENOTDIR;
	else if (!dir && !S_ISREG(st.st_mode))
		err = EINVAL;
	else
		return 0;
	if (dir)
		snprintf(r->why, r->whylen, "%s: %s (the modules of kernel "
		    "%s)", path, strerror(err), r->version);
	else
		snprintf(r->why, r->whylen, "%s: %s (run depmod for kernel "
		    "%s)", path, strerror(err), r->version);
	return -1;
}

int
modules_resolve(const char *dir, const char *version,
    const char *const *wanted, size_t nwanted, struct module_set *set,
    char *why, size_t whylen)
{
	/* No configuration: the host's modprobe.d is not the guest's. */
	static const char *const no_config[] = { NULL };
	struct resolver r = { NULL, dir, version, set, NULL, 0, why, whylen };
	char *index = NULL;
	size_t i;
	int rc = -1;

	memset(set, 0, sizeof(*set));
	why[0] = '\0';
	if (need_path(&r, dir, true) < 0)
		return -1;
	index = xasprintf("%s/modules.dep.bin", dir);
	if (need_path(&r, index, false) < 0)
		goto out;
	if ((r.ctx = kmod_new(dir, no_config)) == NULL) {
		snprintf(why, whylen, "%s: libkmod cannot start", dir);
		goto out;
	}
	kmod_set_log_fn(r.ctx, log_kmod, NULL);
	for (i = 0; i < nwanted; i++)
		if (want(&r, wanted[i]) < 0)
			goto out;
	rc = 0;
out:
	if (r.ctx != NULL)
		kmod_unref(r.ctx);
	free(r.stack);
	free(index);
	if (rc < 0)
		modules_free(set);
	return rc;
}

void
modules_free(struct module_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		free(set->mods[i].name);
		free(set->mods[i].path);
		free(set->mods[i].dest);
	}
	for (i = 0; i < set->nbuiltin; i++)
		free(set->builtin[i]);
	free(set->mods);
	free(set->builtin);
	memset(set, 0, sizeof(*set));
}
