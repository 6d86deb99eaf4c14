/*
 * options: qemu-launch's command line, into the target settings given as
 * flags and the choices of how to run.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "diag.h"
#include "options.h"

static const char usage_text[] =
"usage: qemu-launch [--config FILE --target NAME] [--kernel FILE | --image FILE]\n"
"                   [--uefi] [--bios FILE] [--kernel-args ARGS] [--initrd FILE]\n"
"                   [--rootfs DIR] [--share DIR] [--mount HOST:GUEST[:rw] ...]\n"
"                   [--share-cwd] [--gdb]\n"
"                   [--arch ARCH] [--qemu-command CMD] [--num-cpus N]\n"
"                   [--memory SIZE] [--extra-arg ARG ...] [--kvm-cpu-args ARGS]\n"
"                   [--disk RULES|none [--disk-backend BACKEND] [--disk-size SIZE]\n"
"                   [--disk-cache durable|volatile[:MAX]]] [--net]\n"
"                   [--accel auto|kvm|tcg] [--rundir DIR] [--keep-rundir]\n"
"                   [--start-timeout DURATION] [--report FILE] [--no-snapshot]\n"
"                   [--detach | --interactive | --run -- COMMAND [ARG ...]]\n"
"       qemu-launch ... --print-argv [--shell]\n"
"       qemu-launch --config FILE --list [--filter REGEX]\n"
"       qemu-launch --snapshots | --clear-snapshots\n";

static const char help_text[] =
"\n"
"Builds the QEMU command line for a target and runs it in a private run\n"
"directory; prints one JSON line (pid, rundir, sockets, accel, argv) once\n"
"QEMU's sockets answer.\n"
"\n"
"  -c, --config FILE        read targets from an INI file ([target NAME] sections),\n"
"                           or from vmtest's vmtest.toml if FILE ends in .toml\n"
"  -t, --target NAME        the target of --config to launch\n"
"  -l, --list               print every target of --config as a JSON line\n"
"      --filter REGEX       with --list: only targets whose name it matches (ERE)\n"
"  -k, --kernel FILE        boot this kernel with the host's root over 9p\n"
"  -i, --image FILE         boot this disk image\n"
"      --uefi               boot the image with UEFI firmware\n"
"      --bios FILE          the UEFI firmware (default: found)\n"
"      --kernel-args ARGS   more kernel command line\n"
"      --initrd FILE        the initrd (default: vm-initrd --kernel FILE)\n"
"  -r, --rootfs DIR         the guest's root for a kernel (default /)\n"
"      --share DIR          shared as vmtest-shared (default: the config's dir or .)\n"
"      --mount HOST:GUEST[:rw]  one more 9p share (read-only unless :rw)\n"
"      --share-cwd          the current directory at its own path in a guest\n"
"                           with the host's root, where it would not show\n"
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
"      --net                user-mode networking: the guest reaches the host's\n"
"                           loopback at 10.0.2.2 (and, through it, the world)\n"
"      --accel MODE         auto (KVM if it really works), kvm or tcg (default auto)\n"
"      --rundir DIR         the run directory (an empty or new one)\n"
"      --keep-rundir        do not remove the run directory at the end\n"
"      --start-timeout DURATION  for QEMU's sockets to answer (default 10s)\n"
"      --report FILE        the JSON line there, and one more saying how it ended\n"
"      --no-snapshot        boot cold, and save no snapshot (kernel targets)\n"
"      --gdb                QEMU's gdbstub on the run's gdb.sock; a kernel boots\n"
"                           cold, with nokaslr unless --kernel-args say kaslr\n"
"      --snapshots          print each snapshot of the cache as a JSON line\n"
"      --clear-snapshots    remove every snapshot of the cache\n"
"      --run -- COMMAND     run COMMAND while QEMU runs, with the run's sockets in\n"
"                           its environment; then stop QEMU; exit with its status\n"
"  -d, --detach             leave QEMU running and exit 0 once it is ready:\n"
"                           stopping it and removing the run is then yours\n"
"      --interactive        the guest's console on this terminal\n"
"      --print-argv         print the command line as a JSON array; start nothing\n"
"      --shell              with --print-argv: one shell-quoted line instead\n"
"      --json               JSON output (the default)\n"
"  -h, --help               this help\n"
"  -V, --version            print the version\n"
"\n"
"Exit status: --run: COMMAND's; 0 QEMU ready (--detach) or ended with 0;\n"
"2 usage or config error; 69 QEMU could not start or died first (a panic too);\n"
"71 a local failure; 124 QEMU did not answer in time; 128+N signal N.\n";

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
	OPT_REPORT,
	OPT_RUN,
	OPT_SHARE_CWD,
	OPT_NO_SNAPSHOT,
	OPT_SNAPSHOTS,
	OPT_CLEAR_SNAPSHOTS,
	OPT_FILTER,
	OPT_GDB,
	OPT_NET,
};

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "target", required_argument, NULL, 't' },
	{ "list", no_argument, NULL, 'l' },
	{ "filter", required_argument, NULL, OPT_FILTER },
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
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "run", no_argument, NULL, OPT_RUN },
	{ "share-cwd", no_argument, NULL, OPT_SHARE_CWD },
	{ "no-snapshot", no_argument, NULL, OPT_NO_SNAPSHOT },
	{ "snapshots", no_argument, NULL, OPT_SNAPSHOTS },
	{ "clear-snapshots", no_argument, NULL, OPT_CLEAR_SNAPSHOTS },
	{ "gdb", no_argument, NULL, OPT_GDB },
	{ "net", no_argument, NULL, OPT_NET },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* The target setting of a flag. */
