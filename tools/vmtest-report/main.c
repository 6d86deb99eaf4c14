/*
 * vmtest-report: vmtest's result lines made into the summary table and
 * the JUnit XML report that vmtest prints and writes, without a VM and
 * from any number of runs: a CI matrix's results merge into one report.
 *
 * The job: read every result line of every FILE (or stdin) and check it,
 * so that bad input stops everything before anything is written; then
 * make the JUnit report whole in memory and put it in place atomically;
 * then print the summary.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "diag.h"
#include "junit.h"
#include "linereader.h"
#include "parse.h"
#include "result.h"
#include "save.h"
#include "summary.h"
#include "xalloc.h"

/* The most of an output file a testcase holds, as vmtest's tail -c. */
#define DEFAULT_MAX_OUTPUT (1u << 20)
/* A result line is a few hundred bytes; this only stops a runaway. */
#define MAX_LINE (16u << 20)

static const char usage_text[] =
"usage: vmtest-report [--summary] [--junit FILE] [--color] [--max-output SIZE]\n"
"                     [FILE ...]\n";

static const char help_text[] =
"\n"
"Reads vmtest's result lines (vmtest --json) from each FILE in turn, or\n"
"from stdin, and prints the summary table or writes a JUnit XML report.\n"
"\n"
"  -s, --summary           print the summary table (the default without --junit)\n"
"  -j, --junit FILE        write the results as a JUnit XML report to FILE\n"
"      --color             the summary's heading in bold, statuses in color\n"
"      --max-output SIZE   the most of each output file a report holds, its\n"
"                          end (default 1MiB)\n"
"  -h, --help              this help\n"
"  -V, --version           print the version\n"
"\n"
"Exit status: 0 done; 2 usage; 71 a FILE, an output file or the report\n"
"could not be read or written, stdout failed, or memory ran out; 76 a\n"
"malformed result line.\n";

enum { OPT_COLOR = 256, OPT_MAX_OUTPUT };

static const struct option long_options[] = {
	{ "summary", no_argument, NULL, 's' },
	{ "junit", required_argument, NULL, 'j' },
	{ "color", no_argument, NULL, OPT_COLOR },
	{ "max-output", required_argument, NULL, OPT_MAX_OUTPUT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

struct options {
	bool summary, color;
	const char *junit;
	uint64_t max_output;
	char **files;
	int nfiles;
};

static void
parse_options(int argc, char **argv, struct options *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->max_output = DEFAULT_MAX_OUTPUT;
	while ((c = getopt_long(argc, argv, "sj:hV", long_options, NULL)) != -1) {
		switch (c) {
		case 's': o->summary = true; break;
		case 'j': o->junit = optarg; break;
		case OPT_COLOR: o->color = true; break;
		case OPT_MAX_OUTPUT:
			if (parse_size(optarg, &o->max_output) < 0)
				die(EXIT_USAGE, "--max-output: invalid size '%s' "
				    "(as 4096, 64K, 1MiB)", optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			fputs(help_text, stdout);
			exit(EXIT_OK);
		case 'V':
			printf("vmtest-report (vmtest-tools) %s\n", VERSION);
			exit(EXIT_OK);
		default:
			cli_usage(usage_text);
		}
	}
	if (o->junit != NULL && *o->junit == '\0')
		die(EXIT_USAGE, "--junit: empty file name");
	if (o->junit == NULL)
		o->summary = true;
	o->files = argv + optind;
	o->nfiles = argc - optind;
}

/*
 * Line lineno of the input called name, onto l.  A bad one ends the run
 * there, before anything is written: a report that leaves a result out
 * would look like a smaller, greener run.
 */
static void
take_line(const char *name, unsigned long lineno, const char *line,
    size_t len, struct result_list *l)
{
	struct result r;
	char why[512];

	switch (result_parse(line, len, &r, why, sizeof(why))) {
	case RESULT_OK:
		if (result_list_push(l, &r) < 0)
			xalloc_die();
		break;
	case RESULT_BLANK:
		break;
	case RESULT_BAD:
		die(EXIT_PROTOCOL, "%s:%lu: %s", name, lineno, why);
	}
}

/* Every result of path ("-": stdin) onto l. */
static void
read_results(const char *path, struct result_list *l)
{
	bool std = strcmp(path, "-") == 0;
	const char *name = std ? "stdin" : path;
	unsigned long lineno = 0;
	struct line_reader lr;
	enum lr_status st;
	size_t len;
	char *line;
	int fd;

	fd = std ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die_errno(EXIT_LOCAL, "%s", path);
	lr_init(&lr, fd, MAX_LINE);
	while ((st = lr_read_line(&lr, DEADLINE_NEVER, &line, &len)) == LR_LINE)
		take_line(name, ++lineno, line, len, l);
	/* The last line may lack its newline: printf '{...}' | vmtest-report */
	if (st == LR_EOF && lr_take_rest(&lr, &line, &len) == LR_LINE)
		take_line(name, ++lineno, line, len, l);
	if (st == LR_TOO_LONG)
		die(EXIT_PROTOCOL, "%s:%lu: line longer than %u MiB", name,
		    lineno + 1, MAX_LINE >> 20);
	if (st != LR_EOF)
		die_errno(EXIT_LOCAL, "%s", name);
	lr_free(&lr);
	if (!std)
		close(fd);
}

/* The suite's timestamp, as vmtest's date -u +%Y-%m-%dT%H:%M:%S. */
static void
utc_now(char *buf, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		die(EXIT_LOCAL, "the clock reads no time");
}

/*
 * The report is made whole in memory before its file is touched: an
 * output file that cannot be read then leaves the old report as it was.
 */
static void
write_junit(const struct options *o, const struct result_list *l)
{
	struct junit_options jo = { .max_output = o->max_output,
	    .read_outputs = true };
	char stamp[32], why[512];
	char *xml = NULL;
	size_t len = 0;
	FILE *mem;

	utc_now(stamp, sizeof(stamp));
	jo.timestamp = stamp;
	/* A memory stream fails only for want of memory. */
	if ((mem = open_memstream(&xml, &len)) == NULL)
		xalloc_die();
	if (junit_write(mem, l, &jo, why, sizeof(why)) < 0)
		die(EXIT_LOCAL, "%s", why);
	if (ferror(mem) || fclose(mem) != 0)
		xalloc_die();
	if (save_atomically(o->junit, xml, len) < 0)
		die_errno(EXIT_LOCAL, "%s", o->junit);
	free(xml);
}

int
main(int argc, char **argv)
{
	struct result_list results = { 0 };
	struct options o;
	int i;

	diag_init(argv[0]);
	parse_options(argc, argv, &o);
	/*
	 * Names are UTF-8 whatever the user's locale is, and wcwidth(3)
	 * measures them only under a UTF-8 LC_CTYPE.  Without one (glibc
	 * has C.UTF-8 built in) each character counts one column, as jq's.
	 */
	setlocale(LC_CTYPE, "C.UTF-8");

	if (o.nfiles == 0)
		read_results("-", &results);
	for (i = 0; i < o.nfiles; i++)
		read_results(o.files[i], &results);

	if (o.junit != NULL)
		write_junit(&o, &results);
	if (o.summary) {
		summary_write(stdout, &results, o.color);
		if (fflush(stdout) != 0 || ferror(stdout))
			die_errno(EXIT_LOCAL, "stdout");
	}
	result_list_free(&results);
	return EXIT_OK;
}
