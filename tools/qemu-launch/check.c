/*
 * check: a target's settings checked and resolved, before anything
 * starts.  Every problem is printed at the place it was written, so one
 * run shows them all.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "argv.h"
#include "ascii.h"
#include "diag.h"
#include "gdb.h"
#include "firmware.h"
#include "parse.h"
#include "target.h"
#include "xalloc.h"


/*
 * A path as written, made absolute: relative to the config file's
 * directory if it came from there, to the working directory if from a
 * flag, and canonical.  NULL (after one message) if it does not exist
 * or is not the kind of file wanted.
 */
static char *
resolve_path(const struct target *t, const struct setting *s,
    const char *what, bool want_dir, int *errors)
{
	char joined[PATH_MAX], real[PATH_MAX];
	struct stat st;

	if (*s->value == '\0' && (strcmp(what, "kernel") == 0 ||
	    strcmp(what, "image") == 0)) {
		*errors += bad_at(&s->at, "Target '%s' has empty %s path",
		    t->name, what);
		return NULL;
	}
	if (*s->value == '\0') {
		*errors += bad_at(&s->at, "%s: an empty path", what);
		return NULL;
	}
	if (s->value[0] != '/' && s->at.file != NULL) {
		if ((size_t)snprintf(joined, sizeof(joined), "%s/%s", t->base,
		    s->value) >= sizeof(joined)) {
			*errors += bad_at(&s->at, "%s: path too long", what);
			return NULL;
		}
	} else
		snprintf(joined, sizeof(joined), "%s", s->value);
	if (realpath(joined, real) == NULL || stat(real, &st) < 0) {
		*errors += bad_at_errno(&s->at, "%s: %s", what, joined);
		return NULL;
	}
	if (want_dir && !S_ISDIR(st.st_mode)) {
		*errors += bad_at(&s->at, "%s: %s: not a directory", what,
		    real);
		return NULL;
	}
	if (!want_dir && S_ISDIR(st.st_mode)) {
		*errors += bad_at(&s->at, "%s: %s: a directory, not a file",
		    what, real);
		return NULL;
	}
	if (access(real, R_OK) < 0) {
		*errors += bad_at_errno(&s->at, "%s: %s", what, real);
		return NULL;
	}
	return xstrdup(real);
}

static int
parse_bool(const char *s, bool *b)
{
	static const char *const yes[] = { "true", "yes", "on", "1", NULL };
	static const char *const no[] = { "false", "no", "off", "0", NULL };
	int i;

	for (i = 0; yes[i] != NULL; i++) {
		if (ascii_equal_nocase(s, yes[i])) {
			*b = true;
			return 0;
		}
		if (ascii_equal_nocase(s, no[i])) {
			*b = false;
			return 0;
		}
	}
	return -1;
}

/* QEMU's -m: a number of MiB, or with a unit; a fraction allowed. */
static bool
memory_ok(const char *s)
{
	const char *p = s;

	if (!ascii_is_digit(*p))
		return false;
	while (ascii_is_digit(*p))
		p++;
	if (*p == '.') {
		if (!ascii_is_digit(*++p))
			return false;
		while (ascii_is_digit(*p))
			p++;
	}
	if (*p != '\0' && strchr("BKMGTbkmgt", *p) != NULL)
		p++;
	return *p == '\0' && strcmp(s, "0") != 0;
}

/*
 * Words of an extra_args line, as a shell would split them without
 * expanding anything: blanks separate, '...' is literal, "..." and a
 * backslash escape.  -1 on an unfinished quote.
 */
