/*
 * configtoml: a vmtest.toml as targets.  python3's tomllib reads the
 * TOML (toml-targets.py, embedded); what it prints, one JSON line per
 * [[target]] and per value, is judged here and fed to the same setters
 * as the INI file's keys, each with its file:line, so that the checks
 * and relative paths of target_resolve() are the same for both.
 */
#ifndef QEMU_LAUNCH_CONFIGTOML_H
#define QEMU_LAUNCH_CONFIGTOML_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* A path ending in ".toml" is a vmtest.toml; any other, our INI. */
bool config_is_toml(const char *path);

/*
 * Reads c->path (c->dir set) into c.  Each problem is printed as
 * "PATH:LINE: message", each unknown key warned about the same way;
 * returns how many problems.
 */
int config_toml_read(struct config *c);

/*
 * The reader's output, text[0..len), into c (c->path and c->dir set):
 * what config_toml_read() does once python3 has answered.  Any bytes are
 * safe here.
 */
int config_toml_feed(struct config *c, const char *text, size_t len);

/* How long python3 may take to read a file. */
#define TOML_TIMEOUT_MS 10000

#endif
