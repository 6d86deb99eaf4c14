#include <sys/stat.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../tools/nbd-fault/rules.h"
#include "check.h"

/* Parses text in a fresh set; on failure says why. */
static bool
parse_len(const char *text, size_t len, bool compat, struct rule_set *set)
{
	char err[1024] = "";

	if (rules_parse(text, len, "t.ini", compat, set, err,
	    sizeof(err)) == 0)
		return true;
	fprintf(stderr, "  rules_parse: %s\n", err);
	rules_free(set);
	return false;
}

static bool
parse(const char *text, bool compat, struct rule_set *set)
{
	return parse_len(text, strlen(text), compat, set);
}

/* Whether text parses, in that mode, into n rules. */
static bool
parses(const char *text, bool compat, size_t n)
{
	struct rule_set set;
	bool ok;

	if (!parse(text, compat, &set))
		return false;
	ok = set.n == n;
	rules_free(&set);
	return ok;
}

/* Whether parsing fails with a message that starts with want (or is it). */
static bool
fails_len(const char *text, size_t len, bool compat, const char *want,
    bool whole)
{
	struct rule_set set;
	char err[1024] = "";
	int rc;

	rc = rules_parse(text, len, "t.ini", compat, &set, err, sizeof(err));
	/* A failed parse leaves an empty set that rules_free() takes. */
	if (rc == -1 && (set.n != 0 || set.rules != NULL))
		rc = -2;
	rules_free(&set);
	if (rc == -1 && (whole ? strcmp(err, want) == 0 :
	    strncmp(err, want, strlen(want)) == 0))
		return true;
	fprintf(stderr, "  rc %d, got  \"%s\"\n         want \"%s\"%s\n", rc,
	    err, want, whole ? "" : "...");
	return false;
}

static bool
fails(const char *text, bool compat, const char *want)
{
	return fails_len(text, strlen(text), compat, want, true);
}

static bool
fails_like(const char *text, bool compat, const char *want)
{
	return fails_len(text, strlen(text), compat, want, false);
}

/* The one rule of a one-section file, kept until the next call. */
static struct rule_set one;
static bool one_live;

static const struct rule *
rule1(const char *text, bool compat)
{
	if (one_live)
		rules_free(&one);
	one_live = parse(text, compat, &one);
	if (!one_live || one.n != 1)
		return NULL;
	return &one.rules[0];
}

static int64_t
when_of(const char *value)
{
	char text[256];
	const struct rule *r;

	snprintf(text, sizeof(text), "[inject-error]\nevent=neg1\nwhen=%s\n",
	    value);
	r = rule1(text, true);
	return r != NULL ? r->when : -12345;
}

static bool
when_fails(const char *value)
{
	char text[256], want[256];

	snprintf(text, sizeof(text), "[inject-error]\nevent=neg1\nwhen=%s\n",
	    value);
	snprintf(want, sizeof(want), "invalid \"when\" option value \"%s\" in "
	    "inject-error", value);
	return fails(text, true, want);
}

static void
test_injector_files(void)
{
	const struct rule *r;
	struct rule_set set;

	/* iotest 083 writes these. */
	r = rule1("[inject-error]\nevent=neg1\nwhen=8\n", true);
	CHECK(r != NULL && strcmp(r->name, "inject-error") == 0 &&
	    r->line == 1 && r->event == EV_NEG1 && r->io == IO_READWRITE &&
	    r->when == 8 && r->action == ACT_EXIT && r->rate == 1 &&
	    r->option == -1 && r->commands == 0 && !r->has_range &&
	    r->skip == 0 && r->count == 0 && r->trigger == NULL &&
	    r->connection == 0 && !r->server_scope && r->errno_wire == 5 &&
	    r->corrupt_bits == 1);
	r = rule1("[inject-error \"disconnect\"]\nevent = data\nio = write\n"
	    "when = after\n", true);
	CHECK(r != NULL && strcmp(r->name, "inject-error \"disconnect\"") ==
	    0 && r->event == EV_DATA && r->io == IO_WRITE &&
	    r->when == WHEN_AFTER);
	r = rule1("[inject-error]\nevent=neg-classic\n", true);
	CHECK(r != NULL && r->event == EV_NEG_CLASSIC &&
	    r->when == WHEN_BEFORE);

	/* The header comment's example, and several sections in order. */
	CHECK(parse("# a comment\n; another\n\n"
	    "[inject-error \"disconnect-neg1\"]\nevent=neg1\nio=readwrite\n"
	    "when=before\n\n[inject-error2]\nevent=export\nio=read\n"
	    "[inject-error-x]\nevent=request\n", true, &set));
	CHECK(set.n == 3);
	if (set.n == 3) {
		CHECK(strcmp(set.rules[0].name, "inject-error \"disconnect-"
		    "neg1\"") == 0 && set.rules[0].line == 4);
		CHECK(strcmp(set.rules[1].name, "inject-error2") == 0 &&
		    set.rules[1].event == EV_EXPORT &&
		    set.rules[1].io == IO_READ && set.rules[1].line == 9);
		CHECK(set.rules[2].event == EV_REQUEST);
		rules_free(&set);
	}

	/* Empty files and files of comments have no rules. */
	CHECK(parses("", true, 0));
	CHECK(parses("", false, 0));
	CHECK(parses("\n\n  \n# x\n; y\n", true, 0));

	/* Keys in any case, "=" or ":", blanks around. */
	r = rule1("[inject-error]\nEVENT: reply\nIo  =  read  \n", true);
	CHECK(r != NULL && r->event == EV_REPLY && r->io == IO_READ);
	/* Deeper than the key before it, a line continues its value. */
	CHECK(fails("[inject-error]\nevent=reply\n  io=read\n", true,
	    "invalid \"event\" option value \"reply\nio=read\" in "
	    "inject-error"));
	/* Indented keys, as configparser takes them: not continuations. */
	r = rule1("[inject-error]\n    event = neg2\n    when = 10\n", true);
	CHECK(r != NULL && r->event == EV_NEG2 && r->when == 10);
	r = rule1("  [inject-error]\n  event=neg2\n", true);
	CHECK(r != NULL && r->event == EV_NEG2);
	/* A value that starts on the next line: configparser's "\n8". */
	r = rule1("[inject-error]\nevent=neg1\nwhen=\n  8\n", true);
	CHECK(r != NULL && r->when == 8);
}

