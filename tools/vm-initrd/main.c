/*
 * vm-initrd: build, and cache, the initramfs that boots a kernel target:
 * the static guest init as /init, plus the kernel modules that kernel
 * needs to reach its root over 9p on virtio and its virtio console.
 *
 * The job: read the release from the kernel image, resolve the modules
 * from that release's modules directory (or its build tree's, made in a
 * cache: buildtree.h), then either find the archive in the cache (keyed
 * by everything its bytes are made of) or write it, all or nothing, and
 * print its path.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "archive.h"
#include "buildtree.h"
#include "cache.h"
#include "cli.h"
#include "deadline.h"
#include "diag.h"
#include "initbin.h"
#include "kversion.h"
#include "modules.h"
#include "readfile.h"
#include "xalloc.h"


/* An Image.gz unpacks to some tens of MB; searching stops at this. */
#define KERNEL_UNPACK_MAX (512 * 1024 * 1024)

/*
 * What the guest needs before it has its root: the PCI transport of
 * every virtio device, the console (and virtio-serial, which the guest
 * agent's port is), and 9p over virtio for the root itself; and, if the
 * kernel has them, virtio-blk for disks (qemu-launch --disk) and
 * virtio-net for its --net, which a kernel other than the host's cannot
 * load from the host's /lib/modules.
 */
static const char *const wanted[] = {
	"virtio_pci", "virtio_console", "9pnet_virtio", "9p", "?virtio_blk",
	"?virtio_net",
};

static const char usage_text[] =
"usage: vm-initrd --kernel PATH [--arch NAME] [--rootfs DIR]\n"
"                 [--modules-dir DIR | --build-tree DIR | --no-modules]\n"
"                 [--init PATH] [--cache-dir DIR] [--no-cache] [-o FILE]\n"
"                 [--verbose]\n";

static const char help_text[] =
"\n"
"Writes an initramfs (an uncompressed newc cpio archive) for the kernel\n"
"image PATH: the static vm-init as /init, the modules for virtio PCI, the\n"
"virtio console and 9p over virtio with their dependencies, and their list\n"
"in /etc/vm-init/modules.  Prints the archive's path: a cache entry, built\n"
"only if missing, or FILE.\n"
"\n"
"  -k, --kernel PATH        bzImage, vmlinux, Image, Image.gz, EFI zboot image\n"
"  -a, --arch NAME          x86_64, aarch64, riscv64 or s390x: the kernel's\n"
"                           (default this machine's: vm-init, else vm-init.NAME)\n"
"  -r, --rootfs DIR         modules from DIR/lib/modules/RELEASE if there\n"
"  -m, --modules-dir DIR    modules directory (default: the build tree's\n"
"                           if PATH lies in one, else /lib/modules/RELEASE)\n"
"      --build-tree DIR     the modules of this kernel build tree\n"
"      --no-modules         no modules: virtio, 9p and the console are built in\n"
"  -i, --init PATH          static init (default: vm-init next to vm-initrd)\n"
"      --cache-dir DIR      cache (default $XDG_CACHE_HOME/vmtest-tools/initrd)\n"
"      --no-cache           build even if the cache has it, and store it\n"
"  -o, --output FILE        write FILE instead, always anew; no cache is used\n"
"  -v, --verbose            say what was found and done, on stderr\n"
"  -h, --help               this help\n"
"  -V, --version            print the version\n"
"\n"
"Exit status: 0 success, 2 usage or any failure (nothing was written),\n"
"71 out of memory or stdout unwritable.\n";

enum {
	OPT_NO_MODULES = 256,
	OPT_CACHE_DIR,
	OPT_NO_CACHE,
	OPT_BUILD_TREE,
};

static const struct option long_options[] = {
	{ "kernel", required_argument, NULL, 'k' },
	{ "arch", required_argument, NULL, 'a' },
	{ "rootfs", required_argument, NULL, 'r' },
	{ "modules-dir", required_argument, NULL, 'm' },
	{ "no-modules", no_argument, NULL, OPT_NO_MODULES },
	{ "build-tree", required_argument, NULL, OPT_BUILD_TREE },
	{ "init", required_argument, NULL, 'i' },
	{ "cache-dir", required_argument, NULL, OPT_CACHE_DIR },
	{ "no-cache", no_argument, NULL, OPT_NO_CACHE },
	{ "output", required_argument, NULL, 'o' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

struct options {
	const char *kernel;
	const struct initrd_arch *arch;
	const char *rootfs;
	const char *modules_dir;
	const char *build_tree;
	bool no_modules;
	const char *init;
	const char *cache_dir;
	bool no_cache;
	const char *output;
	bool verbose;
};

static void
parse_options(int argc, char **argv, struct options *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "k:a:r:m:i:o:vhV", long_options,
	    NULL)) != -1) {
		switch (c) {
		case 'k': o->kernel = optarg; break;
		case 'a':
			if ((o->arch = arch_find(optarg)) == NULL)
				die(EXIT_USAGE, "--arch %s: not x86_64, aarch64, "
				    "riscv64 or s390x", optarg);
			break;
		case 'r': o->rootfs = optarg; break;
		case 'm': o->modules_dir = optarg; break;
		case OPT_NO_MODULES: o->no_modules = true; break;
		case OPT_BUILD_TREE: o->build_tree = optarg; break;
		case 'i': o->init = optarg; break;
		case OPT_CACHE_DIR: o->cache_dir = optarg; break;
		case OPT_NO_CACHE: o->no_cache = true; break;
		case 'o': o->output = optarg; break;
		case 'v': o->verbose = true; break;
		case 'h':
			fputs(usage_text, stdout);
			fputs(help_text, stdout);
			exit(EXIT_OK);
		case 'V':
			printf("vm-initrd (vmtest-tools) %s\n", VERSION);
			exit(EXIT_OK);
		default:
			cli_usage(usage_text);
		}
	}
	if (optind < argc)
		die(EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
	if (o->kernel == NULL)
		die(EXIT_USAGE, "--kernel is required (the kernel image)");
	if (o->arch == NULL && (o->arch = arch_find(NULL)) == NULL)
		die(EXIT_USAGE, "--arch is required: no vm-init is built for "
		    "the machine vm-initrd runs on");
	if ((o->modules_dir != NULL) + o->no_modules + (o->build_tree !=
	    NULL) > 1)
		die(EXIT_USAGE, "--modules-dir, --build-tree and --no-modules "
		    "exclude each other");
	if (o->output != NULL && o->cache_dir != NULL)
		die(EXIT_USAGE, "--cache-dir does not go with -o, which uses "
		    "no cache");
	if ((o->kernel[0] == '\0') || (o->rootfs != NULL &&
	    o->rootfs[0] == '\0') || (o->modules_dir != NULL &&
	    o->modules_dir[0] == '\0') || (o->build_tree != NULL &&
	    o->build_tree[0] == '\0') || (o->init != NULL &&
	    o->init[0] == '\0') || (o->cache_dir != NULL &&
	    o->cache_dir[0] == '\0') || (o->output != NULL &&
	    o->output[0] == '\0'))
		die(EXIT_USAGE, "empty path argument");
}