static int
split_words(const char *s, char ***v, size_t *n)
{
	char *w = xstrdup(s), *o;
	bool in_word = false;
	char q = 0;

	o = w;
	for (; *s != '\0'; s++) {
		if (q == '\'' && *s != '\'') {
			*o++ = *s;
		} else if (q == '"' && *s == '\\' && (s[1] == '"' ||
		    s[1] == '\\')) {
			*o++ = *++s;
		} else if (q == '"' && *s != '"') {
			*o++ = *s;
		} else if (q != 0) {
			q = 0;
		} else if (*s == '\'' || *s == '"') {
			q = *s;
			in_word = true;
		} else if (*s == '\\' && s[1] != '\0') {
			*o++ = *++s;
			in_word = true;
		} else if (ascii_is_space(*s)) {
			if (in_word) {
				*o = '\0';
				*v = xreallocarray(*v, *n + 1, sizeof(**v));
				(*v)[(*n)++] = xstrdup(w);
				o = w;
				in_word = false;
			}
		} else {
			*o++ = *s;
			in_word = true;
		}
	}
	if (in_word) {
		*o = '\0';
		*v = xreallocarray(*v, *n + 1, sizeof(**v));
		(*v)[(*n)++] = xstrdup(w);
	}
	free(w);
	return q != 0 ? -1 : 0;
}

/*
 * A guest path may hold any byte: it goes on the kernel command line
 * percent-encoded (argv.c).
 */
static const char *
guest_path_problem(const char *g)
{
	if (g[0] != '/')
		return "must be absolute";
	if (strcmp(g, "/") == 0)
		return "cannot be / (the root is rootfs)";
	return NULL;
}

static int
resolve_mount(struct target *t, const struct setting *s)
{
	struct setting host;
	struct mount m;
	const char *problem;
	char *guest;
	int errors = 0;
	size_t i;

	memset(&m, 0, sizeof(m));
	m.at = s->at;
	if ((problem = mount_spec_parse(s->value, &host.value, &guest,
	    &m.writable)) != NULL)
		return bad_at(&s->at, "mounts: '%s': %s", s->value, problem);
	if ((problem = guest_path_problem(guest)) != NULL)
		errors += bad_at(&s->at, "mounts: guest path '%s' %s", guest,
		    problem);
	for (i = 0; errors == 0 && i < t->nmount; i++)
		if (strcmp(t->mount[i].guest, guest) == 0)
			errors += bad_at(&s->at, "mounts: '%s' is mounted "
			    "twice", guest);
	host.at = s->at;
	if (errors == 0 && (m.host = resolve_path(t, &host, "mounts", true,
	    &errors)) != NULL) {
		m.guest = guest;
		guest = NULL;
		t->mount = xreallocarray(t->mount, t->nmount + 1,
		    sizeof(*t->mount));
		t->mount[t->nmount++] = m;
	}
	free(host.value);
	free(guest);
	return errors;
}

static int
mount_cmp(const void *a, const void *b)
{
	return strcmp(((const struct mount *)a)->guest,
	    ((const struct mount *)b)->guest);
}

/*
 * The format of a disk image, from its first bytes, so that QEMU need not
 * guess: a guessed raw image cannot have its first sector written.
 */
static const char *
sniff_format(const char *path)
{
	static const struct {
		const char *magic;
		size_t len;
		const char *name;
	} formats[] = {
		{ "QFI\xfb", 4, "qcow2" },
		{ "KDMV", 4, "vmdk" },
		{ "conectix", 8, "vpc" },
		{ "vhdxfile", 8, "vhdx" },
		{ "QED\0", 4, "qed" },
	};
	unsigned char head[8];
	ssize_t n;
	size_t i;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return "raw";
	n = read(fd, head, sizeof(head));
	close(fd);
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (n >= (ssize_t)formats[i].len &&
		    memcmp(head, formats[i].magic, formats[i].len) == 0)
			return formats[i].name;
	return "raw";
}

