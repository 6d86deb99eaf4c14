/*
 * gdb: the gdbstub's checks and the line that says how to attach.
 *
 * The symbol file gdb wants is the kernel's vmlinux with its symbols.  A
 * bzImage's payload (what kernel.c unpacks and QEMU boots) is stripped
 * by the kernel's build, so it is never that file: the hint names the
 * kernel given if it is an ELF, else a vmlinux where builds and
 * distributions leave one, else says what to look for.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "argv.h"
#include "diag.h"
#include "gdb.h"
#include "launch.h"
#include "xalloc.h"

bool
gdb_kaslr_said(const char *args)
{
	const char *w;
	size_t n;

	for (w = args; w != NULL && *w != '\0'; w += n) {
		w += strspn(w, " \t\n");
		n = strcspn(w, " \t\n");
		if (memmem(w, n, "kaslr", 5) != NULL)
			return true;
	}
	return false;
}

int
gdb_check_extra(const struct target *t, size_t first,
    const struct origin *at)
{
	static const char *const stubs[] = { "-gdb", "--gdb", "-s", "--s",
	    NULL };
	char where[PATH_MAX + 32];
	size_t i, j;

	if (!t->gdb)
		return 0;
	for (i = first; i < t->nextra_args; i++)
		for (j = 0; stubs[j] != NULL; j++)
			if (strcmp(t->extra_args[i], stubs[j]) == 0) {
				error_msg("%s: extra_args: '%s' is a gdbstub of "
				    "its own, and QEMU keeps only one: gdb = true "
				    "(--gdb) opens it on the run's %s", origin_text(
				    at, where, sizeof(where)), stubs[j], RUN_GDB);
				return 1;
			}
	return 0;
}

static bool
is_elf(const char *path)
{
	unsigned char magic[4];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	n = read(fd, magic, sizeof(magic));
	close(fd);
	return n == 4 && memcmp(magic, "\177ELF", 4) == 0;
}

/* The release in a /boot name, vmlinuz-RELEASE, or NULL. */
static const char *
release_of(const char *kernel)
{
	const char *base = strrchr(kernel, '/');

	base = base != NULL ? base + 1 : kernel;
	if (strncmp(base, "vmlinuz-", 8) != 0 || base[8] == '\0')
		return NULL;
	return base + 8;
}

/*
 * A vmlinux for the kernel given, malloc'd, or NULL: the kernel itself if
 * it is an ELF; beside arch/ARCH/boot/IMAGE, the build tree's; for
 * /boot/vmlinuz-RELEASE, a debug package's or an installed build's.
 */
static char *
find_vmlinux(const char *kernel)
{
	const char *rel = release_of(kernel), *arch = NULL, *p;
	char *c[4] = { NULL };
	char *found = NULL;
	size_t i;

	if (is_elf(kernel))
		return xstrdup(kernel);
	for (p = kernel; (p = strstr(p, "/arch/")) != NULL; p++)
		arch = p;
	/* ".../arch/ARCH/boot/IMAGE": two slashes, "/boot/", none after. */
	if (arch != NULL && (p = strchr(arch + 6, '/')) != NULL &&
	    strncmp(p, "/boot/", 6) == 0 && strchr(p + 6, '/') == NULL)
		c[0] = xasprintf("%.*s/vmlinux", (int)(arch - kernel), kernel);
	if (rel != NULL) {
		c[1] = xasprintf("/usr/lib/debug/boot/vmlinux-%s", rel);
		c[2] = xasprintf("/usr/lib/debug/lib/modules/%s/vmlinux", rel);
		c[3] = xasprintf("/lib/modules/%s/build/vmlinux", rel);
	}
	for (i = 0; i < 4; i++) {
		if (found == NULL && c[i] != NULL && is_elf(c[i]))
			found = c[i];
		else
			free(c[i]);
	}
	return found;
}

void
gdb_hint(const struct target *t, const char *rundir)
{
	char *sock = run_path(rundir, RUN_GDB), *remote, *vmlinux = NULL,
	    *line;
	char *words[5];
	struct strv cmd = { words, 0, 0, 0 };
	const char *rel;

	remote = xasprintf("target remote %s", sock);
	/* Debian's gdb reads this machine's arch only. */
	words[cmd.n++] = t->arch == arch_host() ? "gdb" : "gdb-multiarch";
	words[cmd.n++] = "-ex";
	words[cmd.n++] = remote;
	if (t->is_kernel) {
		vmlinux = find_vmlinux(t->kernel);
		words[cmd.n++] = vmlinux != NULL ? vmlinux : "vmlinux";
	}
	words[cmd.n] = NULL;
	line = argv_shell(&cmd);
	note("gdb: attach with: %s", line);
	if (t->is_kernel && vmlinux == NULL && (rel = release_of(t->kernel)) !=
	    NULL)
		note("gdb: for vmlinux, name the ELF with the kernel's symbols "
		    "(%s has none): the vmlinux of its build tree, or "
		    "/usr/lib/debug/boot/vmlinux-%s from Debian's "
		    "linux-image-%s-dbg", t->kernel, rel, rel);
	else if (t->is_kernel && vmlinux == NULL)
		note("gdb: for vmlinux, name the ELF with the kernel's symbols "
		    "(%s has none): the vmlinux of its build tree", t->kernel);
	free(line);
	free(remote);
	free(vmlinux);
	free(sock);
}
