/*
 * target: the settings of one target, each with the place it was
 * written; the keys they are named by; the target as JSON.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ascii.h"
#include "diag.h"
#include "target.h"
#include "xalloc.h"

static const struct {
	const char *name, *flag;
	bool repeatable;
	char joiner;
} keys[KEY_COUNT] = {
	[KEY_KERNEL] = { "kernel", "--kernel", false, 0 },
	[KEY_IMAGE] = { "image", "--image", false, 0 },
	[KEY_UEFI] = { "uefi", "--uefi", false, 0 },
	[KEY_KERNEL_ARGS] = { "kernel_args", "--kernel-args", false, ' ' },
	[KEY_ROOTFS] = { "rootfs", "--rootfs", false, 0 },
	[KEY_ARCH] = { "arch", "--arch", false, 0 },
	[KEY_QEMU_COMMAND] = { "qemu_command", "--qemu-command", false, 0 },
	[KEY_NUM_CPUS] = { "num_cpus", "--num-cpus", false, 0 },
	[KEY_MEMORY] = { "memory", "--memory", false, 0 },
	[KEY_MOUNTS] = { "mounts", "--mount", true, 0 },
	[KEY_BIOS] = { "bios", "--bios", false, 0 },
	[KEY_EXTRA_ARGS] = { "extra_args", "--extra-arg", true, 0 },
	[KEY_KVM_CPU_ARGS] = { "kvm_cpu_args", "--kvm-cpu-args", false, 0 },
	[KEY_COMMAND] = { "command", NULL, false, '\n' },
	[KEY_INITRD] = { "initrd", "--initrd", false, 0 },
	[KEY_SHARE] = { "share", "--share", false, 0 },
	[KEY_DISK] = { "disk", "--disk", false, 0 },
	[KEY_DISK_BACKEND] = { "disk_backend", "--disk-backend", false, 0 },
	[KEY_DISK_SIZE] = { "disk_size", "--disk-size", false, 0 },
	[KEY_DISK_CACHE] = { "disk_cache", "--disk-cache", false, 0 },
	[KEY_SNAPSHOT] = { "snapshot", "--no-snapshot", false, 0 },
	[KEY_GDB] = { "gdb", "--gdb", false, 0 },
	[KEY_NET] = { "net", "--net", false, 0 },
};

const char *key_name(enum key k) { return keys[k].name; }
const char *key_flag(enum key k) { return keys[k].flag; }
bool key_repeatable(enum key k) { return keys[k].repeatable; }
char key_joiner(enum key k) { return keys[k].joiner; }

enum key
key_lookup(const char *name)
{
	int k;

	for (k = 0; k < KEY_COUNT; k++)
		if (strcmp(keys[k].name, name) == 0)
			return (enum key)k;
	return KEY_COUNT;
}

void
target_init(struct target *t, const char *name, const char *base)
{
	memset(t, 0, sizeof(*t));
	t->name = xstrdup(name);
	t->base = xstrdup(base);
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
settings_free(struct setting *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(s[i].value);
	free(s);
}

void
target_free(struct target *t)
{
	size_t i;

	for (i = 0; i < KEY_COUNT; i++)
		free(t->set[i].value);
	settings_free(t->mounts, t->nmounts);
	settings_free(t->extra, t->nextra);
	for (i = 0; i < t->nmount; i++) {
		free(t->mount[i].host);
		free(t->mount[i].guest);
	}
	free(t->mount);
	strv_free(t->extra_args, t->nextra_args);
	free(t->kernel);
	free(t->image);
	free(t->rootfs);
	free(t->bios);
	free(t->bios_vars);
	free(t->initrd);
	free(t->share);
	free(t->disk_rules);
	free(t->disk_backend);
	free(t->disk_cache);
	free(t->qemu);
	free(t->name);
	free(t->base);
	memset(t, 0, sizeof(*t));
}

static void
list_add(struct setting **list, size_t *n, const char *value,
    struct origin at)
{
	*list = xreallocarray(*list, *n + 1, sizeof(**list));
	(*list)[*n].value = xstrdup(value);
	(*list)[*n].at = at;
	(*n)++;
}

void
target_set(struct target *t, enum key k, const char *value, struct origin at)
{
	if (k == KEY_MOUNTS) {
		list_add(&t->mounts, &t->nmounts, value, at);
		return;
	}
	if (k == KEY_EXTRA_ARGS) {
		list_add(&t->extra, &t->nextra, value, at);
		return;
	}
	free(t->set[k].value);
	t->set[k].value = xstrdup(value);
	t->set[k].at = at;
}

void
target_overlay(struct target *t, const struct target *over)
{
	size_t i;

	for (i = 0; i < KEY_COUNT; i++)
		if (over->set[i].value != NULL)
			target_set(t, (enum key)i, over->set[i].value,
			    over->set[i].at);
	for (i = 0; i < over->nmounts; i++)
		target_set(t, KEY_MOUNTS, over->mounts[i].value,
		    over->mounts[i].at);
	for (i = 0; i < over->nextra; i++)
		target_set(t, KEY_EXTRA_ARGS, over->extra[i].value,
		    over->extra[i].at);
}

int
bad_at(const struct origin *at, const char *fmt, ...)
{
	char where[PATH_MAX + 32], msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	error_msg("%s: %s", origin_text(at, where, sizeof(where)), msg);
	return 1;
}

int
bad_at_errno(const struct origin *at, const char *fmt, ...)
{
	char where[PATH_MAX + 32], msg[2048];
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	origin_text(at, where, sizeof(where));
	errno = e;
	error_errno("%s: %s", where, msg);
	return 1;
}

const char *
origin_text(const struct origin *at, char *buf, size_t size)
{
	if (at->file != NULL)
		snprintf(buf, size, "%s:%u", at->file, at->line);
	else
		snprintf(buf, size, "%s", at->flag != NULL ? at->flag :
		    "(default)");
	return buf;
}

/* s[0..n) with its escapes, which were checked, undone (malloc'd). */
static char *
unescape(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] != '\\')
			*o++ = s[i];
		else if (s[i + 1] == 'x') {
			*o++ = (char)(ascii_hex_value(s[i + 2]) * 16 +
			    ascii_hex_value(s[i + 3]));
			i += 3;
		} else
			*o++ = s[++i];
	}
	*o = '\0';
	return out;
}