/* The kind of target and the checks between keys, in vmtest's order. */
static int
check_combination(struct target *t)
{
	struct setting *s = t->set;
	int errors = 0;

	if (s[KEY_KERNEL].value == NULL && s[KEY_IMAGE].value == NULL)
		return bad_at(&t->at, "Target '%s' must specify 'image' or "
		    "'kernel'", t->name);
	if (s[KEY_KERNEL].value != NULL && s[KEY_IMAGE].value != NULL) {
		char where[PATH_MAX + 32];

		errors += bad_at(&s[KEY_IMAGE].at, "Target '%s' specified both "
		    "'image' and 'kernel' (kernel is set at %s)", t->name,
		    origin_text(&s[KEY_KERNEL].at, where, sizeof(where)));
	}
	t->is_kernel = s[KEY_KERNEL].value != NULL;
	if (s[KEY_UEFI].value != NULL && parse_bool(s[KEY_UEFI].value,
	    &t->uefi) < 0)
		errors += bad_at(&s[KEY_UEFI].at, "uefi: '%s' is not true or "
		    "false", s[KEY_UEFI].value);
	t->snapshot = true;
	if (s[KEY_SNAPSHOT].value != NULL && parse_bool(s[KEY_SNAPSHOT].value,
	    &t->snapshot) < 0)
		errors += bad_at(&s[KEY_SNAPSHOT].at, "snapshot: '%s' is not "
		    "true or false", s[KEY_SNAPSHOT].value);
	if (s[KEY_GDB].value != NULL && parse_bool(s[KEY_GDB].value,
	    &t->gdb) < 0)
		errors += bad_at(&s[KEY_GDB].at, "gdb: '%s' is not true or "
		    "false", s[KEY_GDB].value);
	if (s[KEY_NET].value != NULL && parse_bool(s[KEY_NET].value,
	    &t->net) < 0)
		errors += bad_at(&s[KEY_NET].at, "net: '%s' is not true or "
		    "false", s[KEY_NET].value);
	if (t->uefi && s[KEY_IMAGE].value == NULL)
		errors += bad_at(&s[KEY_UEFI].at, "Target '%s' must specify "
		    "'image' with 'uefi'", t->name);
	if (s[KEY_BIOS].value != NULL && !t->uefi)
		errors += bad_at(&s[KEY_BIOS].at, "Target '%s' cannot specify "
		    "a bios without setting 'uefi'", t->name);
	if (s[KEY_KERNEL_ARGS].value != NULL && s[KEY_KERNEL].value == NULL)
		errors += bad_at(&s[KEY_KERNEL_ARGS].at, "Target '%s' must "
		    "specify 'kernel' with 'kernel_args'", t->name);
	if (s[KEY_INITRD].value != NULL && s[KEY_KERNEL].value == NULL)
		errors += bad_at(&s[KEY_INITRD].at, "initrd: needs kernel");
	if (s[KEY_ROOTFS].value != NULL && s[KEY_KERNEL].value == NULL)
		errors += bad_at(&s[KEY_ROOTFS].at, "rootfs: needs kernel (an "
		    "image has its own root)");
	return errors;
}

static int
resolve_values(struct target *t)
{
	struct setting *s = t->set;
	const struct setting *v;
	uint64_t n;
	int errors = 0, a;

	t->arch = arch_host();
	if ((v = &s[KEY_ARCH])->value != NULL) {
		for (a = 0; a < ARCH_COUNT; a++)
			if (strcmp(v->value, arch_table[a].name) == 0)
				break;
		t->arch = (enum arch)a;
		if (a == ARCH_COUNT)
			errors += bad_at(&v->at, "arch: '%s' is not x86_64, "
			    "aarch64, riscv64 or s390x", v->value);
	} else if (t->arch == ARCH_COUNT)
		errors += bad_at(&t->at, "arch: this machine is none of "
		    "x86_64, aarch64, riscv64, s390x: set arch");
	t->num_cpus = 2;
	if ((v = &s[KEY_NUM_CPUS])->value != NULL) {
		if (parse_uint(v->value, 1, 255, &n) == 0)
			t->num_cpus = (unsigned)n;
		else
			errors += bad_at(&v->at, "num_cpus: '%s' is not a "
			    "number from 1 to 255", v->value);
	}
	if ((v = &s[KEY_MEMORY])->value != NULL && !memory_ok(v->value))
		errors += bad_at(&v->at, "memory: '%s' is not a size as -m "
		    "takes it (4G, 512M, 2048)", v->value);
	if ((v = &s[KEY_KVM_CPU_ARGS])->value != NULL && *v->value == '\0')
		errors += bad_at(&v->at, "kvm_cpu_args: empty");
	if ((v = &s[KEY_QEMU_COMMAND])->value != NULL && *v->value == '\0')
		errors += bad_at(&v->at, "qemu_command: empty");
	return errors;
}