static void
test_compat_errors(void)
{
	/* Each of the injector's messages, byte for byte, without FILE:LINE. */
	CHECK(fails("[inject-error]\nio=read\n", true,
	    "missing \"event\" option in inject-error"));
	CHECK(fails("[inject-error]\n", true,
	    "missing \"event\" option in inject-error"));
	CHECK(fails("[inject-error \"x y\"]\nevent=neg3\n", true,
	    "invalid \"event\" option value \"neg3\" in inject-error \"x y\""));
	CHECK(fails("[inject-error]\nevent=neg1 # x\n", true,
	    "invalid \"event\" option value \"neg1 # x\" in inject-error"));
	CHECK(fails("[inject-error]\nevent=neg1 ; x\n", true,
	    "invalid \"event\" option value \"neg1 ; x\" in inject-error"));
	CHECK(fails("[inject-error]\nevent=\"neg1\"\n", true,
	    "invalid \"event\" option value \"\"neg1\"\" in inject-error"));
	CHECK(fails("[inject-error]\nevent=NEG1\n", true,
	    "invalid \"event\" option value \"NEG1\" in inject-error"));
	CHECK(fails("[inject-error]\nevent=\n", true,
	    "invalid \"event\" option value \"\" in inject-error"));
	CHECK(fails("[inject-error]\nevent=neg1\nio=both\n", true,
	    "invalid \"io\" option value \"both\" in inject-error"));
	CHECK(fails("[inject-error]\nevent=neg1\nwhen=soon\n", true,
	    "invalid \"when\" option value \"soon\" in inject-error"));
	CHECK(fails("[foo]\nevent=neg1\n", true,
	    "invalid config section name: foo"));
	CHECK(fails("[foo]\n", true, "invalid config section name: foo"));
	CHECK(fails("[default]\nevent=neg1\n", true,
	    "invalid config section name: default"));
	CHECK(fails("[Inject-error]\nevent=neg1\n", true,
	    "invalid config section name: Inject-error"));
	/* A continuation line joins the value, so the event is invalid. */
	CHECK(fails("[inject-error]\nevent=neg1\n  more\n", true,
	    "invalid \"event\" option value \"neg1\nmore\" in inject-error"));
	/* Blank lines inside a value stay; comment lines do not. */
	CHECK(fails("[inject-error]\nevent=x\n\n# c\n\n  y\n\n", true,
	    "invalid \"event\" option value \"x\n\n\ny\" in inject-error"));
	/* when below -1: ours, and said so. */
	CHECK(fails_like("[inject-error]\nevent=neg1\nwhen=-2\n", true,
	    "invalid \"when\" option value \"-2\" in inject-error (below -1"));

	/* The per-option events are not the injector's. */
	CHECK(fails("[inject-error]\nevent=option\n", true,
	    "invalid \"event\" option value \"option\" in inject-error"));
	CHECK(parses("[inject-error]\nevent=option\n", false, 1));
	CHECK(parses("[inject-error]\nevent=option-reply\n", false, 1));

	/* The injector checks sections in order, event then io then when. */
	CHECK(fails("[inject-error]\nevent=neg1\n[bad]\n[inject-error2]\n",
	    true, "invalid config section name: bad"));
	CHECK(fails("[inject-error]\nio=x\nwhen=y\n", true,
	    "missing \"event\" option in inject-error"));
	CHECK(fails("[inject-error]\nevent=neg1\nio=x\nwhen=y\n", true,
	    "invalid \"io\" option value \"x\" in inject-error"));
	/* Its errors come before ours, as it would refuse the file first. */
	CHECK(fails("[inject-error]\nevent=neg1\nrate=2\n"
	    "[inject-error2]\nevent=bad\n", true,
	    "invalid \"event\" option value \"bad\" in inject-error2"));

	/* Unknown keys: ignored in compat mode, errors otherwise. */
	CHECK(parses("[inject-error]\nevent=neg1\nfoo=bar\n", true, 1));
	CHECK(fails("[inject-error]\nevent=neg1\nfoo=bar\n", false,
	    "t.ini:3: unknown option \"foo\" in inject-error"));
	CHECK(parses("[DEFAULT]\nfoo=1\n", true, 0));
	CHECK(fails("[DEFAULT]\nfoo=1\n", false,
	    "t.ini:2: unknown option \"foo\" in DEFAULT"));

	/* Full mode: the same words after FILE:LINE. */
	CHECK(fails("\n[inject-error]\nio=read\n", false,
	    "t.ini:2: missing \"event\" option in inject-error"));
	CHECK(fails("[inject-error]\n\nevent=neg3\n", false,
	    "t.ini:3: invalid \"event\" option value \"neg3\" in "
	    "inject-error"));
	CHECK(fails("[inject-error]\nevent=neg1\nio=x\n", false,
	    "t.ini:3: invalid \"io\" option value \"x\" in inject-error"));
	CHECK(fails("[foo]\n", false,
	    "t.ini:1: invalid config section name: foo"));
}

