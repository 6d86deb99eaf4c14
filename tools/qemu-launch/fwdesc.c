/*
 * fwdesc: reading QEMU's firmware descriptors, as far as choosing UEFI
 * firmware for qemu-launch's machines takes.
 */
#include <dirent.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "diag.h"
#include "fwdesc.h"
#include "readfile.h"
#include "xalloc.h"

#define DESC_MAX (64 * 1024)	/* descriptors are under 1 KiB */
#define DESC_FILES 256

/*
 * The machine qemu-launch boots per arch (arch.c's), as descriptors name
 * machines: by version ("pc-i440fx-*", "virt-*") or not ("virt").  A
 * descriptor's glob is tried against the family and against the family
 * followed by "-*", which a glob "FAMILY-*" matches (its '*' matching
 * the '*'), and a glob for some versions only does not.
 */
static const char *const machine_family[ARCH_COUNT] = {
	[ARCH_X86_64] = "pc-i440fx",
	[ARCH_AARCH64] = "virt",
	[ARCH_RISCV64] = "virt",
};

static bool
has_string(const json_t *array, const char *s)
{
	const json_t *v;
	size_t i;

	json_array_foreach(array, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

/* A {"filename": ABSOLUTE, "format": "raw"} object's file, or NULL. */
static const char *
raw_file(const json_t *o)
{
	const json_t *name = json_object_get(o, "filename");
	const json_t *format = json_object_get(o, "format");

	if (!json_is_string(name) || json_string_value(name)[0] != '/' ||
	    strlen(json_string_value(name)) != json_string_length(name))
		return NULL;
	if (format != NULL && (!json_is_string(format) ||
	    strcmp(json_string_value(format), "raw") != 0))
		return NULL;
	return json_string_value(name);
}

static bool
machine_fits(const json_t *machines, enum arch a)
{
	const char *family = machine_family[a];
	char versioned[32];
	const json_t *v;
	size_t i;

	if (family == NULL)
		return false;
	snprintf(versioned, sizeof(versioned), "%s-*", family);
	json_array_foreach(machines, i, v) {
		if (!json_is_string(v))
			continue;
		if (fnmatch(json_string_value(v), family, 0) == 0 ||
		    fnmatch(json_string_value(v), versioned, 0) == 0)
			return true;
	}
	return false;
}

static void
read_targets(const json_t *targets, enum arch a, struct fw_desc *d)
{
	const json_t *t, *arch;
	size_t i;

	json_array_foreach(targets, i, t) {
		arch = json_object_get(t, "architecture");
		if (!json_is_string(arch) ||
		    strcmp(json_string_value(arch), arch_table[a].name) != 0)
			continue;
		d->for_arch = true;
		if (machine_fits(json_object_get(t, "machines"), a))
			d->for_machine = true;
	}
}

/* The mapping's files: split flash, flash without a template, memory. */
static int
read_mapping(const json_t *m, struct fw_desc *d, char *why, size_t size)
{
	const json_t *device = json_object_get(m, "device");
	const json_t *mode = json_object_get(m, "mode");
	const char *code, *vars = NULL;

	if (!json_is_string(device))
		return why_fail(why, size, "mapping: no device");
	if (strcmp(json_string_value(device), "memory") == 0) {
		if ((code = raw_file(m)) == NULL)
			return why_fail(why, size, "mapping: no raw file");
	} else if (strcmp(json_string_value(device), "flash") == 0) {
		if ((code = raw_file(json_object_get(m, "executable"))) == NULL)
			return why_fail(why, size,
			    "mapping: no raw executable");
		/* Split is the default; combined, stateless: no template. */
		if (mode != NULL && !json_is_string(mode))
			return why_fail(why, size,
			    "mapping: mode not a string");
		if (mode == NULL ||
		    strcmp(json_string_value(mode), "split") == 0) {
			vars = raw_file(json_object_get(m, "nvram-template"));
			if (vars == NULL)
				return why_fail(why, size, "mapping: split "
				    "without a raw nvram-template");
		}
	} else
		return why_fail(why, size, "mapping: device %s",
		    json_string_value(device));
	d->code = xstrdup(code);
	d->vars = vars != NULL ? xstrdup(vars) : NULL;
	return 0;
}

int
fw_desc_parse(const char *text, size_t len, enum arch a, struct fw_desc *d,
    char *why, size_t whysize)
{
	json_error_t je;
	json_t *j;
	int rc = -1;

	memset(d, 0, sizeof(*d));
	if ((j = json_loadb(text, len, 0, &je)) == NULL)
		return why_fail(why, whysize, "line %d: %s", je.line, je.text);
	if (!json_is_object(j))
		why_fail(why, whysize, "not an object");
	else if (!has_string(json_object_get(j, "interface-types"), "uefi"))
		why_fail(why, whysize, "not UEFI");
	else if ((rc = read_mapping(json_object_get(j, "mapping"), d, why,
	    whysize)) == 0) {
		read_targets(json_object_get(j, "targets"), a, d);
		d->needs_smm = has_string(json_object_get(j, "features"),
		    "requires-smm");
	}
	json_decref(j);
	return rc;
}

void
fw_desc_free(struct fw_desc *d)
{
	free(d->path);
	free(d->code);
	free(d->vars);
	memset(d, 0, sizeof(*d));
}

void
fw_desc_free_all(struct fw_desc *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fw_desc_free(&d[i]);
	free(d);
}

struct entry {
	char *name;
	const char *dir;
};

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name,
	    ((const struct entry *)b)->name);
}

/* Adds dir's *.json to e[*n], a name already there now from dir. */
static void
scan(const char *dir, struct entry *e, size_t *n)
{
	struct dirent *de;
	size_t len, i;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 6 ||
		    strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		for (i = 0; i < *n && strcmp(e[i].name, de->d_name) != 0; i++)
			;
		if (i == *n) {
			if (*n == DESC_FILES)
				continue;
			e[(*n)++].name = xstrdup(de->d_name);
		}
		e[i].dir = dir;
	}
	closedir(d);
}

size_t
fw_desc_load(enum arch a, struct fw_desc **out)
{
	struct entry e[DESC_FILES];
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char *user = NULL, why[256];
	unsigned char *text;
	size_t n = 0, found = 0, len, i;
	struct fw_desc d;

	*out = NULL;
	if (xdg != NULL && xdg[0] == '/')
		user = xasprintf("%s/qemu/firmware", xdg);
	else if (home != NULL && home[0] == '/')
		user = xasprintf("%s/.config/qemu/firmware", home);
	scan("/usr/share/qemu/firmware", e, &n);
	scan("/etc/qemu/firmware", e, &n);
	if (user != NULL)
		scan(user, e, &n);
	qsort(e, n, sizeof(*e), entry_cmp);
	for (i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", e[i].dir, e[i].name);

		if (read_whole(path, DESC_MAX, &text, &len) == 0) {
			if (fw_desc_parse((const char *)text, len, a, &d, why,
			    sizeof(why)) == 0 && d.for_arch) {
				d.path = path;
				path = NULL;
				*out = xreallocarray(*out, found + 1,
				    sizeof(**out));
				(*out)[found++] = d;
			} else
				fw_desc_free(&d);
			free(text);
		}
		free(path);
		free(e[i].name);
	}
	free(user);
	return found;
}