static int
resolve_files(struct target *t)
{
	struct setting *s = t->set, share;
	int errors = 0;
	size_t i;

	if (s[KEY_KERNEL].value != NULL)
		t->kernel = resolve_path(t, &s[KEY_KERNEL], "kernel", false,
		    &errors);
	if (s[KEY_IMAGE].value != NULL) {
		t->image = resolve_path(t, &s[KEY_IMAGE], "image", false,
		    &errors);
		if (t->image != NULL)
			t->image_format = sniff_format(t->image);
	}
	if (s[KEY_INITRD].value != NULL)
		t->initrd = resolve_path(t, &s[KEY_INITRD], "initrd", false,
		    &errors);
	if (s[KEY_BIOS].value != NULL)
		t->bios = resolve_path(t, &s[KEY_BIOS], "bios", false,
		    &errors);
	if (t->is_kernel)
		t->rootfs = s[KEY_ROOTFS].value == NULL ? xstrdup("/") :
		    resolve_path(t, &s[KEY_ROOTFS], "rootfs", true, &errors);
	if (s[KEY_SHARE].value != NULL)
		t->share = resolve_path(t, &s[KEY_SHARE], "share", true,
		    &errors);
	else {
		share.value = t->base;
		share.at = t->at;
		t->share = resolve_path(t, &share, "share", true, &errors);
	}
	for (i = 0; i < t->nmounts; i++)
		errors += resolve_mount(t, &t->mounts[i]);
	if (t->nmount > 1)
		qsort(t->mount, t->nmount, sizeof(*t->mount), mount_cmp);
	return errors;
}

/*
 * The NBD disk: disk is the rules file nbd-fault reads, or "none";
 * disk_backend one of nbd-fault's (a file: path resolved as any path);
 * disk_size a size nbd-fault takes; disk_cache durable (every write
 * reaches the backend at once) or volatile[:MAX] (nbd-fault's
 * --volatile-cache: only what the guest flushes does).
 */
static int
resolve_disk_cache(struct target *t)
{
	const struct setting *c = &t->set[KEY_DISK_CACHE];
	uint64_t bytes;

	if (c->value == NULL || strcmp(c->value, "durable") == 0)
		return 0;
	if (strcmp(c->value, "volatile") == 0)
		t->disk_cache = xstrdup("--volatile-cache");
	else if (strncmp(c->value, "volatile:", 9) == 0 &&
	    parse_size(c->value + 9, &bytes) == 0 && bytes > 0) {
		t->disk_cache = xasprintf("--volatile-cache=%s",
		    c->value + 9);
	} else
		return bad_at(&c->at, "disk_cache: '%s' is not durable, "
		    "volatile or volatile:MAX", c->value);
	return 0;
}

static int
resolve_disk(struct target *t)
{
	struct setting *s = t->set, file;
	const char *b = s[KEY_DISK_BACKEND].value;
	uint64_t bytes;
	char *path;
	int errors = 0;

	if (s[KEY_DISK].value == NULL) {
		if (b != NULL)
			errors += bad_at(&s[KEY_DISK_BACKEND].at,
			    "disk_backend: needs disk");
		if (s[KEY_DISK_SIZE].value != NULL)
			errors += bad_at(&s[KEY_DISK_SIZE].at, "disk_size: "
			    "needs disk");
		if (s[KEY_DISK_CACHE].value != NULL)
			errors += bad_at(&s[KEY_DISK_CACHE].at, "disk_cache: "
			    "needs disk");
		return errors;
	}
	t->has_disk = true;
	if (strcmp(s[KEY_DISK].value, "none") != 0)
		t->disk_rules = resolve_path(t, &s[KEY_DISK], "disk", false,
		    &errors);
	if (b == NULL || strcmp(b, "memory") == 0 || strcmp(b, "zero") == 0 ||
	    strcmp(b, "pattern") == 0)
		t->disk_backend = xstrdup(b != NULL ? b : "memory");
	else if (strncmp(b, "file:", 5) == 0) {
		file.value = (char *)b + 5;
		file.at = s[KEY_DISK_BACKEND].at;
		path = resolve_path(t, &file, "disk_backend", false, &errors);
		if (path != NULL)
			t->disk_backend = xasprintf("file:%s", path);
		free(path);
	} else
		errors += bad_at(&s[KEY_DISK_BACKEND].at, "disk_backend: '%s' "
		    "is not memory, zero, pattern or file:PATH", b);
	t->disk_size = s[KEY_DISK_SIZE].value != NULL ?
	    s[KEY_DISK_SIZE].value : "1G";
	if (parse_size(t->disk_size, &bytes) < 0 || bytes == 0)
		errors += bad_at(&s[KEY_DISK_SIZE].at, "disk_size: '%s' is not "
		    "a size (1G, 64M, 4096)", t->disk_size);
	return errors + resolve_disk_cache(t);
}

