/*
 * buildtree: the modules of a kernel build tree, for a kernel booted
 * straight from the tree where `make modules_install` never ran.
 *
 * A build tree is the nearest directory, from the directory of the
 * image's real path (symbolic links resolved) up to the root, that holds
 * a regular file Makefile and either modules.order or
 * include/config/kernel.release: what every kernel build, in the source
 * directory or with O=, writes at its top.  Its kernel.release, where
 * there is one, must be the image's release, else the image is not this
 * tree's build and the tree is passed over.  A tree found so wins over
 * /lib/modules/RELEASE even when that exists: a tree's release may equal
 * an installed kernel's, whose modules are another build's.
 *
 * The tree's modules become a modules directory in the cache, as
 * `make modules_install` would lay it out and as virtme-ng does it:
 * CACHE/tree-RELEASE-KEY/lib/modules/RELEASE/ with kernel/PATH a
 * symbolic link to each module modules.order names, the tree's
 * modules.builtin and modules.builtin.modinfo copied, modules.order in
 * the installed form, and depmod(8)'s indexes over all of that.  KEY is
 * a CRC-64 (cache.h) of the identities (device, inode, size, mtime,
 * ctime) of modules.order, every module it names, the builtin lists and
 * depmod: a rebuilt module makes a new entry.  An entry is made in a
 * temporary directory and renamed into place whole.
 *
 * depmod rather than libkmod alone: the resolution that follows reads
 * depmod's indexes (modules.c), so the tree's modules go through the very
 * code, and the same rules for built-in modules, as an installed kernel's;
 * and the directory is a real one, which --modules-dir can take again.
 */
#ifndef VM_INITRD_BUILDTREE_H
#define VM_INITRD_BUILDTREE_H

#include <stdbool.h>

/* Entries kept: the most recently used, and none unused for this long. */
#define BUILDTREE_KEEP 8
#define BUILDTREE_MAX_AGE_DAYS 30

/* depmod over a distribution's 4000 modules takes some seconds. */
#define BUILDTREE_DEPMOD_TIMEOUT_MS 90000

/*
 * Where the modules of the kernel image come from, if a build tree
 * decides it: tree, or if NULL the tree the image lies in.  Returns false
 * if no tree decides (/lib/modules/RELEASE does); true with *dir the
 * modules directory (malloc'd), or NULL for a tree whose kernel has no
 * module support (no modules.order, and CONFIG_MODULES unset).  The
 * cache is cache_dir/modules if cache_dir is not NULL, else cachedir.h's
 * "modules".  Failures end the tool with one message: status 2, or 124
 * if depmod does not finish within BUILDTREE_DEPMOD_TIMEOUT_MS.
 */
bool buildtree_modules(const char *kernel, const char *release,
    const char *tree, const char *cache_dir, bool verbose, char **dir);

#endif
