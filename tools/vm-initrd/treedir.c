#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buildtree.h"
#include "cache.h"
#include "cachedir.h"
#include "child.h"
#include "deadline.h"
#include "diag.h"
#include "fdio.h"
#include "outfile.h"
#include "treedir.h"
#include "xalloc.h"

#define ENTRY_PREFIX "tree-"

/* One module: the tree's file, and its name below lib/modules/RELEASE. */
struct tmod {
	char *src;
	char *dest;	/* "kernel/" and its path in the tree */
};

/*
 * What a build has made so far, reachable from here when a failure ends
 * the tool (so that a leak checker sees it held, not lost); paths that
 * live for one step are PATH_MAX buffers on the stack.
 */
struct build {
	const char *tree;
	const char *release;
	struct tmod *mods;
	size_t n;
	char *depmod;
	char *cdir;	/* the cache of modules directories */
	char *entry;	/* CDIR/tree-RELEASE-KEY */
	char *moddir;	/* ENTRY/lib/modules/RELEASE */
	char *tmp;	/* the entry being made, removed on failure */
};

static noreturn void
fail(struct build *b, int status, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (b->tmp != NULL)
		cachedir_remove(b->tmp);
	die(status, "%s", msg);
}

/* Formats a path into buf, PATH_MAX bytes, or ends the tool. */
static char *
pathf(struct build *b, char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, PATH_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= PATH_MAX)
		fail(b, EXIT_USAGE, "%.200s...: %s", buf,
		    strerror(ENAMETOOLONG));
	return buf;
}

/*
 * Each module's file in the tree.  A line of the older form,
 * "kernel/fs/9p/9p.ko", names fs/9p/9p.ko, unless the tree has a
 * kernel/fs/9p/9p.ko (its kernel/ directory has modules too).
 */
static void
locate(struct build *b, const struct modorder *mo)
{
	const char *path, *rel;
	char src[PATH_MAX];
	struct stat st;
	size_t i;
	int err;

	b->mods = xreallocarray(NULL, mo->n + 1, sizeof(*b->mods));
	for (i = 0; i < mo->n; i++) {
		rel = path = mo->e[i].path;
		pathf(b, src, "%s/%s", b->tree, path);
		if (stat(src, &st) < 0 && strncmp(path, "kernel/", 7) == 0) {
			if (stat(pathf(b, src, "%s/%s", b->tree, path + 7),
			    &st) == 0)
				rel = path + 7;
			else
				pathf(b, src, "%s/%s", b->tree, path);
		}
		err = stat(src, &st) < 0 ? errno : S_ISDIR(st.st_mode) ?
		    EISDIR : !S_ISREG(st.st_mode) ? EINVAL : 0;
		if (err != 0)
			fail(b, EXIT_USAGE, "%s: %s (named by %s/modules.order:"
			    "%zu): the module is not built; run make modules in "
			    "%s", src, strerror(err), b->tree, mo->e[i].line,
			    b->tree);
		b->mods[b->n].src = xstrdup(src);
		b->mods[b->n++].dest = xasprintf("kernel/%s", rel);
	}
}

/* The first depmod in PATH, /usr/sbin or /sbin (Debian's PATH lacks them). */
static char *
find_depmod(void)
{
	const char *env = getenv("PATH");
	char *dirs, *dir, *save = NULL, *path;

	dirs = xasprintf("%s:/usr/sbin:/sbin", env != NULL ? env : "");
	for (dir = strtok_r(dirs, ":", &save); dir != NULL;
	    dir = strtok_r(NULL, ":", &save)) {
		if (dir[0] != '/')
			continue;
		path = xasprintf("%s/depmod", dir);
		if (access(path, X_OK) == 0) {
			free(dirs);
			return path;
		}
		free(path);
	}
	free(dirs);
	return NULL;
}

