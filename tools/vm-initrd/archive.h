/*
 * archive: what the initramfs holds, in the order written:
 *
 *   dev/console           the kernel opens it for /init's stdio before
 *                         /init runs; kernels built with their own
 *                         initramfs source may not provide it
 *   etc/vm-init/modules   the modules' paths, one a line, in load order
 *   init                  the static init
 *   lib/modules/VERSION/  the modules, uncompressed, dependencies first
 *
 * with the directories these need.  The same inputs give the same bytes.
 */
#ifndef VM_INITRD_ARCHIVE_H
#define VM_INITRD_ARCHIVE_H

#include <stdio.h>

#include "cache.h"
#include "initbin.h"
#include "modules.h"

/* Bump when the archive's layout changes, so old cache entries die. */
#define ARCHIVE_FORMAT 2

/* Where the guest's init finds the list of modules to load. */
#define ARCHIVE_MODULE_LIST "etc/vm-init/modules"

/*
 * Writes the archive to out, called out_name in messages; -1 with a
 * reason naming what failed: a module or out.
 */
int archive_write(FILE *out, const char *out_name,
    const struct init_bin *init, const struct module_set *set, char *why,
    size_t whylen);

/* The archive written to path all or nothing (outfile.h); -1 with why. */
int archive_save(const char *path, const struct init_bin *init,
    const struct module_set *set, char *why, size_t whylen);

/*
 * k: everything the archive's bytes are made of, for the cache's key.
 * Exits 2 naming a module that cannot be read.
 */
void archive_key(struct cache_key *k, const char *release,
    const struct init_bin *init, const struct module_set *set);

#endif
