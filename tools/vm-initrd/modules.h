/*
 * modules: which kernel module files a set of modules needs, in the order
 * to load them, resolved with libkmod from a kernel's modules directory
 * (its modules.dep.bin and modules.builtin.bin, as depmod wrote them).
 *
 * Only hard dependencies count (modules.dep): soft dependencies are
 * optional by definition, and once the guest runs on the real root it can
 * modprobe anything else.  No modprobe.d configuration is read: the host's
 * aliases and blacklists are not the guest's.
 */
#ifndef VM_INITRD_MODULES_H
#define VM_INITRD_MODULES_H

#include <stddef.h>

struct module {
	char *name;		/* kmod's name, for messages */
	char *path;		/* the file, maybe compressed */
	char *dest;		/* its name in the initramfs, as .ko */
};

struct module_set {
	struct module *mods;	/* dependencies before their users */
	size_t n;
	char **builtin;		/* wanted, but built into the kernel */
	size_t nbuiltin;
};

/*
 * Resolves the wanted modules and their dependencies from dir, the
 * modules directory of kernel release version.  dest is
 * "lib/modules/VERSION/" and the file's path below dir, without a .gz,
 * .xz or .zst suffix.  Returns 0, or -1 with a reason naming what is
 * missing: dir, its indexes, or a wanted module that is neither a module
 * nor built in (unless its name starts with '?': wanted if there).
 */
int modules_resolve(const char *dir, const char *version,
    const char *const *wanted, size_t nwanted, struct module_set *set,
    char *why, size_t whylen);
void modules_free(struct module_set *set);

#endif