const char *
mount_spec_parse(const char *spec, char **host, char **guest,
    bool *writable)
{
	size_t len = strlen(spec), none = (size_t)-1, last = none,
	    prev = none, end, i;

	*host = *guest = NULL;
	*writable = false;
	for (i = 0; i < len; i++) {
		if (spec[i] == ':') {
			prev = last;
			last = i;
		}
		if (spec[i] != '\\')
			continue;
		if (spec[i + 1] == ':' || spec[i + 1] == '\\') {
			i++;
			continue;
		}
		if (spec[i + 1] != 'x' || ascii_hex_value(spec[i + 2]) < 0 ||
		    ascii_hex_value(spec[i + 3]) < 0)
			return "a backslash escapes ':' (\\:), itself (\\\\) "
			    "or a byte (\\xHH)";
		if (spec[i + 2] == '0' && spec[i + 3] == '0')
			return "\\x00 would be a NUL byte";
		i += 3;
	}
	end = len;
	if (last != none && len - last == 3 && (strcmp(spec + last, ":rw") ==
	    0 || strcmp(spec + last, ":ro") == 0)) {
		*writable = spec[last + 2] == 'w';
		end = last;
		last = prev;
	}
	if (last == none || last == 0)
		return "not HOST:GUEST[:rw|:ro]";
	*host = unescape(spec, last);
	*guest = unescape(spec + last + 1, end - last - 1);
	return NULL;
}

/*
 * Bytes that are not UTF-8 as U+FFFD: JSON strings are Unicode, and
 * jansson refuses the rest, which would drop the value without a word.
 */
