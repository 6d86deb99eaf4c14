#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "cpio.h"
#include "diag.h"
#include "outfile.h"
#include "readfile.h"
#include "unpack.h"
#include "xalloc.h"

/* No kernel module comes near this, compressed or not. */
#define MODULE_MAX (512 * 1024 * 1024)

/* The module list: each destination and a newline. */
static char *
module_list(const struct module_set *set, size_t *len)
{
	char *list, *p;
	size_t i, n = 0;

	for (i = 0; i < set->n; i++)
		n += strlen(set->mods[i].dest) + 1;
	p = list = xmalloc(n + 1);
	for (i = 0; i < set->n; i++)
		p += sprintf(p, "%s\n", set->mods[i].dest);
	*len = n;
	return list;
}

/* One module, read, unpacked if compressed, and checked. */
static int
add_module(struct cpio *c, const char *out_name, const struct module *m,
    char *why, size_t whylen)
{
	unsigned char *raw, *plain;
	size_t raw_len, plain_len;
	enum unpack_format f;
	char reason[200];
	int rc;

	if (read_whole(m->path, MODULE_MAX, &raw, &raw_len) < 0) {
		snprintf(why, whylen, "%s: %s (module %s)", m->path,
		    strerror(errno), m->name);
		return -1;
	}
	if ((f = unpack_detect(raw, raw_len)) == UNPACK_NONE) {
		plain = raw;
		plain_len = raw_len;
	} else {
		rc = unpack_all(f, raw, raw_len, MODULE_MAX, &plain,
		    &plain_len, reason, sizeof(reason));
		free(raw);
		if (rc < 0) {
			snprintf(why, whylen, "%s: %s", m->path, reason);
			return -1;
		}
	}
	/* finit_module wants ELF; say so here, not in the guest. */
	if (plain_len < 4 || memcmp(plain, "\177ELF", 4) != 0) {
		snprintf(why, whylen, "%s: not a kernel module (%s, but not "
		    "ELF)", m->path, unpack_name(f));
		free(plain);
		return -1;
	}
	rc = cpio_add_file(c, m->dest, 0644, plain, plain_len);
	free(plain);
	/* A write error is the output's; anything else the name's. */
	if (rc < 0)
		snprintf(why, whylen, "%s: %s", c->error != 0 ? out_name :
		    m->dest, strerror(errno));
	return rc;
}

int
archive_write(FILE *out, const char *out_name, const struct init_bin *init,
    const struct module_set *set, char *why, size_t whylen)
{
	struct cpio c;
	char *list;
	size_t list_len, i;
	int rc = -1;

	list = module_list(set, &list_len);
	cpio_init(&c, out);
	if (cpio_add_dir(&c, "dev", 0755) < 0 ||
	    cpio_add_chardev(&c, "dev/console", 0600, 5, 1) < 0 ||
	    cpio_add_file(&c, ARCHIVE_MODULE_LIST, 0644, list, list_len) < 0 ||
	    cpio_add_file(&c, "init", 0755, init->data, init->len) < 0) {
		snprintf(why, whylen, "%s: %s", out_name, strerror(errno));
		goto out;
	}
	for (i = 0; i < set->n; i++)
		if (add_module(&c, out_name, &set->mods[i], why, whylen) < 0)
			goto out;
	if (cpio_finish(&c) < 0) {
		snprintf(why, whylen, "%s: %s", out_name, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	cpio_free(&c);
	free(list);
	return rc;
}

int
archive_save(const char *path, const struct init_bin *init,
    const struct module_set *set, char *why, size_t whylen)
{
	struct outfile out;

	if (outfile_open(&out, path, why, whylen) < 0)
		return -1;
	if (archive_write(out.fp, path, init, set, why, whylen) < 0) {
		outfile_abort(&out);
		return -1;
	}
	return outfile_commit(&out, why, whylen);
}

void
archive_key(struct cache_key *k, const char *release,
    const struct init_bin *init, const struct module_set *set)
{
	size_t i;

	cache_key_init(k);
	cache_key_line(k, "vm-initrd %s format %d", VERSION, ARCHIVE_FORMAT);
	cache_key_line(k, "release %s", release);
	cache_key_bytes(k, "init", init->data, init->len);
	for (i = 0; i < set->n; i++) {
		cache_key_line(k, "module %s", set->mods[i].dest);
		if (cache_key_file(k, "file", set->mods[i].path) < 0)
			die_errno(EXIT_USAGE, "module %s: %s",
			    set->mods[i].name, set->mods[i].path);
	}
}