static void
flag(struct options *o, enum key k, const char *value)
{
	target_set(&o->flags, k, value, (struct origin){ NULL, 0,
	    key_flag(k) });
	o->any_flag = true;
}

void
options_parse(int argc, char **argv, struct options *o)
{
	char cwd[PATH_MAX];
	int c;

	memset(o, 0, sizeof(*o));
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		die_errno(EXIT_LOCAL, "the working directory");
	target_init(&o->flags, "", cwd);
	o->launch.start_timeout_ms = 10000;
	/* "+": COMMAND's own options after --run are COMMAND's. */
	while ((c = getopt_long(argc, argv, "+c:t:lk:i:r:a:q:dhV", long_options,
	    NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 't': o->target = optarg; break;
		case 'l': o->list = true; break;
		case OPT_FILTER: o->filter = optarg; break;
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
		case OPT_REPORT: o->report = optarg; break;
		case OPT_RUN: o->run = true; break;
		case OPT_SHARE_CWD: o->share_cwd = true; break;
		case OPT_NO_SNAPSHOT: flag(o, KEY_SNAPSHOT, "false"); break;
		case OPT_SNAPSHOTS: o->snapshots = SNAPSHOTS_LIST; break;
		case OPT_CLEAR_SNAPSHOTS: o->snapshots = SNAPSHOTS_CLEAR; break;
		case OPT_GDB: flag(o, KEY_GDB, "true"); break;
		case OPT_NET: flag(o, KEY_NET, "true"); break;
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
	if (o->run && optind < argc)
		o->command = argv + optind;
	else if (o->run)
		die(EXIT_USAGE, "--run needs a COMMAND");
	else if (optind < argc)
		die(EXIT_USAGE, "unexpected argument '%s' (a command goes after "
		    "--run --)", argv[optind]);
	if (o->run && (o->launch.detach || o->launch.interactive ||
	    o->print_argv || o->list))
		die(EXIT_USAGE, "--run cannot be mixed with --detach, "
		    "--interactive, --print-argv or --list");
	if (o->list && (o->config == NULL || o->target != NULL ||
	    o->any_flag || o->print_argv))
		die(EXIT_USAGE, "--list takes --config FILE and nothing else");
	if (o->filter != NULL && !o->list)
		die(EXIT_USAGE, "--filter goes with --list");
	if (o->snapshots != SNAPSHOTS_NONE && (o->config != NULL ||
	    o->any_flag || o->run || o->print_argv || o->list))
		die(EXIT_USAGE, "--snapshots and --clear-snapshots take no "
		    "other option");
	if (o->target != NULL && o->config == NULL)
		die(EXIT_USAGE, "--target needs --config FILE");
	if (o->shell && !o->print_argv)
		die(EXIT_USAGE, "--shell goes with --print-argv");
	if (o->launch.detach && o->launch.interactive)
		die(EXIT_USAGE, "--detach and --interactive cannot be mixed");
	if (o->launch.start_timeout_ms == 0)
		o->launch.start_timeout_ms = -1;
}

noreturn void
options_usage(void)
{
	cli_usage(usage_text);
}
