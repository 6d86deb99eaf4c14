/*
 * Fuzzes the control channel's text as vm-init reads it: any bytes but
 * NUL (vm-init refuses a NUL before it parses) through
 * cmdline_parse_control(), over a command line's settings.  What the
 * channel may not set stays as the command line left it; every mount
 * taken has a tag and an absolute path; vm.time is a valid timespec;
 * vm.entropy holds 32 to 512 bytes.  Then the other way: the same bytes
 * as a guest path, through qemu-launch's handoff_config() and back, come
 * back byte for byte, with their mode.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tools/qemu-launch/handoff.h"
#include "../tools/vm-init/cmdline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void
quiet(const char *fmt, ...)
{
	(void)fmt;
}

static void
check_parse(const char *bytes, size_t size)
{
	char cmdline[] = "vm.root=r vm.qga=/q vm.hostname=h vm.debug "
	    "vm.control=p vm.mount=t:/m";
	struct config c;
	char *text;
	int i;

	if ((text = malloc(size + 1)) == NULL)
		abort();
	memcpy(text, bytes, size);
	text[size] = '\0';
	cmdline_defaults(&c);
	if (cmdline_parse(cmdline, &c, quiet) != 0)
		abort();
	cmdline_parse_control(text, &c, quiet);
	if (strcmp(c.root_tag, "r") != 0 || strcmp(c.qga, "/q") != 0 ||
	    strcmp(c.hostname, "h") != 0 || !c.debug || c.msize != 0 ||
	    strcmp(c.control, "p") != 0 || c.root_ro)
		abort();
	if (c.nmounts < 1 || strcmp(c.mounts[0].path, "/m") != 0)
		abort();
	for (i = 0; i < c.nmounts; i++)
		if (c.mounts[i].tag[0] == '\0' || c.mounts[i].path[0] != '/')
			abort();
	if (c.time_given && (c.time.tv_sec < 0 || c.time.tv_nsec < 0 ||
	    c.time.tv_nsec > 999999999))
		abort();
	if (c.entropy != NULL && (c.entropy_len < ENTROPY_MIN ||
	    c.entropy_len > ENTROPY_MAX))
		abort();
	free(c.mounts);
	free(text);
}

static void
check_round_trip(const char *bytes, size_t size)
{
	struct target t;
	struct mount m;
	struct plan p;
	struct config c;
	char *guest, *text;

	if ((guest = malloc(size + 2)) == NULL)
		abort();
	guest[0] = '/';
	memcpy(guest + 1, bytes, size);
	guest[size + 1] = '\0';
	memset(&t, 0, sizeof(t));
	memset(&m, 0, sizeof(m));
	memset(&p, 0, sizeof(p));
	t.is_kernel = true;
	m.guest = guest;
	m.writable = size % 2 == 0;
	t.mount = &m;
	t.nmount = 1;
	p.interactive = size % 3 == 0;
	text = handoff_config(&t, &p);
	cmdline_defaults(&c);
	if (cmdline_parse_control(text, &c, quiet) != 0)
		abort();
	if (c.nmounts != 1 || strcmp(c.mounts[0].tag, "mount0") != 0 ||
	    strcmp(c.mounts[0].path, guest) != 0 ||
	    c.mounts[0].ro == m.writable || c.interactive != p.interactive)
		abort();
	free(c.mounts);
	free(text);
	free(guest);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (memchr(data, '\0', size) != NULL)
		return 0;
	check_parse((const char *)data, size);
	check_round_trip((const char *)data, size);
	return 0;
}
