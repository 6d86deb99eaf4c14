/*
 * tomlkeys: vmtest 0.18's Target, VMConfig and Mount structs as a table
 * of key paths, and the values' forms for target_set().
 */
#include <stdlib.h>
#include <string.h>

#include "tomlkeys.h"
#include "xalloc.h"

static const struct toml_field fields[] = {
	{ { "name" }, ROLE_NAME, KEY_COUNT, "string" },
	{ { "image" }, ROLE_KEY, KEY_IMAGE, "string" },
	{ { "uefi" }, ROLE_KEY, KEY_UEFI, "boolean" },
	{ { "kernel" }, ROLE_KEY, KEY_KERNEL, "string" },
	{ { "kernel_args" }, ROLE_KEY, KEY_KERNEL_ARGS, "string" },
	{ { "kvm_cpu_args" }, ROLE_KEY, KEY_KVM_CPU_ARGS, "string" },
	{ { "rootfs" }, ROLE_KEY, KEY_ROOTFS, "string" },
	{ { "arch" }, ROLE_KEY, KEY_ARCH, "string" },
	{ { "qemu_command" }, ROLE_KEY, KEY_QEMU_COMMAND, "string" },
	{ { "command" }, ROLE_KEY, KEY_COMMAND, "string" },
	{ { "vm" }, ROLE_TABLE, KEY_COUNT, "table" },
	{ { "vm", "num_cpus" }, ROLE_KEY, KEY_NUM_CPUS, "integer" },
	{ { "vm", "memory" }, ROLE_KEY, KEY_MEMORY, "string" },
	{ { "vm", "bios" }, ROLE_KEY, KEY_BIOS, "string" },
	{ { "vm", "extra_args" }, ROLE_KEY, KEY_EXTRA_ARGS, "array" },
	{ { "vm", "mounts" }, ROLE_TABLE, KEY_COUNT, "table" },
	{ { "vm", "mounts", "*" }, ROLE_MOUNT, KEY_COUNT, "table" },
	{ { "vm", "mounts", "*", "host_path" }, ROLE_HOST, KEY_COUNT, "string" },
	{ { "vm", "mounts", "*", "writable" }, ROLE_WRITABLE, KEY_COUNT,
	    "boolean" },
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

const char *
toml_text(const json_t *s)
{
	if (!json_is_string(s) || strlen(json_string_value(s)) !=
	    json_string_length(s))
		return NULL;
	return json_string_value(s);
}

/* The field key[0..n) is, or NULL. */
static const struct toml_field *
field_at(const json_t *key, size_t n)
{
	const char *part;
	size_t i, k;

	for (i = 0; i < NFIELDS; i++) {
		for (k = 0; k < n; k++) {
			part = toml_text(json_array_get(key, k));
			if (fields[i].path[k] == NULL || part == NULL ||
			    (strcmp(fields[i].path[k], "*") != 0 &&
			    strcmp(fields[i].path[k], part) != 0))
				break;
		}
		if (k == n && (n == TOML_DEPTH || fields[i].path[n] == NULL))
			return &fields[i];
	}
	return NULL;
}

/* One of our own keys at the target level, where vmtest has none. */
static const struct toml_field *
extension(const char *name, struct toml_field *ext)
{
	enum key k;
	size_t i;

	if (name == NULL || (k = key_lookup(name)) == KEY_COUNT)
		return NULL;
	for (i = 0; i < NFIELDS; i++)
		if (fields[i].role == ROLE_KEY && fields[i].key == k)
			return NULL;	/* vmtest's, in its own place */
	memset(ext, 0, sizeof(*ext));
	ext->path[0] = key_name(k);
	ext->role = ROLE_KEY;
	ext->key = k;
	ext->type = "scalar";
	return ext;
}

const struct toml_field *
toml_field(const json_t *key, size_t n, size_t *m, struct toml_field *ext)
{
	const struct toml_field *fd;

	for (*m = n < TOML_DEPTH ? n : TOML_DEPTH; *m > 0; (*m)--)
		if ((fd = field_at(key, *m)) != NULL)
			return fd;
	if (n == 0 || (fd = extension(toml_text(json_array_get(key, 0)),
	    ext)) == NULL)
		return NULL;
	*m = 1;
	return fd;
}

bool
toml_type_fits(const struct toml_field *fd, const char *type)
{
	if (strcmp(fd->type, "scalar") == 0)
		return strcmp(type, "string") == 0 || strcmp(type, "boolean") ==
		    0 || strcmp(type, "integer") == 0;
	return strcmp(fd->type, type) == 0;
}

char *
toml_dotted(const json_t *key, size_t n)
{
	char *out = xstrdup(""), *part, *next;
	const char *s;
	size_t i;
	bool bare;

	for (i = 0; i < n; i++) {
		s = toml_text(json_array_get(key, i));
		bare = s != NULL && *s != '\0' && strspn(s, "abcdefghijklmnopq"
		    "rstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") ==
		    strlen(s);
		part = bare ? xstrdup(s) : json_dumps(json_array_get(key, i),
		    JSON_ENCODE_ANY);
		if (part == NULL)
			xalloc_die();
		next = xasprintf("%s%s%s", out, i > 0 ? "." : "", part);
		free(part);
		free(out);
		out = next;
	}
	return out;
}

/* s with ':' and '\' escaped, as mount_spec_parse() reads them. */
static char *
spec_escape(const char *s)
{
	char *out = xreallocarray(NULL, strlen(s) + 1, 2), *o = out;

	for (; *s != '\0'; s++) {
		if (*s == ':' || *s == '\\')
			*o++ = '\\';
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

char *
toml_mount_spec(const char *host, const char *guest, bool writable)
{
	char *h = spec_escape(host), *g = spec_escape(guest), *spec;

	spec = xasprintf("%s:%s:%s", h, g, writable ? "rw" : "ro");
	free(h);
	free(g);
	return spec;
}

char *
toml_one_word(const char *s)
{
	char *out = xreallocarray(NULL, strlen(s) + 1, 4), *o = out;

	*o++ = '\'';
	for (; *s != '\0'; s++) {
		if (*s == '\'') {
			memcpy(o, "'\\''", 4);	/* close, a quote, open */
			o += 4;
		} else
			*o++ = *s;
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}
