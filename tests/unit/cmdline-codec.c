/*
 * What qemu-launch tells vm-init and vm-init reads back, both ways: over
 * the control channel (handoff_config(), for vm-initrd's initrd) and on
 * the kernel command line (argv_cmdline(), for a user's initrd).  A
 * mount's guest path is percent-encoded, vm-init's cmdline_parse_control()
 * or cmdline_parse() decodes it, and every byte but NUL comes back;
 * argv_cmdline_check() keeps the line within the arch's
 * COMMAND_LINE_SIZE, which the channel's mounts do not count against.
 * Run from tests/vm-init.bats (not named test-* so that tests/lib.bats,
 * which runs lib/'s, does not count it as its own).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/qemu-launch/argv.h"
#include "../../tools/qemu-launch/handoff.h"
#include "../../tools/vm-init/cmdline.h"
#include "check.h"
#include "diag.h"

static char reported[4096];
static int nreported;

static void report(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* vm-init's report callback: keeps the last message. */
static void
report(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reported, sizeof(reported), fmt, ap);
	va_end(ap);
	nreported++;
}

/*
 * What qemu-launch makes for one mount at guest on arch a: the kernel
 * command line, or with control the channel's text.  control is
 * vm-initrd's initrd (none given); without it, an initrd of the user's.
 */
static char *
text_for(enum arch a, const char *guest, bool writable, bool interactive,
    bool control, bool channel)
{
	struct target t;
	struct mount m;
	struct plan p;

	memset(&t, 0, sizeof(t));
	memset(&m, 0, sizeof(m));
	memset(&p, 0, sizeof(p));
	t.arch = a;
	t.is_kernel = true;
	t.initrd = control ? NULL : "initrd.img";
	m.guest = (char *)guest;
	m.writable = writable;
	t.mount = &m;
	t.nmount = 1;
	p.interactive = interactive;
	return channel ? handoff_config(&t, &p) : argv_cmdline(&t, &p);
}

static char *
line_for(enum arch a, const char *guest, bool writable, bool interactive)
{
	return text_for(a, guest, writable, interactive, false, false);
}

/*
 * guest survives the trip over the channel or on the command line: one
 * word, safe bytes only, decoded as it was.
 */
static bool
trip(const char *guest, bool writable, bool channel)
{
	struct config c;
	char *text = text_for(ARCH_X86_64, guest, writable, false, channel,
	    channel), *s;
	bool ok = true;

	for (s = text; *s != '\0'; s++)
		if (((unsigned char)*s < ' ' && *s != '\n') ||
		    (unsigned char)*s > '~' || *s == '"')
			ok = false;
	cmdline_defaults(&c);
	nreported = 0;
	if ((channel ? cmdline_parse_control(text, &c, report) :
	    cmdline_parse(text, &c, report)) != 0 || nreported != 0)
		ok = false;
	if (c.nmounts != 1 || strcmp(c.mounts[0].tag, "mount0") != 0 ||
	    strcmp(c.mounts[0].path, guest) != 0 || c.mounts[0].ro == writable)
		ok = false;
	if (!ok)
		fprintf(stderr, "round trip %s failed for '%s'\n", channel ?
		    "over the channel" : "on the command line", guest);
	free(c.mounts);
	free(text);
	return ok;
}

static bool
round_trip(const char *guest, bool writable)
{
	return trip(guest, writable, true) && trip(guest, writable, false);
}

/*
 * With the channel, the command line names the port and holds no mount
 * and no vm.interactive; the channel's text holds them, one a line.
 */
static void
test_channel_split(void)
{
	char *line = text_for(ARCH_X86_64, "/m n", false, true, true, false);
	char *text = text_for(ARCH_X86_64, "/m n", false, true, true, true);

	CHECK(strstr(line, " vm.control=" CONTROL_PORT) != NULL);
	CHECK(strstr(line, "vm.mount") == NULL);
	CHECK(strstr(line, "vm.interactive") == NULL);
	CHECK(strcmp(text, "vm.mount=mount0:/m%20n:ro\nvm.interactive=1\n")
	    == 0);
	free(line);
	free(text);
	line = text_for(ARCH_X86_64, "/m n", false, true, false, false);
	CHECK(strstr(line, "vm.control") == NULL);
	CHECK(strstr(line, " vm.mount=mount0:/m%20n:ro vm.interactive=1") !=
	    NULL);
	free(line);
}

static void
test_every_byte(void)
{
	char guest[300];
	int b, n = 0;

	/* Each byte alone, between others, and at the end. */
	for (b = 1; b < 256; b++) {
		snprintf(guest, sizeof(guest), "/d%cz", b);
		CHECK(round_trip(guest, b % 2 == 0));
		snprintf(guest, sizeof(guest), "/d%c", b);
		CHECK(round_trip(guest, b % 2 != 0));
	}
	/* All of them in one path. */
	guest[n++] = '/';
	for (b = 1; b < 256; b++)
		guest[n++] = (char)b;
	guest[n] = '\0';
	CHECK(round_trip(guest, false));
	CHECK(round_trip(guest, true));
}