static void
describe(struct build *b, struct cache_key *k)
{
	static const char *const lists[] = { "modules.order",
	    "modules.builtin", "modules.builtin.modinfo" };
	char path[PATH_MAX];
	size_t i;

	cache_key_init(k);
	cache_key_line(k, "vm-initrd %s tree-modules %d", VERSION,
	    TREEDIR_FORMAT);
	cache_key_line(k, "tree %s release %s", b->tree, b->release);
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		if (cache_key_file(k, "list", pathf(b, path, "%s/%s", b->tree,
		    lists[i])) < 0)
			cache_key_line(k, "no %s", path);
	}
	if (cache_key_file(k, "depmod", b->depmod) < 0)
		fail(b, EXIT_USAGE, "%s: %s", b->depmod, strerror(errno));
	for (i = 0; i < b->n; i++) {
		cache_key_line(k, "module %s", b->mods[i].dest);
		if (cache_key_file(k, "file", b->mods[i].src) < 0)
			fail(b, EXIT_USAGE, "%s: %s", b->mods[i].src,
			    strerror(errno));
	}
}

/* mkdir -p of path's parent directories, below base (which exists). */
static int
make_parents(char *path, size_t base)
{
	char *p;

	for (p = path + base + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return 0;
}

/* Copies the tree's file name into dir, or writes it empty if absent. */
static void
copy_list(struct build *b, const char *dir, const char *name)
{
	char from[PATH_MAX], to[PATH_MAX], buf[65536];
	int in, out;
	ssize_t n = 0;

	pathf(b, from, "%s/%s", b->tree, name);
	pathf(b, to, "%s/%s", dir, name);
	if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) <
	    0)
		fail(b, EXIT_USAGE, "%s: %s", to, strerror(errno));
	if ((in = open(from, O_RDONLY | O_CLOEXEC)) >= 0) {
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (fd_write_all(out, buf, (size_t)n) < 0) {
				n = -1;
				break;
			}
		close(in);
	} else if (errno != ENOENT)
		n = -1;
	if (n < 0 || close(out) < 0)
		fail(b, EXIT_USAGE, "%s: %s", n < 0 ? from : to,
		    strerror(errno));
}

/* The links, modules.order and the builtin lists, in dir. */
static void
populate(struct build *b, const char *dir)
{
	char path[PATH_MAX];
	FILE *order;
	size_t i;

	for (i = 0; i < b->n; i++) {
		pathf(b, path, "%s/%s", dir, b->mods[i].dest);
		if (make_parents(path, strlen(dir)) < 0 ||
		    (symlink(b->mods[i].src, path) < 0 && errno != EEXIST))
			fail(b, EXIT_USAGE, "%s: %s", path, strerror(errno));
	}
	pathf(b, path, "%s/modules.order", dir);
	if ((order = fopen(path, "wex")) == NULL)
		fail(b, EXIT_USAGE, "%s: %s", path, strerror(errno));
	for (i = 0; i < b->n; i++)
		fprintf(order, "%s\n", b->mods[i].dest);
	if (fclose(order) != 0)
		fail(b, EXIT_USAGE, "%s: %s", path, strerror(errno));
	copy_list(b, dir, "modules.builtin");
	copy_list(b, dir, "modules.builtin.modinfo");
}

/*
 * depmod -b over the entry being made, with no configuration (the host's
 * depmod.d is not the guest's) and with a deadline.  A depmod built to
 * look in /usr/lib/modules finds the same directory through a link.
 */