static void
test_when(void)
{
	CHECK(when_of("before") == 0);
	CHECK(when_of("after") == -1);
	CHECK(when_of("0") == 0);
	CHECK(when_of("-1") == -1);
	CHECK(when_of("-0") == 0);
	CHECK(when_of("8") == 8);
	CHECK(when_of("+8") == 8);
	CHECK(when_of("08") == 8);
	CHECK(when_of("8_0") == 80);
	CHECK(when_of("1_000_000") == 1000000);
	CHECK(when_of("9223372036854775807") == INT64_MAX);
	/* Python's int has no bound; any count above a message is all. */
	CHECK(when_of("99999999999999999999999") == INT64_MAX);
	CHECK(when_fails("_8"));
	CHECK(when_fails("8_"));
	CHECK(when_fails("8__0"));
	CHECK(when_fails("+_8"));
	CHECK(when_fails("+"));
	CHECK(when_fails("- 8"));
	CHECK(when_fails("+-8"));
	CHECK(when_fails("0x10"));
	CHECK(when_fails("8.0"));
	CHECK(when_fails("1e3"));
	CHECK(when_fails("Before"));
	CHECK(when_fails("AFTER"));
	CHECK(fails_like("[inject-error]\nevent=neg1\nwhen=-99999999999999999"
	    "9999\n", true, "invalid \"when\" option value \"-99999"));
}

static void
test_grammar(void)
{
	const struct rule *r;
	struct rule_set set;
	char text[400], *big;
	size_t i, n;

	/* [DEFAULT] keys go into every section; a section's own win. */
	CHECK(parse("[DEFAULT]\nio=read\nwhen=4\n[inject-error]\nevent=neg1\n"
	    "[inject-error2]\nevent=neg2\nio=write\n", true, &set));
	CHECK(set.n == 2);
	if (set.n == 2) {
		CHECK(set.rules[0].io == IO_READ && set.rules[0].when == 4);
		CHECK(set.rules[1].io == IO_WRITE && set.rules[1].when == 4);
		rules_free(&set);
	}
	/* Wherever DEFAULT is, and in several pieces. */
	CHECK(parse("[inject-error]\n[DEFAULT]\nevent=reply\n[DEFAULT]\n"
	    "io=read\n", true, &set));
	CHECK(set.n == 1);
	if (set.n == 1) {
		CHECK(set.rules[0].event == EV_REPLY &&
		    set.rules[0].io == IO_READ);
		rules_free(&set);
	}
	CHECK(parses("[DEFAULT]\nevent=neg1\n", true, 0));
	CHECK(fails("[DEFAULT]\nio=read\n[DEFAULT]\nio=write\n", true,
	    "t.ini:4: duplicate option io in DEFAULT"));

	/* Duplicates are clean errors, with the line, in both modes. */
	CHECK(fails("[inject-error]\nevent=neg1\n\n[inject-error]\n"
	    "event=neg2\n", true, "t.ini:4: duplicate section inject-error"));
	CHECK(fails("[inject-error]\nevent=neg1\nEvent=neg2\n", false,
	    "t.ini:3: duplicate option event in inject-error"));
	CHECK(fails("[inject-error]\nevent=neg1\nevent: neg2\n", true,
	    "t.ini:3: duplicate option event in inject-error"));

	/* Lines configparser refuses. */
	CHECK(fails("event=neg1\n[inject-error]\n", true,
	    "t.ini:1: a line before the first [section]"));
	CHECK(fails("# c\n\n  event=neg1\n", true,
	    "t.ini:3: a line before the first [section]"));
	CHECK(fails_like("[inject-error]\nevent\n", true,
	    "t.ini:2: expected KEY = VALUE or a [section]"));
	CHECK(fails_like("[inject-error]\nevent=neg1\nwhen 8\n", false,
	    "t.ini:3: expected KEY = VALUE"));
	CHECK(fails("[inject-error]\n= neg1\n", true,
	    "t.ini:2: a value without a key"));
	CHECK(fails("[inject-error\nevent=neg1\n", true,
	    "t.ini:1: a malformed section header"));
	CHECK(fails("[]\n", true, "t.ini:1: a malformed section header"));
	CHECK(fails("[inject-error]\n[]\n", true,
	    "t.ini:2: a malformed section header"));
	/* configparser's key "[a", as odd as it is. */
	CHECK(parses("[inject-error]\nevent=neg1\n[a=1\n", true, 1));
	CHECK(fails("[inject-error]\nevent=neg1\n[]: 1\n", false,
	    "t.ini:3: unknown option \"[]\" in inject-error"));
	CHECK(fails("[x]=1\n", true, "invalid config section name: x"));
	CHECK(fails_len("[inject-error]\nevent=neg1\0\n", 26, true,
	    "t.ini:2: a NUL byte", true));

	/* configparser names a section up to its last ']'. */
	r = rule1("[inject-error \"a]b\"] trailing\nevent=neg1\n", true);
	CHECK(r != NULL && strcmp(r->name, "inject-error \"a]b\"") == 0);

	/* Long lines stay whole, and later lines keep their numbers. */
	memset(text, 'x', sizeof(text));
	text[0] = '#';
	text[sizeof(text) - 1] = '\0';
	n = strlen(text);
	big = malloc(4 * n);
	if (big != NULL) {
		snprintf(big, 4 * n, "%s\n[inject-error \"%s\"]\n"
		    "event=request\ntrigger=/tmp/%s\nwhen=x\n", text, text + 1,
		    text + 1);
		CHECK(fails_like(big, false, "t.ini:5: invalid \"when\""));
		snprintf(big, 4 * n, "%s\n[inject-error \"%s\"]\n"
		    "event=request\ntrigger=/tmp/%s\n", text, text + 1,
		    text + 1);
		CHECK(parse(big, false, &set));
		CHECK(set.n == 1);
		if (set.n == 1) {
			CHECK(strlen(set.rules[0].name) == n - 1 + 15);
			CHECK(strlen(set.rules[0].trigger) == n - 1 + 5);
			CHECK(set.rules[0].line == 2);
			rules_free(&set);
		}
		free(big);
	}
	/* Long keys too: not cut at libinih's 49 bytes. */
	snprintf(text, sizeof(text), "[inject-error]\nevent=neg1\n%0100d=1\n"
	    "%0100d=2\n", 0, 1);
	CHECK(parses(text, true, 1));
	n = 70000;
	if ((big = malloc(n + 64)) != NULL) {
		strcpy(big, "[inject-error]\nevent=neg1\n#");
		i = strlen(big);
		memset(big + i, 'y', n - i);
		big[n] = '\0';
		CHECK(fails_like(big, true, "t.ini:3: a line longer than"));
		free(big);
	}

	/* CRLF, lone CR, BOM. */
	r = rule1("[inject-error]\r\nevent=neg1\r\nwhen=8\r\n", true);
	CHECK(r != NULL && r->when == 8);
	r = rule1("[inject-error]\revent=neg1\rwhen=8\r", true);
	CHECK(r != NULL && r->when == 8);
	CHECK(fails("[inject-error]\r\n\r\nevent=neg1\r\nio=x\r\n", false,
	    "t.ini:4: invalid \"io\" option value \"x\" in inject-error"));
	CHECK(fails("[inject-error]\r\nevent=neg1\r\n  x\r\n", true,
	    "invalid \"event\" option value \"neg1\nx\" in inject-error"));
	r = rule1("\xef\xbb\xbf[inject-error]\nevent=neg1\n", true);
	CHECK(r != NULL && strcmp(r->name, "inject-error") == 0);
	CHECK(fails_len("\xef\xbb\xbf[x]\n\0", 8, true, "t.ini:2: a NUL byte",
	    true));
}

