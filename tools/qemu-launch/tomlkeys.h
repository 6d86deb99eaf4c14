/*
 * tomlkeys: vmtest.toml's keys below a [[target]], the TOML type each
 * takes and what it is to a target; and values put in the forms the INI
 * file's setters take.
 */
#ifndef QEMU_LAUNCH_TOMLKEYS_H
#define QEMU_LAUNCH_TOMLKEYS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "target.h"

#define TOML_DEPTH 4	/* vm.mounts.GUEST.host_path */

/* What a value is to the target. */
enum toml_role {
	ROLE_KEY,		/* target_set() of key */
	ROLE_NAME,
	ROLE_TABLE,		/* a table whose values come one by one */
	ROLE_MOUNT,		/* vm.mounts.GUEST */
	ROLE_HOST,		/* vm.mounts.GUEST.host_path */
	ROLE_WRITABLE,		/* vm.mounts.GUEST.writable */
};

struct toml_field {
	const char *path[TOML_DEPTH];	/* "*" is any one key */
	enum toml_role role;
	enum key key;		/* of ROLE_KEY */
	const char *type;	/* TOML's: "string", "table"...; "scalar" */
};

/* s's text: NULL if s is no string or holds a NUL. */
const char *toml_text(const json_t *s);

/*
 * The field of the longest start key[0..*m) of key[0..n) that is one,
 * or NULL (and *m 0).  One of our own keys that vmtest has not (initrd,
 * snapshot...) is a field at the target level, of a scalar type, made in
 * ext.
 */
const struct toml_field *toml_field(const json_t *key, size_t n, size_t *m,
    struct toml_field *ext);

/* Whether a value of TOML type type can be given to the field. */
bool toml_type_fits(const struct toml_field *fd, const char *type);

/* key[0..n) as TOML writes a dotted key: vm.mounts."/mnt/x" (malloc'd). */
char *toml_dotted(const json_t *key, size_t n);

/* A mount as a mounts value, HOST:GUEST:rw or :ro (malloc'd). */
char *toml_mount_spec(const char *host, const char *guest, bool writable);

/*
 * One item of vm.extra_args, quoted so that check.c's splitting of an
 * extra_args value gives it back as one word, as it is (malloc'd).
 */
char *toml_one_word(const char *s);

#endif
