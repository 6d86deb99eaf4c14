/*
 * nbd-replay: rebuilds a disk image from nbd-fault's --write-log, as it
 * stood at any flush or power cut, or as a power cut right after one
 * could have left it, so that a test can check every state a crash can
 * leave, as dm-log-writes' replay does.
 */
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "diag.h"
#include "fdio.h"
#include "jsonl.h"
#include "replay.h"
#include "xalloc.h"

static const char usage_text[] =
"usage: nbd-replay [--flush N] [--crash N [--lose MODE] [--keep K] [--seed S]]\n"
"                  [--base FILE] LOG IMAGE\n"
"       nbd-replay --list LOG\n";

static const char help_text[] =
"\n"
"Writes IMAGE as the disk of nbd-fault's write log LOG stood: after\n"
"everything logged (the default), after the Nth flush or power cut\n"
"(--flush N), or as a power cut right after the Nth could have left it\n"
"(--crash N).  IMAGE starts as zeros, or as a copy of --base.\n"
"\n"
"      --flush N       the disk after N flushes and power cuts\n"
"      --crash N       the disk after N, and what a power cut keeps of the\n"
"                      operations after it\n"
"      --lose MODE     what that power cut loses: all (default), none,\n"
"                      random, prefix\n"
"      --keep K        it keeps the first K operations, loses the rest\n"
"      --seed S        the draw of random and prefix (default 0)\n"
"      --base FILE     the disk before the log (default: zeros)\n"
"      --list          one JSON line per flush or power cut: its number,\n"
"                      the operations before it, how it ends\n"
"  -h, --help          this help\n"
"  -V, --version       print the version\n"
"\n"
"Exit status: 0 done; 2 usage, or a log that is malformed or too short;\n"
"71 the image or stdout could not be written, or memory ran out.\n";

enum { OPT_FLUSH = 256, OPT_CRASH, OPT_LOSE, OPT_KEEP, OPT_SEED, OPT_BASE,
	OPT_LIST };

static const struct option long_options[] = {
	{ "flush", required_argument, NULL, OPT_FLUSH },
	{ "crash", required_argument, NULL, OPT_CRASH },
	{ "lose", required_argument, NULL, OPT_LOSE },
	{ "keep", required_argument, NULL, OPT_KEEP },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "base", required_argument, NULL, OPT_BASE },
	{ "list", no_argument, NULL, OPT_LIST },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

struct options {
	struct replay_target t;
	const char *base, *log, *image;
	bool list, lose_given;
};

static void
parse_options(int argc, char **argv, struct options *o)
{
	int c;

	o->t.to_end = true;
	o->t.lose = LOSE_ALL;
	while ((c = getopt_long(argc, argv, "hV", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_FLUSH:
		case OPT_CRASH:
			if (!o->t.to_end)
				die(EXIT_USAGE, "one of --flush and --crash, once");
			o->t.to_end = false;
			o->t.crash = c == OPT_CRASH;
			o->t.flush = cli_uint(c == OPT_CRASH ? "--crash" :
			    "--flush", optarg, 0, UINT64_MAX);
			break;
		case OPT_LOSE:
			o->lose_given = true;
			if (strcmp(optarg, "all") == 0) o->t.lose = LOSE_ALL;
			else if (strcmp(optarg, "none") == 0) o->t.lose = LOSE_NONE;
			else if (strcmp(optarg, "random") == 0)
				o->t.lose = LOSE_RANDOM;
			else if (strcmp(optarg, "prefix") == 0)
				o->t.lose = LOSE_PREFIX;
			else
				die(EXIT_USAGE, "--lose: all, none, random or "
				    "prefix, not '%s'", optarg);
			break;
		case OPT_KEEP:
			o->lose_given = true;
			o->t.lose = LOSE_AFTER;
			o->t.first = cli_uint("--keep", optarg, 0, UINT64_MAX);
			break;
		case OPT_SEED:
			o->t.seed = cli_uint("--seed", optarg, 0, UINT64_MAX);
			break;
		case OPT_BASE: o->base = optarg; break;
		case OPT_LIST: o->list = true; break;
		case 'h':
			fputs(usage_text, stdout);
			fputs(help_text, stdout);
			exit(EXIT_OK);
		case 'V':
			printf("nbd-replay (vmtest-tools) %s\n", VERSION);
			exit(EXIT_OK);
		default:
			cli_usage(usage_text);
		}
	}
	if (o->lose_given && !o->t.crash)
		die(EXIT_USAGE, "--lose and --keep go with --crash");
	if (o->list && (argc - optind != 1 || !o->t.to_end || o->base != NULL))
		cli_usage(usage_text);
	if (!o->list && argc - optind != 2)
		cli_usage(usage_text);
	o->log = argv[optind];
	o->image = o->list ? NULL : argv[optind + 1];
}

/* IMAGE, size bytes, as a copy of base or as zeros. */
static int
open_image(const char *path, const char *base, uint64_t size)
{
	char buf[1 << 16];
	ssize_t n;
	int fd, in;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die_errno(EXIT_LOCAL, "%s", path);
	if (base != NULL) {
		if ((in = open(base, O_RDONLY | O_CLOEXEC)) < 0)
			die_errno(EXIT_USAGE, "--base: %s", base);
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (fd_write_all(fd, buf, (size_t)n) < 0)
				die_errno(EXIT_LOCAL, "%s", path);
		if (n < 0)
			die_errno(EXIT_USAGE, "--base: %s", base);
		close(in);
	}
	if (ftruncate(fd, (off_t)size) < 0)
		die_errno(EXIT_LOCAL, "%s", path);
	return fd;
}

int
main(int argc, char **argv)
{
	struct options o = { 0 };
	struct replay_result r;
	uint64_t size;
	json_t *j;
	int fd = -1, st;

	diag_init(argv[0]);
	parse_options(argc, argv, &o);
	if (o.list) {
		st = replay(o.log, -1, &o.t, stdout, &r);
		if (fflush(stdout) != 0)
			die_errno(EXIT_LOCAL, "stdout");
		return st;
	}
	if ((st = replay_size(o.log, &size)) != 0)
		return st;
	fd = open_image(o.image, o.base, size);
	if ((st = replay(o.log, fd, &o.t, stdout, &r)) != 0)
		return st;
	if (fsync(fd) < 0 || close(fd) < 0)
		die_errno(EXIT_LOCAL, "%s", o.image);
	j = json_pack("{s:s,s:I,s:I,s:I,s:I}", "image", o.image, "flushes",
	    (json_int_t)r.flushes, "applied", (json_int_t)r.applied, "kept",
	    (json_int_t)r.kept, "lost", (json_int_t)r.lost);
	if (j == NULL)
		xalloc_die();
	st = jsonl_write(stdout, j, false);
	json_decref(j);
	if (st < 0)
		die_errno(EXIT_LOCAL, "stdout");
	return EXIT_OK;
}
