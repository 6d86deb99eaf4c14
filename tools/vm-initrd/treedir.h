/*
 * treedir: a build tree's modules as a modules directory in the cache,
 * found there or made with depmod(8), all or nothing (buildtree.h says
 * what it holds and how its key is made).
 */
#ifndef VM_INITRD_TREEDIR_H
#define VM_INITRD_TREEDIR_H

#include <stdbool.h>

#include "modorder.h"

/* Bump when an entry's layout changes, so old entries die. */
#define TREEDIR_FORMAT 1

/*
 * The modules directory (malloc'd) for the modules mo of tree, whose
 * release is release.  Failures end the tool with one message naming
 * the culprit: a module modules.order names that is not there (status
 * 2), no depmod (2), depmod failing (2) or too slow (124).
 */
char *treedir_get(const char *tree, const char *release,
    const struct modorder *mo, const char *cache_dir, bool verbose);

#endif