int
target_resolve(struct target *t)
{
	struct setting *s = t->set;
	const char *q;
	char path[PATH_MAX * 2], cwd[PATH_MAX];
	int errors;
	size_t i;

	errors = check_combination(t);
	errors += resolve_values(t);
	errors += resolve_files(t);
	errors += resolve_disk(t);
	/* The host's / holds no init, qemu-ga or shell for another arch. */
	if (t->is_kernel && t->arch != ARCH_COUNT && t->arch != arch_host() &&
	    s[KEY_INITRD].value == NULL && s[KEY_ROOTFS].value == NULL)
		errors += bad_at(s[KEY_ARCH].value != NULL ? &s[KEY_ARCH].at :
		    &t->at, "arch: a kernel for %s needs rootfs (a root of "
		    "that architecture, its modules in lib/modules) or initrd",
		    arch_table[t->arch].name);
	if (t->uefi && t->arch == ARCH_S390X)
		errors += bad_at(&s[KEY_UEFI].at, "uefi: there is no UEFI for "
		    "s390x");
	else if (t->uefi && t->arch != ARCH_COUNT &&
	    (s[KEY_BIOS].value == NULL || t->bios != NULL))
		errors += firmware_resolve(t);
	if (t->is_kernel && t->arch != ARCH_COUNT)
		errors += argv_cmdline_check(t);
	t->memory = s[KEY_MEMORY].value != NULL ? s[KEY_MEMORY].value : "4G";
	t->kvm_cpu_args = s[KEY_KVM_CPU_ARGS].value != NULL ?
	    s[KEY_KVM_CPU_ARGS].value : "host";

	for (i = 0; i < t->nextra; i++) {
		size_t first = t->nextra_args;

		if (t->extra[i].at.file == NULL) {
			/* A flag is one word already. */
			t->extra_args = xreallocarray(t->extra_args,
			    t->nextra_args + 1, sizeof(*t->extra_args));
			t->extra_args[t->nextra_args++] =
			    xstrdup(t->extra[i].value);
		} else if (split_words(t->extra[i].value, &t->extra_args,
		    &t->nextra_args) < 0)
			errors += bad_at(&t->extra[i].at, "extra_args: a quote "
			    "is not closed");
		errors += gdb_check_extra(t, first, &t->extra[i].at);
	}

	/* A name is looked up in PATH at launch; a path is a file here. */
	q = s[KEY_QEMU_COMMAND].value;
	if (q != NULL && *q != '\0' && strchr(q, '/') != NULL) {
		/* Absolute: QEMU runs in the run directory. */
		if (q[0] != '/' && s[KEY_QEMU_COMMAND].at.file != NULL)
			snprintf(path, sizeof(path), "%s/%s", t->base, q);
		else if (q[0] != '/' && getcwd(cwd, sizeof(cwd)) != NULL)
			snprintf(path, sizeof(path), "%s/%s", cwd, q);
		else
			snprintf(path, sizeof(path), "%s", q);
		if (access(path, X_OK) < 0)
			errors += bad_at_errno(&s[KEY_QEMU_COMMAND].at,
			    "qemu_command: %s", path);
		t->qemu = xstrdup(path);
	} else if (q != NULL && *q != '\0')
		t->qemu = xstrdup(q);
	else if (t->arch != ARCH_COUNT) {
		snprintf(path, sizeof(path), "qemu-system-%s",
		    arch_table[t->arch].name);
		t->qemu = xstrdup(path);
	}
	return errors;
}
