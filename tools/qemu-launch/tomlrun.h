/*
 * tomlrun: python3 reading a vmtest.toml.  Debian has no TOML library
 * for C, but python3 (3.11 and later) has tomllib, a whole parser: the
 * script toml-targets.py, built into qemu-launch, runs in an isolated
 * python3 (-I) and prints the file's targets as JSON lines.
 */
#ifndef QEMU_LAUNCH_TOMLRUN_H
#define QEMU_LAUNCH_TOMLRUN_H

#include <stddef.h>

/*
 * Runs python3 (from PATH) over path within TOML_TIMEOUT_MS and returns
 * what it printed in *out (malloc'd, NUL-terminated) and *len.  -1 after
 * one message naming path: no python3, python3 failed or took too long.
 */
int toml_run(const char *path, char **out, size_t *len);

#endif