/* The rule of "[inject-error]\nevent=E\n" plus extra, in full mode. */
static const struct rule *
ext(const char *event, const char *extra)
{
	char text[512];

	snprintf(text, sizeof(text), "[inject-error]\nevent=%s\n%s\n", event,
	    extra);
	return rule1(text, false);
}

static bool
ext_fails(const char *event, const char *extra, const char *want)
{
	char text[512];

	snprintf(text, sizeof(text), "[inject-error]\nevent=%s\n%s\n", event,
	    extra);
	return fails_like(text, false, want);
}

static void
test_extensions(void)
{
	const struct rule *r;

	/* command */
	r = ext("request", "command=read, write,flush");
	CHECK(r != NULL && r->commands == 0xb);
	r = ext("data", "commands=trim,cache,zeroes,write-zeroes,block-status,"
	    "disc");
	CHECK(r != NULL && r->commands == 0xf4);
	CHECK(ext_fails("request", "command=read,,write",
	    "t.ini:3: invalid \"command\" option value \"read,,write\" in "
	    "inject-error: expected"));
	CHECK(ext_fails("request", "command=resize", "t.ini:3: invalid "
	    "\"command\""));
	CHECK(ext_fails("request", "command=", "t.ini:3: invalid"));
	CHECK(ext_fails("neg1", "command=read",
	    "t.ini:3: \"command\" in inject-error needs event request, reply "
	    "or data"));
	CHECK(ext_fails("request", "command=read\ncommands=write",
	    "t.ini:4: \"command\" and \"commands\" in inject-error are one "
	    "option"));
	/* In compat mode too, with FILE:LINE: not an injector message. */
	CHECK(fails("[inject-error]\nevent=neg1\ncommand=read\n", true,
	    "t.ini:3: \"command\" in inject-error needs event request, reply "
	    "or data"));

	/* option */
	r = ext("option", "option=go");
	CHECK(r != NULL && r->option == 7);
	r = ext("option-reply", "option=structured-reply");
	CHECK(r != NULL && r->option == 8);
	r = ext("option", "option=42");
	CHECK(r != NULL && r->option == 42);
	r = ext("option", "option=export-name");
	CHECK(r != NULL && r->option == 1);
	CHECK(ext_fails("option", "option=gone", "t.ini:3: invalid "
	    "\"option\""));
	CHECK(ext_fails("option", "option=-1", "t.ini:3: invalid \"option\""));
	CHECK(ext_fails("option", "option=2147483648", "t.ini:3: invalid"));
	CHECK(ext_fails("request", "option=go", "t.ini:3: \"option\" in "
	    "inject-error needs event option or option-reply"));

	/* offset */
	r = ext("request", "offset=4K-8K");
	CHECK(r != NULL && r->has_range && r->range_start == 4096 &&
	    r->range_end == 8192);
	r = ext("reply", "offset=1M+512");
	CHECK(r != NULL && r->range_start == 1048576 &&
	    r->range_end == 1048576 + 512);
	r = ext("data", "offset=512");
	CHECK(r != NULL && r->range_start == 512 && r->range_end == 513);
	r = ext("data", "offset= 0 - 1G ");
	CHECK(r != NULL && r->range_start == 0 && r->range_end == 1 << 30);
	CHECK(ext_fails("data", "offset=8K-4K", "t.ini:3: invalid \"offset\""));
	CHECK(ext_fails("data", "offset=4K-4K", "t.ini:3: invalid"));
	CHECK(ext_fails("data", "offset=4K+0", "t.ini:3: invalid"));
	CHECK(ext_fails("data", "offset=8E+8E", "t.ini:3: invalid"));
	CHECK(ext_fails("data", "offset=18446744073709551615",
	    "t.ini:3: invalid"));
	CHECK(ext_fails("data", "offset=-5", "t.ini:3: invalid"));
	CHECK(ext_fails("data", "offset=1.5K", "t.ini:3: invalid"));
	CHECK(ext_fails("neg2", "offset=0", "t.ini:3: \"offset\" in "
	    "inject-error needs event request"));

	/* skip, count, once, scope, connection */
	r = ext("request", "skip=3\ncount=2\nscope=server\nconnection=2");
	CHECK(r != NULL && r->skip == 3 && r->count == 2 && r->server_scope &&
	    r->connection == 2 && !r->once);
	r = ext("request", "once=yes");
	CHECK(r != NULL && r->once && r->count == 1 && r->server_scope);
	r = ext("request", "once=off");
	CHECK(r != NULL && !r->once && r->count == 0 && !r->server_scope);
	r = ext("request", "once=1\nskip=2");
	CHECK(r != NULL && r->once && r->skip == 2);
	CHECK(ext_fails("request", "skip=-1", "t.ini:3: invalid \"skip\""));
	CHECK(ext_fails("request", "skip=1K", "t.ini:3: invalid \"skip\""));
	CHECK(ext_fails("request", "count=18446744073709551616",
	    "t.ini:3: invalid \"count\""));
	CHECK(ext_fails("request", "once=maybe", "t.ini:3: invalid \"once\""));
	CHECK(ext_fails("request", "once=true\ncount=2", "t.ini:3: \"once\""));
	CHECK(ext_fails("request", "once=true\nscope=server",
	    "t.ini:3: \"once\""));
	CHECK(ext_fails("request", "scope=world", "t.ini:3: invalid "
	    "\"scope\""));
	CHECK(ext_fails("request", "connection=0", "t.ini:3: invalid "
	    "\"connection\""));

	/* rate, in nbdkit's forms */
	r = ext("request", "rate=10%");
	CHECK(r != NULL && r->rate > 0.0999 && r->rate < 0.1001);
	r = ext("request", "rate=0.25");
	CHECK(r != NULL && r->rate == 0.25);
	r = ext("request", "rate=1:4");
	CHECK(r != NULL && r->rate == 0.25);
	r = ext("request", "rate=1/8");
	CHECK(r != NULL && r->rate == 0.125);
	r = ext("request", "rate=1e-1");
	CHECK(r != NULL && r->rate > 0.0999 && r->rate < 0.1001);
	r = ext("request", "rate=0");
	CHECK(r != NULL && r->rate == 0);
	r = ext("request", "rate=100%");
	CHECK(r != NULL && r->rate == 1);
	CHECK(ext_fails("request", "rate=1.5", "t.ini:3: invalid \"rate\""));
	CHECK(ext_fails("request", "rate=101%", "t.ini:3: invalid"));
	CHECK(ext_fails("request", "rate=-0.1", "t.ini:3: invalid"));
	CHECK(ext_fails("request", "rate=1/0", "t.ini:3: invalid"));
	CHECK(ext_fails("request", "rate=nan", "t.ini:3: invalid"));
	CHECK(ext_fails("request", "rate=inf", "t.ini:3: invalid"));
	CHECK(ext_fails("request", "rate=0x1p-3", "t.ini:3: invalid"));
	CHECK(ext_fails("request", "rate=%", "t.ini:3: invalid"));
	CHECK(ext_fails("request", "rate=1e999:1e999", "t.ini:3: invalid"));

	/* trigger */
	r = ext("neg1", "trigger-file=/run/x y");
	CHECK(r != NULL && strcmp(r->trigger, "/run/x y") == 0);
	CHECK(ext_fails("neg1", "trigger=", "t.ini:3: invalid \"trigger\""));
	CHECK(ext_fails("neg1", "trigger=a\ntrigger-file=b", "t.ini:4: "
	    "\"trigger\" and \"trigger-file\""));

	/* actions */
	r = ext("neg1", "action=close");
	CHECK(r != NULL && r->action == ACT_CLOSE);
	r = ext("neg1", "action=RESET");
	CHECK(r != NULL && r->action == ACT_RESET);
	r = ext("neg1", "action=stall");
	CHECK(r != NULL && r->action == ACT_STALL);
	r = ext("reply", "action=error");
	CHECK(r != NULL && r->action == ACT_ERROR && r->errno_wire == 5);
	r = ext("request", "action=error\nerrno=ENOSPC");
	CHECK(r != NULL && r->errno_wire == 28);
	r = ext("request", "action=error\nerrno=eshutdown");
	CHECK(r != NULL && r->errno_wire == 108);
	r = ext("data", "delay=500ms");
	CHECK(r != NULL && r->action == ACT_DELAY && r->delay_ms == 500);
	r = ext("neg1", "action=delay\ndelay=2s");
	CHECK(r != NULL && r->action == ACT_DELAY && r->delay_ms == 2000);
	r = ext("data", "action=corrupt\nbits=3");
	CHECK(r != NULL && r->action == ACT_CORRUPT && r->corrupt_bits == 3 &&
	    r->io == IO_WRITE);
	r = ext("data", "action=truncate\nio=write");
	CHECK(r != NULL && r->action == ACT_TRUNCATE && r->io == IO_WRITE);
	CHECK(ext_fails("neg1", "action=explode", "t.ini:3: invalid "
	    "\"action\""));
	CHECK(ext_fails("neg1", "action=error", "t.ini:3: \"action\" in "
	    "inject-error needs event request, reply or data"));
	CHECK(ext_fails("request", "action=corrupt", "t.ini:3: \"action\" in "
	    "inject-error needs event data"));
	CHECK(ext_fails("data", "action=truncate\nio=read", "t.ini:3: "
	    "\"action\" in inject-error needs io write"));
	CHECK(ext_fails("request", "errno=EIO", "t.ini:3: \"errno\" in "
	    "inject-error needs action error"));
	CHECK(ext_fails("request", "action=error\nerrno=EAGAIN",
	    "t.ini:4: invalid \"errno\""));
	CHECK(ext_fails("request", "action=close\ndelay=1s", "t.ini:4: "
	    "\"delay\" in inject-error needs action delay"));
	CHECK(ext_fails("request", "action=delay", "t.ini:3: \"action\" in "
	    "inject-error needs a \"delay\""));
	CHECK(ext_fails("request", "delay=soon", "t.ini:3: invalid "
	    "\"delay\""));
	CHECK(ext_fails("data", "bits=2", "t.ini:3: \"bits\" in inject-error "
	    "needs action corrupt"));
	CHECK(ext_fails("data", "action=corrupt\nbits=0", "t.ini:4: invalid "
	    "\"bits\""));

	/* Our keys through DEFAULT, and a section's own alias over it. */
	r = rule1("[DEFAULT]\ncommands=read\n[inject-error]\nevent=request\n"
	    "command=write\n", false);
	CHECK(r != NULL && r->commands == 2);

	CHECK(strcmp(event_name(EV_NEG_CLASSIC), "neg-classic") == 0);
	CHECK(strcmp(event_name(EV_OPTION_REPLY), "option-reply") == 0);
	CHECK(strcmp(event_name(EV_DATA), "data") == 0);
	CHECK(event_name(EV_COUNT) == NULL);
	CHECK(strcmp(action_name(ACT_EXIT), "exit") == 0);
	CHECK(strcmp(action_name(ACT_TRUNCATE), "truncate") == 0);
	CHECK(action_name((enum action)99) == NULL);
}

