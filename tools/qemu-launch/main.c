/*
 * qemu-launch: turn a target (flags, or a section of an INI file) into a
 * QEMU command line and run it: detached, or in the foreground.
 *
 * The job: read the target and check all of it before anything starts;
 * choose KVM or TCG; find the initrd of a kernel target; make a private
 * run directory; start QEMU there; once its sockets answer, print one
 * JSON line saying where they are; then leave QEMU running (--detach) or
 * wait for it, and remove what the run made.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accel.h"
#include "argv.h"
#include "cli.h"
#include "config.h"
#include "diag.h"
#include "disk.h"
#include "initrd.h"
#include "jsonl.h"
#include "launch.h"
#include "parse.h"
#include "target.h"

static const char usage_text[] =
"usage: qemu-launch [--config FILE --target NAME] [--kernel FILE | --image FILE]\n"
"                   [--uefi] [--bios FILE] [--kernel-args ARGS] [--initrd FILE]\n"
"                   [--rootfs DIR] [--share DIR] [--mount HOST:GUEST[:rw] ...]\n"
"                   [--arch ARCH] [--qemu-command CMD] [--num-cpus N]\n"
"                   [--memory SIZE] [--extra-arg ARG ...] [--kvm-cpu-args ARGS]\n"
"                   [--disk RULES|none [--disk-backend BACKEND] [--disk-size SIZE]\n"
"                   [--disk-cache durable|volatile[:MAX]]]\n"
"                   [--accel auto|kvm|tcg] [--rundir DIR] [--keep-rundir]\n"
"                   [--start-timeout DURATION] [--detach | --interactive]\n"
"                   [--print-argv [--shell]]\n"
"       qemu-launch --config FILE --list\n";

static const char help_text[] =
"\n"
"Builds the QEMU command line for a target and runs it in a private run\n"
"directory; prints one JSON line (pid, rundir, sockets, accel, argv) once\n"
"QEMU's sockets answer.\n"
"\n"
"  -c, --config FILE        read targets from an INI file ([target NAME] sections)\n"
"  -t, --target NAME        the target of --config to launch\n"
"  -l, --list               print every target of --config as a JSON line\n"
"  -k, --kernel FILE        boot this kernel with the host's root over 9p\n"
"  -i, --image FILE         boot this disk image\n"
"      --uefi               boot the image with UEFI firmware\n"
"      --bios FILE          the UEFI firmware (default: found)\n"
"      --kernel-args ARGS   more kernel command line\n"
"      --initrd FILE        the initrd (default: vm-initrd --kernel FILE)\n"
"  -r, --rootfs DIR         the guest's root for a kernel (default /)\n"
"      --share DIR          shared as vmtest-shared (default: the config's dir or .)\n"
"      --mount HOST:GUEST[:rw]  one more 9p share (read-only unless :rw)\n"
"  -a, --arch ARCH          x86_64, aarch64, riscv64 or s390x (default: this host's)\n"
"  -q, --qemu-command CMD   the QEMU binary (default qemu-system-ARCH)\n"
"      --num-cpus N         -smp (default 2)\n"
"      --memory SIZE        -m (default 4G)\n"
"      --extra-arg ARG      one more QEMU argument, last (repeatable)\n"
"      --kvm-cpu-args ARGS  -cpu under KVM (default host)\n"
"      --disk RULES|none    one more disk: nbd-fault serving it with RULES\n"
"      --disk-backend BACKEND  memory (default), zero, pattern or file:PATH\n"
"      --disk-size SIZE     the disk's size (default 1G)\n"
"      --disk-cache MODE    durable (default), or volatile[:MAX]: only what\n"
"                           the guest flushes reaches the backend\n"
"      --accel MODE         auto (KVM if it really works), kvm or tcg (default auto)\n"
"      --rundir DIR         the run directory (an empty or new one)\n"
"      --keep-rundir        do not remove the run directory at the end\n"
"      --start-timeout DURATION  for QEMU's sockets to answer (default 10s)\n"
"  -d, --detach             leave QEMU running and exit 0 once it is ready\n"
"      --interactive        the guest's console on this terminal\n"
"      --print-argv         print the command line as a JSON array; start nothing\n"
"      --shell              with --print-argv: one shell-quoted line instead\n"
"      --json               JSON output (the default)\n"
"  -h, --help               this help\n"
"  -V, --version            print the version\n"
"\n"
"Exit status: 0 QEMU ready (--detach) or ended with 0; 2 usage or config error;\n"
"69 QEMU could not start or died; 124 QEMU did not answer in time.\n";

enum {
	OPT_UEFI = 256,
	OPT_BIOS,
	OPT_KERNEL_ARGS,
	OPT_INITRD,
	OPT_SHARE,
	OPT_MOUNT,
	OPT_NUM_CPUS,
	OPT_MEMORY,
	OPT_EXTRA_ARG,
	OPT_KVM_CPU_ARGS,
	OPT_ACCEL,
	OPT_RUNDIR,
	OPT_KEEP_RUNDIR,
	OPT_START_TIMEOUT,
	OPT_INTERACTIVE,
	OPT_PRINT_ARGV,
	OPT_SHELL,
	OPT_JSON,
	OPT_DISK,
	OPT_DISK_BACKEND,
	OPT_DISK_SIZE,
	OPT_DISK_CACHE,
};

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "target", required_argument, NULL, 't' },
	{ "list", no_argument, NULL, 'l' },
	{ "kernel", required_argument, NULL, 'k' },
	{ "image", required_argument, NULL, 'i' },
	{ "uefi", no_argument, NULL, OPT_UEFI },
	{ "bios", required_argument, NULL, OPT_BIOS },
	{ "kernel-args", required_argument, NULL, OPT_KERNEL_ARGS },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "rootfs", required_argument, NULL, 'r' },
	{ "share", required_argument, NULL, OPT_SHARE },
	{ "mount", required_argument, NULL, OPT_MOUNT },
	{ "arch", required_argument, NULL, 'a' },
	{ "qemu-command", required_argument, NULL, 'q' },
	{ "num-cpus", required_argument, NULL, OPT_NUM_CPUS },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "extra-arg", required_argument, NULL, OPT_EXTRA_ARG },
	{ "kvm-cpu-args", required_argument, NULL, OPT_KVM_CPU_ARGS },
	{ "accel", required_argument, NULL, OPT_ACCEL },
	{ "rundir", required_argument, NULL, OPT_RUNDIR },
	{ "keep-rundir", no_argument, NULL, OPT_KEEP_RUNDIR },
	{ "start-timeout", required_argument, NULL, OPT_START_TIMEOUT },
	{ "detach", no_argument, NULL, 'd' },
	{ "interactive", no_argument, NULL, OPT_INTERACTIVE },
	{ "print-argv", no_argument, NULL, OPT_PRINT_ARGV },
	{ "shell", no_argument, NULL, OPT_SHELL },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "disk-backend", required_argument, NULL, OPT_DISK_BACKEND },
	{ "disk-size", required_argument, NULL, OPT_DISK_SIZE },
	{ "disk-cache", required_argument, NULL, OPT_DISK_CACHE },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

struct options {
	const char *config, *target;
	bool list, keep, print_argv, shell;
	enum accel_mode accel;
	struct target flags;	/* the target settings given as flags */
	bool any_flag;
	struct launch launch;
	pid_t disk_pid;		/* nbd-fault serving the disk, or 0 */
};

