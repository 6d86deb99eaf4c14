/*
 * modorder: a kernel build tree's modules.order, the modules the build
 * made, in the order of the Makefiles: one path a line, relative to the
 * tree.  Kbuild has written three forms: "fs/9p/9p.o" (Linux 6.2 and
 * later), "fs/9p/9p.ko" (before), and, in older kernels still,
 * "kernel/fs/9p/9p.ko", the prefix of the installed layout in place.
 *
 * The bytes are the file's: every line is checked, and one that is not
 * a plain relative path of a module is an error naming its line.
 */
#ifndef VM_INITRD_MODORDER_H
#define VM_INITRD_MODORDER_H

#include <stddef.h>

/* Longer lines are refused; Kbuild's paths are far shorter. */
#define MODORDER_PATH_MAX 1024

struct modorder_entry {
	char *path;	/* as the line has it, ".o" made ".ko" */
	size_t line;	/* 1 for the first */
};

struct modorder {
	struct modorder_entry *e;	/* in the file's order */
	size_t n;
};

/*
 * Parses len bytes of text, name being the file's for messages.  Blank
 * lines are skipped and a repeated path counts once, at its first line.
 * A path must be relative, end in ".o" or ".ko" after a non-empty name,
 * have no empty, "." or ".." component, no byte below 0x21 or 0x7f, and
 * at most MODORDER_PATH_MAX bytes.  Returns 0, or -1 with a reason that
 * begins "name:LINE: ", the list left empty.
 */
int modorder_parse(const char *text, size_t len, const char *name,
    struct modorder *mo, char *why, size_t whylen);
void modorder_free(struct modorder *mo);

#endif