static struct message
msg(enum event e, enum io_dir io, int command, uint64_t offset,
    uint64_t length)
{
	struct message m = {
		.event = e, .io = io, .command = command, .option = -1,
		.offset = offset, .length = length, .size = 28,
	};

	return m;
}

/* How many rules match m, with the first one's index in *first. */
static size_t
count_matches(struct rule_set *set, struct rule_state *st,
    struct message m, size_t *first)
{
	size_t idx[16], n;

	n = rules_match(set, st, &m, idx);
	if (n > 0 && first != NULL)
		*first = idx[0];
	return n;
}

static bool
hits(struct rule_set *set, struct rule_state *st, struct message m)
{
	return count_matches(set, st, m, NULL) > 0;
}

static void
test_selectors(void)
{
	struct rule_set set;
	struct rule_state st;
	struct message m;
	size_t idx[4], first = 99;
	uint64_t off;

	CHECK(parse("[inject-error]\nevent=data\nio=read\n"
	    "[inject-error2]\nevent=data\n[inject-error3]\nevent=request\n"
	    "command=flush,trim\n", false, &set));
	rule_state_init(&st, &set, 1, 0);
	/* Event and direction; every match, in file order. */
	m = msg(EV_DATA, IO_READ, 1, 0, 512);
	CHECK(rules_match(&set, &st, &m, idx) == 2 && idx[0] == 0 &&
	    idx[1] == 1);
	m = msg(EV_DATA, IO_WRITE, 0, 0, 512);
	CHECK(rules_match(&set, &st, &m, idx) == 1 && idx[0] == 1);
	CHECK(!hits(&set, &st, msg(EV_REPLY, IO_WRITE, 0, 0, 512)));
	/* Commands. */
	CHECK(!hits(&set, &st, msg(EV_REQUEST, IO_READ, 0, 0, 512)));
	CHECK(hits(&set, &st, msg(EV_REQUEST, IO_READ, 3, 0, 0)));
	CHECK(hits(&set, &st, msg(EV_REQUEST, IO_READ, 4, 0, 512)));
	CHECK(!hits(&set, &st, msg(EV_REQUEST, IO_READ, -1, 0, 0)));
	CHECK(!hits(&set, &st, msg(EV_REQUEST, IO_READ, 35, 0, 0)));
	rule_state_free(&st);
	rules_free(&set);

	/* Options. */
	CHECK(parse("[inject-error]\nevent=option\noption=go\n", false,
	    &set));
	rule_state_init(&st, &set, 1, 0);
	m = msg(EV_OPTION, IO_READ, -1, 0, 0);
	m.option = 7;
	CHECK(hits(&set, &st, m));
	m.option = 6;
	CHECK(!hits(&set, &st, m));
	rule_state_free(&st);
	rules_free(&set);

	/* Offset ranges: [4K, 8K). */
	CHECK(parse("[inject-error]\nevent=request\noffset=4K-8K\n", false,
	    &set));
	rule_state_init(&st, &set, 1, 0);
	CHECK(!hits(&set, &st, msg(EV_REQUEST, IO_READ, 0, 0, 4096)));
	CHECK(hits(&set, &st, msg(EV_REQUEST, IO_READ, 0, 0, 4097)));
	CHECK(hits(&set, &st, msg(EV_REQUEST, IO_READ, 0, 4096, 1)));
	CHECK(hits(&set, &st, msg(EV_REQUEST, IO_READ, 0, 8191, 1)));
	CHECK(hits(&set, &st, msg(EV_REQUEST, IO_READ, 0, 0, 1 << 20)));
	CHECK(!hits(&set, &st, msg(EV_REQUEST, IO_READ, 0, 8192, 512)));
	CHECK(hits(&set, &st, msg(EV_REQUEST, IO_READ, 3, 4096, 0)));
	CHECK(hits(&set, &st, msg(EV_REQUEST, IO_READ, 3, 8191, 0)));
	CHECK(!hits(&set, &st, msg(EV_REQUEST, IO_READ, 3, 8192, 0)));
	CHECK(!hits(&set, &st, msg(EV_REQUEST, IO_READ, 3, 4095, 0)));
	/* A request past 2^64 does not wrap round to the start. */
	CHECK(!hits(&set, &st, msg(EV_REQUEST, IO_READ, 0, UINT64_MAX - 9,
	    8192)));
	rule_state_free(&st);
	rules_free(&set);
	CHECK(parse("[inject-error]\nevent=request\noffset=512\n"
	    "[inject-error2]\nevent=request\noffset=1K-15E\n", false, &set));
	rule_state_init(&st, &set, 1, 0);
	CHECK(hits(&set, &st, msg(EV_REQUEST, IO_READ, 0, 512, 0)));
	CHECK(!hits(&set, &st, msg(EV_REQUEST, IO_READ, 0, 0, 512)));
	CHECK(count_matches(&set, &st, msg(EV_REQUEST, IO_READ, 0, 0, 513),
	    &first) == 1 && first == 0);
	/* Its end saturates: wrapped, it would end at 5, before 1K. */
	off = (UINT64_C(15) << 60) - 10;
	CHECK(count_matches(&set, &st, msg(EV_REQUEST, IO_READ, 0, off,
	    UINT64_MAX - off + 6), &first) == 1 && first == 1);
	rule_state_free(&st);
	rules_free(&set);
}