/* The target setting of a flag. */
static void
flag(struct options *o, enum key k, const char *value)
{
	target_set(&o->flags, k, value, (struct origin){ NULL, 0,
	    key_flag(k) });
	o->any_flag = true;
}

static void
parse_options(int argc, char **argv, struct options *o)
{
	char cwd[PATH_MAX];
	int c;

	memset(o, 0, sizeof(*o));
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		die(EXIT_USAGE, "the working directory: %s", strerror(errno));
	target_init(&o->flags, "", cwd);
	o->launch.start_timeout_ms = 10000;
	while ((c = getopt_long(argc, argv, "c:t:lk:i:r:a:q:dhV", long_options,
	    NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 't': o->target = optarg; break;
		case 'l': o->list = true; break;
		case 'k': flag(o, KEY_KERNEL, optarg); break;
		case 'i': flag(o, KEY_IMAGE, optarg); break;
		case OPT_UEFI: flag(o, KEY_UEFI, "true"); break;
		case OPT_BIOS: flag(o, KEY_BIOS, optarg); break;
		case OPT_KERNEL_ARGS: flag(o, KEY_KERNEL_ARGS, optarg); break;
		case OPT_INITRD: flag(o, KEY_INITRD, optarg); break;
		case 'r': flag(o, KEY_ROOTFS, optarg); break;
		case OPT_SHARE: flag(o, KEY_SHARE, optarg); break;
		case OPT_MOUNT: flag(o, KEY_MOUNTS, optarg); break;
		case OPT_DISK: flag(o, KEY_DISK, optarg); break;
		case OPT_DISK_BACKEND: flag(o, KEY_DISK_BACKEND, optarg); break;
		case OPT_DISK_SIZE: flag(o, KEY_DISK_SIZE, optarg); break;
		case OPT_DISK_CACHE: flag(o, KEY_DISK_CACHE, optarg); break;
		case 'a': flag(o, KEY_ARCH, optarg); break;
		case 'q': flag(o, KEY_QEMU_COMMAND, optarg); break;
		case OPT_NUM_CPUS: flag(o, KEY_NUM_CPUS, optarg); break;
		case OPT_MEMORY: flag(o, KEY_MEMORY, optarg); break;
		case OPT_EXTRA_ARG: flag(o, KEY_EXTRA_ARGS, optarg); break;
		case OPT_KVM_CPU_ARGS: flag(o, KEY_KVM_CPU_ARGS, optarg); break;
		case OPT_ACCEL:
			if (strcmp(optarg, "auto") == 0)
				o->accel = ACCEL_AUTO;
			else if (strcmp(optarg, "kvm") == 0)
				o->accel = ACCEL_ONLY_KVM;
			else if (strcmp(optarg, "tcg") == 0)
				o->accel = ACCEL_ONLY_TCG;
			else
				die(EXIT_USAGE, "--accel: '%s' is not auto, kvm "
				    "or tcg", optarg);
			break;
		case OPT_RUNDIR: o->launch.rundir_arg = optarg; break;
		case OPT_KEEP_RUNDIR: o->keep = true; break;
		case OPT_START_TIMEOUT:
			o->launch.start_timeout_ms = cli_duration(
			    "--start-timeout", optarg);
			break;
		case 'd': o->launch.detach = true; break;
		case OPT_INTERACTIVE: o->launch.interactive = true; break;
		case OPT_PRINT_ARGV: o->print_argv = true; break;
		case OPT_SHELL: o->shell = true; break;
		case OPT_JSON: break;
		case 'h':
			fputs(usage_text, stdout);
			fputs(help_text, stdout);
			exit(EXIT_OK);
		case 'V':
			printf("qemu-launch (vmtest-tools) %s\n", VERSION);
			exit(EXIT_OK);
		default:
			cli_usage(usage_text);
		}
	}
	if (optind < argc)
		die(EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
	if (o->list && (o->config == NULL || o->target != NULL ||
	    o->any_flag || o->print_argv))
		die(EXIT_USAGE, "--list takes --config FILE and nothing else");
	if (o->target != NULL && o->config == NULL)
		die(EXIT_USAGE, "--target needs --config FILE");
	if (o->shell && !o->print_argv)
		die(EXIT_USAGE, "--shell goes with --print-argv");
	if (o->launch.detach && o->launch.interactive)
		die(EXIT_USAGE, "--detach and --interactive cannot be mixed");
	if (o->launch.start_timeout_ms == 0)
		o->launch.start_timeout_ms = -1;
}

static void
print_json(const json_t *value)
{
	if (jsonl_write(stdout, value, false) < 0)
		die(EXIT_UNREACHABLE, "stdout: %s", strerror(errno));
}

/* --list: every target, checked, one JSON line each. */
static int
list_targets(const char *path, struct config *c)
{
	int errors;
	size_t i;
	json_t *j;

	errors = config_read(c, path);
	for (i = 0; i < c->n; i++)
		errors += target_resolve(&c->targets[i]);
	if (errors == 0 && c->n == 0) {
		error_msg("%s: no [target NAME] section", path);
		errors++;
	}
	if (errors > 0)
		return EXIT_USAGE;
	for (i = 0; i < c->n; i++) {
		j = target_json(&c->targets[i]);
		print_json(j);
		json_decref(j);
	}
	return EXIT_OK;
}

/* The target to launch, resolved; exits 2 on any problem. */
static void
load_target(struct options *o, struct config *c, struct target *t)
{
	struct target *found;
	const char *img;
	size_t i;
	int errors = 0;

	memset(c, 0, sizeof(*c));
	if (o->config != NULL) {
		if (config_read(c, o->config) > 0)
			exit(EXIT_USAGE);
		if (o->target == NULL && c->n == 1)
			found = &c->targets[0];
		else if (o->target == NULL)
			die(EXIT_USAGE, "%s: %zu targets: which one? (--target "
			    "NAME)", o->config, c->n);
		else if ((found = config_find(c, o->target)) == NULL) {
			error_msg("%s: no target %s; there are:", o->config,
			    o->target);
			for (i = 0; i < c->n; i++)
				note("  %s", c->targets[i].name);
			exit(EXIT_USAGE);
		}
		*t = *found;
		memset(found, 0, sizeof(*found));
		target_overlay(t, &o->flags);
	} else {
		/* vmtest's one-liner: named after the kernel or image. */
		img = o->flags.set[KEY_KERNEL].value != NULL ?
		    o->flags.set[KEY_KERNEL].value :
		    o->flags.set[KEY_IMAGE].value;
		if (img != NULL && strrchr(img, '/') != NULL)
			img = strrchr(img, '/') + 1;
		target_init(t, img != NULL && *img != '\0' ? img : "target",
		    o->flags.base);
		t->at.flag = "--kernel or --image";
		target_overlay(t, &o->flags);
	}
	errors = target_resolve(t);
	if (errors > 0)
		exit(EXIT_USAGE);
}

static int
print_argv(const struct options *o, const struct target *t, struct plan *p)
{
	struct strv argv;
	char *rundir, *line;
	json_t *j;

	rundir = launch_rundir_preview(o->launch.rundir_arg);
	p->rundir = rundir;
	argv_build(t, p, &argv);
	if (o->shell) {
		line = argv_shell(&argv);
		if (printf("%s\n", line) < 0 || fflush(stdout) != 0)
			die(EXIT_UNREACHABLE, "stdout: %s", strerror(errno));
		free(line);
	} else {
		j = argv_json(&argv);
		print_json(j);
		json_decref(j);
	}
	strv_free(&argv);
	free(rundir);
	return EXIT_OK;
}

/* The one line: where everything is.  False if nobody can read it. */
static bool
announce(const struct launch *l, const struct target *t,
    const struct plan *p, const struct strv *argv, pid_t disk_pid)
{
	json_t *o = json_object(), *disk;
	char *path;
	bool ok;

	json_object_set_new(o, "pid", json_integer(l->pid));
	json_object_set_new(o, "name", json_string(t->name));
	json_object_set_new(o, "rundir", json_string(l->rundir));
	if (asprintf(&path, "%s/%s", l->rundir, RUN_QMP) >= 0)
		json_object_set_new(o, "qmp", json_string(path));
	free(path);
	if (asprintf(&path, "%s/%s", l->rundir, RUN_QGA) >= 0)
		json_object_set_new(o, "qga", json_string(path));
	free(path);
	if (p->interactive)
		json_object_set_new(o, "serial", json_null());
	else if (asprintf(&path, "%s/%s", l->rundir, RUN_SERIAL) >= 0) {
		json_object_set_new(o, "serial", json_string(path));
		free(path);
	}
	json_object_set_new(o, "accel", json_string(p->accel == ACCEL_KVM ?
	    "kvm" : "tcg"));
	json_object_set_new(o, "arch", json_string(arch_table[t->arch].name));
	if (disk_pid > 0) {
		disk = json_object();
		json_object_set_new(disk, "pid", json_integer(disk_pid));
		if (asprintf(&path, "%s/%s", l->rundir, RUN_NBD) >= 0) {
			json_object_set_new(disk, "socket", json_string(path));
			free(path);
		}
		if (asprintf(&path, "%s/%s", l->rundir, RUN_NBD_LOG) >= 0) {
			json_object_set_new(disk, "log", json_string(path));
			free(path);
		}
		json_object_set_new(o, "disk", disk);
	} else
		json_object_set_new(o, "disk", json_null());
	json_object_set_new(o, "argv", argv_json(argv));
	ok = jsonl_write(stdout, o, false) == 0;
	json_decref(o);
	return ok;
}

/*
 * panic=-1 and -no-reboot end QEMU with status 0 when the guest kernel
 * panics, as when it powers off: the serial log tells them apart.
 */
static bool
guest_panicked(const struct launch *l, char *line, size_t size)
{
	char *path;
	FILE *f;
	bool found = false;

	if (asprintf(&path, "%s/%s", l->rundir, RUN_SERIAL) < 0)
		return false;
	f = fopen(path, "re");
	free(path);
	if (f == NULL)
		return false;
	while (!found && fgets(line, (int)size, f) != NULL)
		found = strstr(line, "Kernel panic - not syncing") != NULL;
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	return found;
}

static int
foreground(struct options *o)
{
	struct launch *l = &o->launch;
	char line[512];
	int status;

	status = launch_wait(l);
	if (l->signal != 0)
		return 128 + l->signal;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if (!l->interactive && guest_panicked(l, line, sizeof(line))) {
			error_msg("the guest kernel panicked: %s", line);
			return EXIT_UNREACHABLE;
		}
		return EXIT_OK;
	}
	launch_show_errors(l);
	if (WIFSIGNALED(status))
		error_msg("QEMU was killed by signal %d", WTERMSIG(status));
	else
		error_msg("QEMU exited with status %d", WEXITSTATUS(status));
	return EXIT_UNREACHABLE;
}

/*
 * Starts QEMU.  If it dies under a KVM that auto chose, it starts again
 * under TCG, and only if TCG does better is KVM to blame: a bad kernel
 * dies under both and is reported as such, without a word about KVM.
 */
static int
start(struct options *o, const struct target *t, struct plan *p,
    struct strv *argv)
{
	struct launch *l = &o->launch;
	char kvm_error[512], limit[32];
	bool retried = false;
	int status;

	for (;;) {
		argv_build(t, p, argv);
		/* QEMU connects to the disk as it starts: the server first. */
		if (t->has_disk &&
		    (o->disk_pid = disk_start(t, l->rundir)) < 0) {
			o->disk_pid = 0;
			return EXIT_UNREACHABLE;
		}
		switch (launch_start(l, argv)) {
		case START_READY:
			if (retried)
				note("kvm does not work here (QEMU under KVM: "
				    "%s); using tcg", *kvm_error ? kvm_error :
				    "it died");
			return EXIT_OK;
		case START_FAILED:
			return EXIT_UNREACHABLE;
		case START_SIGNAL:
			return 128 + l->signal;
		case START_TIMEOUT:
			launch_show_errors(l);
			error_msg("QEMU did not answer on %s/%s within %s",
			    l->rundir, RUN_QMP, format_duration_ms(
			    l->start_timeout_ms, limit, sizeof(limit)));
			return EXIT_TIMEOUT;
		case START_DIED:
			break;
		}
		/* It served its one connection: a new QEMU needs a new one. */
		disk_stop(o->disk_pid);
		o->disk_pid = 0;
		if (p->accel == ACCEL_KVM && o->accel == ACCEL_AUTO) {
			launch_first_error(l, kvm_error, sizeof(kvm_error));
			p->accel = ACCEL_TCG;
			retried = true;
			launch_reset(l);
			strv_free(argv);
			continue;
		}
		launch_show_errors(l);
		status = l->status;
		if (WIFSIGNALED(status))
			error_msg("QEMU was killed by signal %d while starting",
			    WTERMSIG(status));
		else
			error_msg("QEMU exited with status %d while starting",
			    WEXITSTATUS(status));
		return EXIT_UNREACHABLE;
	}
}

int
main(int argc, char **argv)
{
	/* Static: what they hold stays reachable when die() exits early. */
	static struct options o;
	static struct config c;
	static struct target t;
	struct plan p;
	struct strv qemu_argv;
	char *initrd = NULL;
	int rc;

	diag_init(argv[0]);
	parse_options(argc, argv, &o);
	if (o.list) {
		rc = list_targets(o.config, &c);
		config_free(&c);
		target_free(&o.flags);
		return rc;
	}
	if (o.config == NULL && o.flags.set[KEY_KERNEL].value == NULL &&
	    o.flags.set[KEY_IMAGE].value == NULL)
		cli_usage(usage_text);
	load_target(&o, &c, &t);

	memset(&p, 0, sizeof(p));
	p.interactive = o.launch.interactive;
	p.accel = accel_choose(o.accel, t.arch, !o.print_argv);
	if (t.is_kernel)
		p.initrd = t.initrd != NULL ? t.initrd : o.print_argv ? NULL :
		    (initrd = initrd_build(t.kernel));
	if (o.print_argv)
		return print_argv(&o, &t, &p);

	launch_block_signals();
	if (launch_rundir(&o.launch) < 0)
		return EXIT_USAGE;
	p.rundir = o.launch.rundir;
	rc = start(&o, &t, &p, &qemu_argv);
	if (rc == EXIT_OK && !announce(&o.launch, &t, &p, &qemu_argv,
	    o.disk_pid)) {
		error_msg("stdout: %s; stopping QEMU", strerror(errno));
		rc = EXIT_UNREACHABLE;
	}
	if (rc == EXIT_OK && o.launch.detach) {
		/* QEMU is the caller's now, and so is the disk's server. */
		o.launch.pid = 0;
		free(o.launch.rundir);
	} else {
		if (rc == EXIT_OK)
			rc = foreground(&o);
		/* QEMU is gone; the server ends with its connection, or now. */
		launch_stop(&o.launch);
		disk_stop(o.disk_pid);
		if (o.keep) {
			/* Stop QEMU, but leave its directory for a look. */
			free(o.launch.rundir);
			o.launch.rundir = NULL;
		}
		launch_cleanup(&o.launch);
	}
	strv_free(&qemu_argv);
	free(initrd);
	target_free(&t);
	target_free(&o.flags);
	config_free(&c);
	return rc;
}
