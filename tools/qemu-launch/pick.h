/*
 * pick: the targets of a config file, every one listed (--list) or the
 * one to launch picked and resolved, with the flags laid over it.
 */
#ifndef QEMU_LAUNCH_PICK_H
#define QEMU_LAUNCH_PICK_H

#include "config.h"
#include "target.h"

/*
 * --list: every target of path checked, and those whose name filter (an
 * extended regular expression, searched; NULL: all) matches printed as
 * one JSON line each.
 */
int pick_list(const char *path, const char *filter);

/*
 * The target to launch: config's target name (or its only one), or the
 * flags' own target named after the kernel or image when config is
 * NULL; flags laid over it, resolved.  Exits 2 on any problem.  c keeps
 * what the file held, for config_free().
 */
void pick_target(const char *config, const char *name, struct target *flags,
    struct config *c, struct target *t);

#endif