json_t *
json_text(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned cp, need;
	json_t *j;
	char *out, *o;
	size_t k;

	if ((j = json_string(s)) != NULL)
		return j;
	/* Each byte becomes at most three. */
	o = out = xreallocarray(NULL, strlen(s) + 1, 3);
	while (*u != '\0') {
		need = *u < 0x80 ? 0 : *u >= 0xc2 && *u <= 0xdf ? 1 :
		    *u >= 0xe0 && *u <= 0xef ? 2 : *u >= 0xf0 && *u <= 0xf4 ?
		    3 : 4;
		cp = need == 0 ? *u : need == 1 ? *u & 0x1fu : need == 2 ?
		    *u & 0x0fu : *u & 0x07u;
		for (k = 1; need < 4 && k <= need; k++) {
			if ((u[k] & 0xc0) != 0x80)
				break;
			cp = cp << 6 | (u[k] & 0x3fu);
		}
		/* Not UTF-8: overlong, surrogate, past U+10FFFF, cut short. */
		if (need == 4 || k <= need || (need == 2 && cp < 0x800) ||
		    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff)) {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			u++;
			continue;
		}
		memcpy(o, u, need + 1);
		o += need + 1;
		u += need + 1;
	}
	*o = '\0';
	j = json_string(out);
	free(out);
	return j;
}

static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_text(s) : json_null();
}

json_t *
target_json(const struct target *t)
{
	const struct setting *s = t->set;
	json_t *o = json_object(), *mounts = json_array(), *extra, *m;
	size_t i;

	json_object_set_new(o, "name", json_text(t->name));
	json_object_set_new(o, "kind", json_string(t->is_kernel ? "kernel" :
	    "image"));
	json_object_set_new(o, "arch", json_string(arch_table[t->arch].name));
	json_object_set_new(o, "kernel", str_or_null(t->kernel));
	json_object_set_new(o, "initrd", str_or_null(t->initrd));
	json_object_set_new(o, "kernel_args",
	    str_or_null(s[KEY_KERNEL_ARGS].value));
	json_object_set_new(o, "rootfs", str_or_null(t->rootfs));
	json_object_set_new(o, "image", str_or_null(t->image));
	json_object_set_new(o, "image_format", str_or_null(t->image_format));
	json_object_set_new(o, "uefi", json_boolean(t->uefi));
	json_object_set_new(o, "bios", str_or_null(t->bios));
	json_object_set_new(o, "bios_vars", str_or_null(t->bios_vars));
	json_object_set_new(o, "qemu_command", json_text(t->qemu));
	json_object_set_new(o, "num_cpus", json_integer(t->num_cpus));
	json_object_set_new(o, "memory", json_text(t->memory));
	json_object_set_new(o, "share", str_or_null(t->share));
	for (i = 0; i < t->nmount; i++) {
		m = json_object();
		json_object_set_new(m, "host", json_text(t->mount[i].host));
		json_object_set_new(m, "guest",
		    json_text(t->mount[i].guest));
		json_object_set_new(m, "writable",
		    json_boolean(t->mount[i].writable));
		json_array_append_new(mounts, m);
	}
	json_object_set_new(o, "mounts", mounts);
	if (t->has_disk) {
		m = json_object();
		json_object_set_new(m, "rules", str_or_null(t->disk_rules));
		json_object_set_new(m, "backend",
		    json_text(t->disk_backend));
		json_object_set_new(m, "size", json_string(t->disk_size));
		json_object_set_new(m, "cache", json_string(t->disk_cache !=
		    NULL ? t->set[KEY_DISK_CACHE].value : "durable"));
		json_object_set_new(o, "disk", m);
	} else
		json_object_set_new(o, "disk", json_null());
	extra = json_array();
	for (i = 0; i < t->nextra_args; i++)
		json_array_append_new(extra, json_text(t->extra_args[i]));
	json_object_set_new(o, "net", json_boolean(t->net));
	json_object_set_new(o, "extra_args", extra);
	json_object_set_new(o, "kvm_cpu_args", json_text(t->kvm_cpu_args));
	json_object_set_new(o, "command", str_or_null(s[KEY_COMMAND].value));
	return o;
}
