/*
 * gdb: a target with gdb = true (--gdb) opens QEMU's gdbstub on the run
 * directory's gdb.sock.  A kernel target then boots without KASLR unless
 * its kernel_args say otherwise, so that the symbols of its vmlinux are
 * where gdb looks; and it boots cold (main.c), as a guest restored from
 * a snapshot has run its boot code already.
 */
#ifndef QEMU_LAUNCH_GDB_H
#define QEMU_LAUNCH_GDB_H

#include <stdbool.h>
#include <stddef.h>

#include "target.h"

/*
 * Whether kernel_args say anything about KASLR: a blank-separated word
 * with "kaslr" in it (kaslr, nokaslr, kaslr.disabled=0...).  If not,
 * gdb = true adds nokaslr.
 */
bool gdb_kaslr_said(const char *args);

/*
 * QEMU keeps one gdbstub, the last one asked for, so a -gdb or -s among
 * t's extra_args[first..] (the words of one setting, at) would take the
 * place of gdb.sock without a word.  With t->gdb, that is an error here:
 * prints it and returns 1; else 0.
 */
int gdb_check_extra(const struct target *t, size_t first,
    const struct origin *at);

/*
 * Says on stderr how to attach, before QEMU starts (an interactive
 * console takes the terminal then): gdb's command line with the socket
 * and the kernel's symbol file, if one is found, and what to use if not.
 */
void gdb_hint(const struct target *t, const char *rundir);

#endif