static void
run_depmod(struct build *b)
{
	char conf[PATH_MAX], usr[PATH_MAX], link[PATH_MAX];
	pid_t pid, parent = getpid();
	int status, fd;

	pathf(b, conf, "%s/depmod.d", b->tmp);
	pathf(b, usr, "%s/usr", b->tmp);
	pathf(b, link, "%s/usr/lib/modules", b->tmp);
	if (mkdir(conf, 0755) < 0 || make_parents(link, strlen(b->tmp)) < 0 ||
	    symlink("../../lib/modules", link) < 0)
		fail(b, EXIT_USAGE, "%s: %s", b->tmp, strerror(errno));
	fflush(NULL);
	if ((pid = fork()) < 0)
		fail(b, EXIT_LOCAL, "fork: %s", strerror(errno));
	if (pid == 0) {
		/* Dies with us, even if we died before the prctl. */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
			_exit(127);
		if ((fd = open("/dev/null", O_RDONLY)) >= 0)
			dup2(fd, STDIN_FILENO);
		/* Our stdout is the archive's path and nothing else. */
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execl(b->depmod, "depmod", "-C", conf, "-b", b->tmp, b->release,
		    (char *)NULL);
		error_errno("%s", b->depmod);
		_exit(127);
	}
	if (child_wait(pid, BUILDTREE_DEPMOD_TIMEOUT_MS, &status) < 0) {
		child_stop(pid, SIGTERM, 2000, NULL);
		fail(b, EXIT_TIMEOUT, "%s -b %s %s: not done within %d s",
		    b->depmod, b->tmp, b->release,
		    BUILDTREE_DEPMOD_TIMEOUT_MS / 1000);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail(b, EXIT_USAGE, "%s -b %s %s failed (%s %d), for the "
		    "modules of build tree %s", b->depmod, b->tmp, b->release,
		    WIFEXITED(status) ? "exit status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		    b->tree);
	rmdir(conf);
	cachedir_remove(usr);
}

/* Makes the entry in a temporary directory and renames it into place. */
static void
make_entry(struct build *b)
{
	char tmp[PATH_MAX], dir[PATH_MAX];

	if (mkdtemp(pathf(b, tmp, "%s/" OUTFILE_TMP_PREFIX "XXXXXX",
	    b->cdir)) == NULL)
		fail(b, EXIT_USAGE, "%s: %s", b->cdir, strerror(errno));
	b->tmp = tmp;
	pathf(b, dir, "%s%s", tmp, b->moddir + strlen(b->entry));
	if (make_parents(dir, strlen(tmp)) < 0 || mkdir(dir, 0755) < 0)
		fail(b, EXIT_USAGE, "%s: %s", dir, strerror(errno));
	populate(b, dir);
	run_depmod(b);
	/* mkdtemp made it 0700; the modules are no secret. */
	if (chmod(b->tmp, 0755) < 0)
		fail(b, EXIT_USAGE, "%s: %s", b->tmp, strerror(errno));
	if (rename(b->tmp, b->entry) < 0) {
		/* A parallel run made it first: theirs is as good. */
		if (errno != EEXIST && errno != ENOTEMPTY)
			fail(b, EXIT_USAGE, "%s: %s", b->entry,
			    strerror(errno));
		cachedir_remove(b->tmp);
	}
	b->tmp = NULL;
}

char *
treedir_get(const char *tree, const char *release, const struct modorder *mo,
    const char *cache_dir, bool verbose)
{
	struct build b = { tree, release, NULL, 0, NULL, NULL, NULL, NULL,
	    NULL };
	char given[PATH_MAX], index[PATH_MAX], why[1024], *moddir;
	int64_t start = monotonic_ns();
	struct cache_key key;
	struct stat st;
	size_t i;

	locate(&b, mo);
	if ((b.depmod = find_depmod()) == NULL)
		fail(&b, EXIT_USAGE, "no depmod in PATH, /usr/sbin or /sbin "
		    "(Debian's kmod has it): needed for the modules of build "
		    "tree %s", tree);
	describe(&b, &key);
	if (cache_dir != NULL)
		pathf(&b, given, "%s/modules", cache_dir);
	if ((b.cdir = cachedir(cache_dir != NULL ? given : NULL, "modules",
	    why, sizeof(why))) == NULL)
		fail(&b, EXIT_USAGE, "%s", why);
	b.entry = xasprintf("%s/" ENTRY_PREFIX "%s-%016" PRIx64, b.cdir,
	    release, key.crc);
	b.moddir = xasprintf("%s/lib/modules/%s", b.entry, release);
	pathf(&b, index, "%s/modules.dep.bin", b.moddir);
	if (stat(index, &st) == 0 && S_ISREG(st.st_mode)) {
		/* Marks it used; in a read-only cache it merely ages. */
		utimensat(AT_FDCWD, b.entry, NULL, 0);
		if (verbose)
			note("build tree %s: %zu modules, cached in %s", tree,
			    b.n, b.entry);
	} else {
		make_entry(&b);
		if (verbose)
			note("build tree %s: %zu modules, linked into %s, "
			    "indexed by %s in %lld ms", tree, b.n, b.entry,
			    b.depmod, (long long)((monotonic_ns() - start) /
			    1000000));
		cachedir_prune_dirs(b.cdir, ENTRY_PREFIX, BUILDTREE_KEEP,
		    BUILDTREE_MAX_AGE_DAYS);
	}
	for (i = 0; i < b.n; i++) {
		free(b.mods[i].src);
		free(b.mods[i].dest);
	}
	moddir = b.moddir;
	free(b.mods);
	free(b.depmod);
	free(b.entry);
	free(b.cdir);
	return moddir;
}
