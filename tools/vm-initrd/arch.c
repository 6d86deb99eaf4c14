#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "arch.h"
#include "xalloc.h"

static const struct initrd_arch arches[] = {
	{ "x86_64", 62, "virtio_pci", "amd64" },
	{ "aarch64", 183, "virtio_pci", "arm64" },
	{ "riscv64", 243, "virtio_pci", "riscv64" },
	/*
	 * No PCI: QEMU's s390-ccw-virtio machine puts virtio on channel
	 * I/O, whose driver is a bool option (S390_GUEST), never a module
	 * and so not in modules.builtin either: wanted only if a module.
	 */
	{ "s390x", 22, "?virtio_ccw", "s390x" },
};

#define NARCH (sizeof(arches) / sizeof(arches[0]))

#if defined(__x86_64__)
#define SELF "x86_64"
#elif defined(__aarch64__)
#define SELF "aarch64"
#elif defined(__riscv) && __riscv_xlen == 64
#define SELF "riscv64"
#elif defined(__s390x__)
#define SELF "s390x"
#else
#define SELF ""		/* no vm-init of ours runs here: --arch, or --init */
#endif

const struct initrd_arch *
arch_find(const char *name)
{
	size_t i;

	if (name == NULL)
		name = SELF;
	for (i = 0; i < NARCH; i++)
		if (strcmp(arches[i].name, name) == 0)
			return &arches[i];
	return NULL;
}

bool
arch_foreign(const struct initrd_arch *a)
{
	return strcmp(a->name, SELF) != 0;
}

/* The ELF header's e_machine; init_check has seen a whole header. */
static unsigned
elf_machine(const struct init_bin *ib)
{
	const unsigned char *p = ib->data + 18;

	return ib->data[5] == 2 ? (unsigned)p[0] << 8 | p[1] :
	    (unsigned)p[1] << 8 | p[0];
}

static const char *
machine_name(unsigned m)
{
	size_t i;

	for (i = 0; i < NARCH; i++)
		if (arches[i].machine == m)
			return arches[i].name;
	return "another machine";
}

int
arch_load_init(const struct initrd_arch *a, const char *given,
    struct init_bin *ib, char *why, size_t whylen)
{
	char *name, *cross;
	size_t n;

	name = arch_foreign(a) ? xasprintf("vm-init.%s", a->name) :
	    xstrdup("vm-init");
	if (init_load(given, name, ib, why, whylen) < 0) {
		if (given == NULL && arch_foreign(a)) {
			cross = xasprintf("; make builds it where %s-linux-gnu-"
			    "gcc is installed (Debian: gcc-%s-linux-gnu and "
			    "libc6-dev-%s-cross), else a %s kernel needs an "
			    "initrd of its own (qemu-launch --initrd)",
			    a->name, a->name, a->debarch, a->name);
			n = strlen(why);
			snprintf(why + n, whylen - n, "%s", cross);
			free(cross);
		}
		free(name);
		return -1;
	}
	free(name);
	if (elf_machine(ib) != a->machine) {
		snprintf(why, whylen, "%s: an executable for %s, and the "
		    "kernel is for %s", ib->path, machine_name(
		    elf_machine(ib)), a->name);
		init_free(ib);
		return -1;
	}
	return 0;
}

const char **
arch_wanted(const struct initrd_arch *a, const char *const *wanted,
    size_t n)
{
	const char **w = xreallocarray(NULL, n, sizeof(*w));
	size_t i;

	for (i = 0; i < n; i++)
		w[i] = strcmp(wanted[i], "virtio_pci") == 0 ? a->transport :
		    wanted[i];
	return w;
}

static bool
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * DIR/lib/modules/RELEASE for the nearest DIR above the kernel's real
 * path that has one: a kernel package unpacked with its modules
 * (X/boot/vmlinuz-R beside X/lib/modules/R), as virtme-ng finds them.
 * The host's own /lib/modules only for a kernel of this machine.  NULL
 * if none does.
 */
static char *
beside_kernel(const char *kernel, const char *release, bool foreign)
{
	char *dir, *slash, *mods;

	if ((dir = realpath(kernel, NULL)) == NULL)
		return NULL;
	while ((slash = strrchr(dir, '/')) != NULL &&
	    (slash > dir || !foreign)) {
		*slash = '\0';
		mods = xasprintf("%s/lib/modules/%s", dir, release);
		if (is_dir(mods)) {
			free(dir);
			return mods;
		}
		free(mods);
	}
	free(dir);
	return NULL;
}

char *
arch_modules_dir(const struct initrd_arch *a, const char *rootfs,
    const char *kernel, const char *release)
{
	char *first, *usr;
	int n;

	if (rootfs == NULL) {
		if ((usr = beside_kernel(kernel, release, arch_foreign(a))) !=
		    NULL)
			return usr;
		return xasprintf("/lib/modules/%s", release);
	}
	/* "/" and "root/" alike, for tidy messages. */
	for (n = (int)strlen(rootfs); n > 0 && rootfs[n - 1] == '/'; n--)
		;
	first = xasprintf("%.*s/lib/modules/%s", n, rootfs, release);
	if (is_dir(first))
		return first;
	usr = xasprintf("%.*s/usr/lib/modules/%s", n, rootfs, release);
	if (is_dir(usr)) {
		free(first);
		return usr;
	}
	free(usr);
	/* A root of another arch is the one place for its modules. */
	if (arch_foreign(a))
		return first;
	free(first);
	return xasprintf("/lib/modules/%s", release);
}
