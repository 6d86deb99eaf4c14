/*
 * tool: finding the project's other programs (vm-initrd, nbd-fault) the
 * way a user's install lays them out.
 */
#ifndef QEMU_LAUNCH_TOOL_H
#define QEMU_LAUNCH_TOOL_H

/*
 * The path of program name beside this executable (a build tree or an
 * install), else in PATH; malloc'd, or NULL if there is none.
 */
char *tool_find(const char *name);

#endif