static void
test_trigger_and_connection(void)
{
	struct rule_set set;
	struct rule_state st, st2;
	char dir[] = "/tmp/test-rules.XXXXXX", path[64], text[256];
	int fd;

	if (mkdtemp(dir) == NULL) {
		CHECK(!"mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/go", dir);
	snprintf(text, sizeof(text), "[inject-error]\nevent=neg1\n"
	    "trigger=%s\nskip=1\n", path);
	CHECK(parse(text, false, &set));
	rule_state_init(&st, &set, 1, 0);
	/* Absent: no match, and not counted either. */
	CHECK(!hits(&set, &st, msg(EV_NEG1, IO_WRITE, -1, 0, 0)));
	CHECK(!hits(&set, &st, msg(EV_NEG1, IO_WRITE, -1, 0, 0)));
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	CHECK(fd != -1);
	close(fd);
	CHECK(!hits(&set, &st, msg(EV_NEG1, IO_WRITE, -1, 0, 0)));
	CHECK(hits(&set, &st, msg(EV_NEG1, IO_WRITE, -1, 0, 0)));
	CHECK(hits(&set, &st, msg(EV_NEG1, IO_WRITE, -1, 0, 0)));
	unlink(path);
	CHECK(!hits(&set, &st, msg(EV_NEG1, IO_WRITE, -1, 0, 0)));
	rmdir(dir);
	rule_state_free(&st);
	rules_free(&set);

	CHECK(parse("[inject-error]\nevent=neg1\nconnection=2\n", false,
	    &set));
	rule_state_init(&st, &set, 1, 0);
	rule_state_init(&st2, &set, 2, 0);
	CHECK(!hits(&set, &st, msg(EV_NEG1, IO_WRITE, -1, 0, 0)));
	CHECK(hits(&set, &st2, msg(EV_NEG1, IO_WRITE, -1, 0, 0)));
	rule_state_free(&st);
	rule_state_free(&st2);
	rules_free(&set);
}

static void
test_counting(void)
{
	struct rule_set set;
	struct rule_state a, b;
	struct message m = msg(EV_REQUEST, IO_READ, 0, 0, 512);
	int i;
	bool got[8];

	/* skip=2 count=2: the third and fourth occurrences only. */
	CHECK(parse("[inject-error]\nevent=request\nskip=2\ncount=2\n", false,
	    &set));
	rule_state_init(&a, &set, 1, 0);
	rule_state_init(&b, &set, 2, 0);
	for (i = 0; i < 8; i++)
		got[i] = hits(&set, &a, m);
	CHECK(!got[0] && !got[1] && got[2] && got[3] && !got[4] && !got[7]);
	/* Per connection by default: b counts from zero. */
	CHECK(!hits(&set, &b, m) && !hits(&set, &b, m) && hits(&set, &b, m));
	CHECK(a.seen[0] == 8 && a.fired[0] == 2 && set.rules[0].seen == 0);
	rule_state_free(&a);
	rule_state_free(&b);
	rules_free(&set);

	/* Server scope: one count over all connections. */
	CHECK(parse("[inject-error]\nevent=request\nskip=1\ncount=2\n"
	    "scope=server\n", false, &set));
	rule_state_init(&a, &set, 1, 0);
	rule_state_init(&b, &set, 2, 0);
	CHECK(!hits(&set, &a, m));
	CHECK(hits(&set, &b, m));
	CHECK(hits(&set, &a, m));
	CHECK(!hits(&set, &b, m));
	CHECK(!hits(&set, &a, m));
	CHECK(set.rules[0].seen == 5 && set.rules[0].fired == 2);
	rule_state_free(&a);
	rule_state_free(&b);
	rules_free(&set);

	/* once: the first occurrence anywhere, never again. */
	CHECK(parse("[inject-error]\nevent=request\nonce=true\n", false,
	    &set));
	rule_state_init(&a, &set, 1, 0);
	rule_state_init(&b, &set, 2, 0);
	CHECK(hits(&set, &a, m));
	CHECK(!hits(&set, &b, m));
	CHECK(!hits(&set, &a, m));
	rule_state_free(&a);
	rule_state_free(&b);
	rules_free(&set);
}

/* The pattern of 64 draws of a rate rule, as bits. */
static uint64_t
pattern(struct rule_set *set, uint64_t connection, uint64_t seed,
    size_t rule)
{
	struct rule_state st;
	struct message m = msg(EV_REQUEST, IO_READ, 0, 0, 512);
	size_t idx[4], n, j;
	uint64_t bits = 0;
	int i;

	rule_state_init(&st, set, connection, seed);
	for (i = 0; i < 64; i++) {
		n = rules_match(set, &st, &m, idx);
		for (j = 0; j < n; j++)
			if (idx[j] == rule)
				bits |= UINT64_C(1) << i;
	}
	rule_state_free(&st);
	return bits;
}

static void
test_rate(void)
{
	struct rule_set set, set2;
	struct rule_state st;
	struct message m = msg(EV_REQUEST, IO_READ, 0, 0, 512);
	int i, n;

	CHECK(parse("[inject-error]\nevent=request\nrate=50%\n", false, &set));
	/* Same seed and connection, same draws; else others. */
	CHECK(pattern(&set, 1, 42, 0) == pattern(&set, 1, 42, 0));
	CHECK(pattern(&set, 1, 42, 0) != pattern(&set, 1, 43, 0));
	CHECK(pattern(&set, 1, 42, 0) != pattern(&set, 2, 42, 0));
	CHECK(pattern(&set, 1, 0, 0) != 0);
	/* Roughly half, over many. */
	rule_state_init(&st, &set, 1, 7);
	for (i = n = 0; i < 10000; i++)
		n += hits(&set, &st, m);
	CHECK(n > 4500 && n < 5500);
	/* A failed draw is seen but not fired. */
	CHECK(st.seen[0] == 10000 && st.fired[0] == (uint64_t)n);
	rule_state_free(&st);

	/* A sure rule before it draws nothing: the same stream. */
	CHECK(parse("[inject-error0]\nevent=request\n[inject-error]\n"
	    "event=request\nrate=50%\n", false, &set2));
	CHECK(pattern(&set2, 1, 42, 1) == pattern(&set, 1, 42, 0));
	CHECK(pattern(&set2, 1, 42, 0) == UINT64_MAX);
	rules_free(&set2);
	rules_free(&set);

	/* rate 0 never, rate 1 always. */
	CHECK(parse("[inject-error]\nevent=request\nrate=0\n[inject-error1]\n"
	    "event=request\nrate=1:1\n[inject-error2]\nevent=request\n"
	    "rate=0%\ncount=0\n", false, &set));
	CHECK(pattern(&set, 1, 1, 0) == 0 && pattern(&set, 1, 1, 2) == 0);
	CHECK(pattern(&set, 1, 1, 1) == UINT64_MAX);
	rules_free(&set);

	/* skip counts occurrences, before any draw. */
	CHECK(parse("[inject-error]\nevent=request\nrate=1e-0\nskip=60\n",
	    false, &set));
	CHECK(pattern(&set, 1, 1, 0) == UINT64_C(0xf) << 60);
	rules_free(&set);
}

struct racer {
	struct rule_set *set;
	uint64_t connection;
	int fired;
};

static void *
race(void *arg)
{
	struct racer *r = arg;
	struct rule_state st;
	struct message m = msg(EV_REQUEST, IO_READ, 0, 0, 512);
	int i;

	rule_state_init(&st, r->set, r->connection, 1);
	for (i = 0; i < 2000; i++)
		r->fired += (int)count_matches(r->set, &st, m, NULL);
	rule_state_free(&st);
	return NULL;
}

/* Server-scope counters under contention: once is once. */
static void
test_threads(void)
{
	struct rule_set set;
	struct racer r[8];
	pthread_t t[8];
	int i, total = 0;

	CHECK(parse("[inject-error]\nevent=request\nonce=on\n"
	    "[inject-error2]\nevent=request\nscope=server\ncount=100\n"
	    "skip=50\n", false, &set));
	for (i = 0; i < 8; i++) {
		r[i].set = &set;
		r[i].connection = (uint64_t)i + 1;
		r[i].fired = 0;
		pthread_create(&t[i], NULL, race, &r[i]);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		total += r[i].fired;
	}
	CHECK(total == 1 + 100);
	CHECK(set.rules[0].fired == 1 && set.rules[1].fired == 100 &&
	    set.rules[1].seen == 8 * 2000);
	rules_free(&set);
}

static void
test_load(void)
{
	struct rule_set set;
	char path[] = "/tmp/test-rules.XXXXXX", err[512], want[600];
	const char text[] = "[inject-error]\nevent=neg1\nwhen=x\n";
	int fd;

	fd = mkstemp(path);
	CHECK(fd != -1);
	if (fd == -1)
		return;
	CHECK(write(fd, text, sizeof(text) - 1) == (ssize_t)sizeof(text) - 1);
	close(fd);
	CHECK(rules_load(path, false, &set, err, sizeof(err)) == -1);
	snprintf(want, sizeof(want), "%s:3: invalid \"when\" option value "
	    "\"x\" in inject-error", path);
	CHECK(strcmp(err, want) == 0);
	rules_free(&set);
	CHECK(rules_load(path, true, &set, err, sizeof(err)) == -1);
	CHECK(strcmp(err, "invalid \"when\" option value \"x\" in "
	    "inject-error") == 0);
	rules_free(&set);
	unlink(path);
	CHECK(rules_load(path, true, &set, err, sizeof(err)) == -1);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	CHECK(strcmp(err, want) == 0);
	rules_free(&set);
	CHECK(rules_load("/", true, &set, err, sizeof(err)) == -1);
	CHECK(strcmp(err, "/: Is a directory") == 0);
	rules_free(&set);
	/* A short err buffer is cut, not overrun. */
	CHECK(rules_parse("[x]\n", 4, "t.ini", false, &set, err, 8) == -1);
	CHECK(strcmp(err, "t.ini:1") == 0);
	rules_free(&set);
}

int
main(void)
{
	test_injector_files();
	test_compat_errors();
	test_when();
	test_grammar();
	test_extensions();
	test_selectors();
	test_trigger_and_connection();
	test_counting();
	test_rate();
	test_threads();
	test_load();
	if (one_live)
		rules_free(&one);
	return check_result();
}