static void
test_lookalikes(void)
{
	/* What the line's own syntax would take for something else. */
	CHECK(round_trip("/x:ro", true));
	CHECK(round_trip("/x:rw", false));
	CHECK(round_trip("/x:ro:rw", false));
	CHECK(round_trip("/50%", true));
	CHECK(round_trip("/%41%", true));
	CHECK(round_trip("/%%", false));
	CHECK(round_trip("/a b\tc\nd", false));
	CHECK(round_trip("/\"quoted\"", false));
	CHECK(round_trip("/ -- vm.root=x", false));
	CHECK(round_trip("/\xa0nbsp\xc3\xa9", false));
}

/* text, parsed: 1 problem named by word, and no mount or qga taken. */
static void
bad_escape(const char *text, const char *word)
{
	struct config c;
	char *copy = strdup(text);

	cmdline_defaults(&c);
	nreported = 0;
	reported[0] = '\0';
	CHECK(cmdline_parse(copy, &c, report) == 1);
	CHECK(nreported == 1);
	CHECK(strstr(reported, word) != NULL);
	CHECK(strstr(reported, "escape") != NULL);
	CHECK(c.nmounts == 0);
	CHECK(c.qga == NULL);
	CHECK(strcmp(c.root_tag, DEFAULT_ROOT_TAG) == 0);
	if (nreported != 1 || strstr(reported, word) == NULL)
		fprintf(stderr, "for '%s': %d reports, last '%s'\n", text,
		    nreported, reported);
	free(c.mounts);
	free(copy);
}

static void
test_malformed(void)
{
	bad_escape("vm.mount=t:/a%", "vm.mount=t:/a%");
	bad_escape("vm.mount=t:/a%4", "vm.mount=t:/a%4");
	bad_escape("vm.mount=t:/a%4g:ro", "vm.mount=t:/a%4g:ro");
	bad_escape("vm.mount=t:/a%G1", "vm.mount=t:/a%G1");
	bad_escape("vm.mount=t:/a%00b", "vm.mount=t:/a%00b");
	bad_escape("vm.mount=t%:/a", "vm.mount=t%:/a");
	bad_escape("vm.qga=/opt/q%zz", "vm.qga=/opt/q%zz");
	bad_escape("vm.root=%", "vm.root=%");
	bad_escape("quiet vm.qga=/q%2 rw", "vm.qga=/q%2");
}

static void
test_well_formed(void)
{
	struct config c;
	char text[] = "vm.qga=/opt%2fqga vm.mount=t%41g:%2Fabs%3Aro "
	    "vm.mount=u:/x%3aro:ro vm.hostname=a%2Db";

	cmdline_defaults(&c);
	CHECK(cmdline_parse(text, &c, report) == 0);
	CHECK(c.qga != NULL && strcmp(c.qga, "/opt/qga") == 0);
	CHECK(c.nmounts == 2);
	if (c.nmounts == 2) {
		CHECK(strcmp(c.mounts[0].tag, "tAg") == 0);
		CHECK(strcmp(c.mounts[0].path, "/abs:ro") == 0);
		CHECK(!c.mounts[0].ro);
		CHECK(strcmp(c.mounts[1].path, "/x:ro") == 0);
		CHECK(c.mounts[1].ro);
	}
	CHECK(strcmp(c.hostname, "a-b") == 0);
	free(c.mounts);
}

/* The longest guest path of 'a's whose line (interactive) fits arch a. */
static size_t
longest_fit(enum arch a)
{
	char *line = line_for(a, "/a", true, true);
	size_t n = arch_table[a].cmdline_size - 1 - strlen(line) + 2;

	free(line);
	return n;
}

static int
check_length(enum arch a, size_t n, bool control)
{
	struct target t;
	struct mount m;
	char *guest = malloc(n + 1);
	int r;

	memset(guest, 'a', n);
	guest[0] = '/';
	guest[n] = '\0';
	memset(&t, 0, sizeof(t));
	memset(&m, 0, sizeof(m));
	t.arch = a;
	t.is_kernel = true;
	t.initrd = control ? NULL : "initrd.img";
	m.guest = guest;
	m.writable = true;
	m.at.flag = "--mount";
	t.mount = &m;
	t.nmount = 1;
	r = argv_cmdline_check(&t);
	free(guest);
	return r;
}

static void
test_limit(void)
{
	static const enum arch arches[] = {
		ARCH_X86_64, ARCH_AARCH64, ARCH_RISCV64, ARCH_S390X,
	};
	size_t i, n;

	/* COMMAND_LINE_SIZE holds the NUL: one byte less is the line's. */
	for (i = 0; i < sizeof(arches) / sizeof(arches[0]); i++) {
		n = longest_fit(arches[i]);
		CHECK(check_length(arches[i], n, false) == 0);
		CHECK(check_length(arches[i], n + 1, false) == 1);
		/* Over the channel, a path's length is no concern of the line. */
		CHECK(check_length(arches[i], 4 * n, true) == 0);
	}
	CHECK(longest_fit(ARCH_X86_64) > longest_fit(ARCH_RISCV64));
}

int
main(int argc, char **argv)
{
	(void)argc;
	diag_init(argv[0]);
	test_channel_split();
	test_every_byte();
	test_lookalikes();
	test_malformed();
	test_well_formed();
	test_limit();
	return check_result();
}
