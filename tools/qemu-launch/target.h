/*
 * target: what to boot, as settings that remember where they came from
 * (a config file's line or a flag), so that every error names the place
 * to fix; and the per-architecture facts QEMU needs.
 */
#ifndef QEMU_LAUNCH_TARGET_H
#define QEMU_LAUNCH_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "arch.h"

/* The settings, named as vmtest's config keys (and the INI keys). */
enum key {
	KEY_KERNEL,
	KEY_IMAGE,
	KEY_UEFI,
	KEY_KERNEL_ARGS,
	KEY_ROOTFS,
	KEY_ARCH,
	KEY_QEMU_COMMAND,
	KEY_NUM_CPUS,
	KEY_MEMORY,
	KEY_MOUNTS,
	KEY_BIOS,
	KEY_EXTRA_ARGS,
	KEY_KVM_CPU_ARGS,
	KEY_COMMAND,
	KEY_INITRD,
	KEY_SHARE,
	KEY_DISK,
	KEY_DISK_BACKEND,
	KEY_DISK_SIZE,
	KEY_DISK_CACHE,
	KEY_SNAPSHOT,
	KEY_GDB,
	KEY_NET,
	KEY_COUNT,
};

/* Where a setting was written: a file and line, or a flag. */
struct origin {
	const char *file;	/* NULL: a flag, or a default */
	unsigned line;
	const char *flag;	/* "--kernel" */
};

struct setting {
	char *value;		/* NULL: not set */
	struct origin at;
};

struct mount {
	char *host;		/* resolved: absolute and canonical */
	char *guest;
	bool writable;
	struct origin at;
};

struct target {
	char *name;
	struct origin at;	/* the section header, for whole-target errors */
	char *base;		/* the directory relative paths start from */
	struct setting set[KEY_COUNT];
	/* Repeatable: each value is one entry, with its own origin. */
	struct setting *mounts, *extra;
	size_t nmounts, nextra;

	/* Filled by target_resolve(). */
	bool is_kernel, uefi;
	bool snapshot;		/* snapshot boots wanted (kernel targets) */
	bool gdb;		/* QEMU's gdbstub on the run's gdb.sock */
	bool net;		/* user-mode networking (--net) */
	enum arch arch;
	unsigned num_cpus;
	char *kernel, *image, *rootfs, *bios, *initrd, *share, *qemu;
	char *bios_vars;	/* a split firmware's VARS template, or NULL */
	const char *image_format;	/* "qcow2", "raw"...: sniffed */
	const char *memory, *kvm_cpu_args;	/* borrowed, or defaults */
	char **extra_args;	/* extra_args split into words */
	size_t nextra_args;
	struct mount *mount;	/* sorted by guest path */
	size_t nmount;
	/* An NBD disk served by nbd-fault: disk set, rules NULL for none. */
	bool has_disk;
	char *disk_rules, *disk_backend;
	const char *disk_size;
	char *disk_cache;	/* nbd-fault's --volatile-cache=..., or NULL */

	/* Filled by kernel_prepare() (kernel.h), for kernel targets. */
	char *boot_kernel;	/* what QEMU boots: unpacked, or kernel */
	const char *kernel_form;	/* "pvh-elf", "image" or "as-given" */
	/*
	 * The content key of the file kernel names, CRC64HEX-SIZE (16 hex
	 * digits, '-', its size in decimal), whatever its form; NULL if it
	 * could not be read.
	 */
	char *kernel_key;
};

/* The key's INI name ("kernel_args") and flag ("--kernel-args"). */
const char *key_name(enum key k);
const char *key_flag(enum key k);
/* The key named name, or KEY_COUNT. */
enum key key_lookup(const char *name);
bool key_repeatable(enum key k);
/* Continuation lines join with this ('\n' for command), or 0 if none. */
char key_joiner(enum key k);

void target_init(struct target *t, const char *name, const char *base);
void target_free(struct target *t);

/*
 * Sets k to value (copied) as written at `at`.  A repeatable key gets
 * one more entry; any other key is replaced.
 */
void target_set(struct target *t, enum key k, const char *value,
    struct origin at);

/*
 * Lays the settings of over (flags) onto t (from a file): what over sets
 * wins; a repeatable key's entries in over are added to t's.
 */
void target_overlay(struct target *t, const struct target *over);

/*
 * Checks the target and resolves it: paths made absolute (relative ones
 * start from the base of the file or the directory they were given in)
 * and checked to exist, defaults filled, values parsed.  Each problem is
 * printed as "FILE:LINE: ..." or "--flag: ..."; returns how many.
 * Touches nothing: it only reads the file system.
 */
int target_resolve(struct target *t);

/* "FILE:LINE" or "--flag" for messages, into buf. */
const char *origin_text(const struct origin *at, char *buf, size_t size);

/*
 * One problem printed at its place, "FILE:LINE: ..." or "--flag: ...";
 * returns 1 to count it.  The _errno form adds ": " and strerror(errno)
 * as errno stood on entry.
 */
int bad_at(const struct origin *at, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int bad_at_errno(const struct origin *at, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A mounts value (or --mount), HOST:GUEST[:rw|:ro], split and with its
 * escapes undone into *host and *guest (malloc'd).  It is read from the
 * right: ":rw" or ":ro" at the very end is the mode (read-only without
 * it), and the last ':' before that splits, so HOST may hold a ':' as it
 * is.  A backslash escapes: "\:" is a ':' that does not split (how GUEST
 * holds one, or a GUEST that ends in ":rw"), "\\" a backslash, "\xHH"
 * the byte HH, for what an INI value cannot hold (a newline, blanks at
 * its ends).  Returns NULL, or what is wrong (and *host, *guest NULL).
 */
const char *mount_spec_parse(const char *spec, char **host, char **guest,
    bool *writable);

/* s as a JSON string; bytes that are not UTF-8 become U+FFFD. */
json_t *json_text(const char *s);

/* All resolved settings as one JSON object, for --list. */
json_t *target_json(const struct target *t);

#endif