static void
read_release(const char *kernel, char *release)
{
	const unsigned char *img;
	size_t len;
	char why[512];
	int rc;

	if (map_whole(kernel, &img, &len) < 0)
		die_errno(EXIT_USAGE, "%s", kernel);
	rc = kversion_read(img, len, KERNEL_UNPACK_MAX, release, why,
	    sizeof(why));
	unmap_whole(img, len);
	if (rc < 0)
		die(EXIT_USAGE, "%s: cannot read the kernel release: %s",
		    kernel, why);
}

static void
resolve_modules(const struct options *o, const char *release,
    struct module_set *set)
{
	char *dir = NULL, why[1024];
	const char **want;
	size_t n, i;
	int rc;

	if (o->modules_dir != NULL)
		dir = xstrdup(o->modules_dir);
	else if (!o->no_modules && !buildtree_modules(o->kernel, release,
	    o->build_tree, o->cache_dir, o->verbose, &dir))
		dir = arch_modules_dir(o->arch, o->rootfs, o->kernel,
		    release);
	if (dir == NULL) {	/* --no-modules, or a tree's kernel without */
		memset(set, 0, sizeof(*set));
		return;
	}
	/* "dir/" and "dir" alike, for tidy messages. */
	for (n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
		dir[n - 1] = '\0';
	n = sizeof(wanted) / sizeof(wanted[0]);
	want = arch_wanted(o->arch, wanted, n);
	rc = modules_resolve(dir, release, want, n, set, why, sizeof(why));
	free(want);
	if (rc < 0) {
		if (o->modules_dir == NULL && strstr(why, "(the modules of"))
			die(EXIT_USAGE, "%s; give --modules-dir, or "
			    "--no-modules for a kernel with virtio, 9p and the "
			    "virtio console built in", why);
		die(EXIT_USAGE, "%s", why);
	}
	if (o->verbose) {
		note("modules from %s: %zu", dir, set->n);
		for (i = 0; i < set->n; i++)
			note("  %s", set->mods[i].dest);
		for (i = 0; i < set->nbuiltin; i++)
			note("  %s is built in", set->builtin[i]);
	}
	free(dir);
}

int
main(int argc, char **argv)
{
	struct options o;
	char release[KVERSION_MAX + 1], why[1024], *dir = NULL, *entry;
	struct module_set set;
	struct init_bin init;
	struct cache_key key;
	int64_t start = monotonic_ns();

	diag_init(argv[0]);
	parse_options(argc, argv, &o);
	read_release(o.kernel, release);
	if (o.verbose)
		note("kernel %s: release %s", o.kernel, release);
	resolve_modules(&o, release, &set);
	if (arch_load_init(o.arch, o.init, &init, why, sizeof(why)) < 0)
		die(EXIT_USAGE, "%s", why);

	if (o.output != NULL)
		entry = xstrdup(o.output);
	else {
		if ((dir = cache_dir(o.cache_dir, why, sizeof(why))) == NULL)
			die(EXIT_USAGE, "%s", why);
		archive_key(&key, release, &init, &set);
		entry = cache_entry(dir, release, &key);
	}

	if (o.output == NULL && !o.no_cache && cache_hit(entry)) {
		if (o.verbose)
			note("cached: %s", entry);
	} else {
		if (archive_save(entry, &init, &set, why, sizeof(why)) < 0)
			die(EXIT_USAGE, "%s", why);
		if (o.verbose)
			note("built %s in %lld ms", entry, (long long)
			    ((monotonic_ns() - start) / 1000000));
		if (dir != NULL)
			cache_prune(dir);
	}
	if (printf("%s\n", entry) < 0 || fflush(stdout) != 0)
		die_errno(EXIT_LOCAL, "stdout");

	free(entry);
	free(dir);
	init_free(&init);
	modules_free(&set);
	return EXIT_OK;
}
