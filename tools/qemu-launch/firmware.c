/*
 * firmware: the UEFI firmware of an image target, given or found, and
 * its variable store.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "argv.h"
#include "diag.h"
#include "fdio.h"
#include "firmware.h"
#include "fwdesc.h"
#include "xalloc.h"


static bool
same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/*
 * The variable store beside a CODE file, by the distributions' names:
 * CODE becomes VARS (OVMF_CODE_4M.fd, OVMF_CODE.4m.fd, AAVMF_CODE.fd,
 * RISCV_VIRT_CODE.fd...), and a Secure Boot build's name without its
 * ".secboot" (Debian's OVMF_CODE_4M.secboot.fd takes OVMF_VARS_4M.fd,
 * Arch's OVMF_CODE.secboot.4m.fd OVMF_VARS.4m.fd).  Returns the one
 * that is there (malloc'd), or NULL; *expected is the first name
 * (malloc'd), or NULL if the name has no CODE (a monolithic file).
 */
static char *
vars_beside(const char *code, char **expected)
{
	const char *base = strrchr(code, '/');
	char *first, *other, *at, *sb;

	*expected = NULL;
	base = base != NULL ? base + 1 : code;
	if ((at = strstr(base, "CODE")) == NULL)
		return NULL;
	first = xstrdup(code);
	memcpy(first + (at - code), "VARS", 4);
	*expected = first;
	if (access(first, R_OK) == 0)
		return xstrdup(first);
	other = xstrdup(first);
	if ((sb = strstr(other + (base - code), ".secboot")) != NULL) {
		memmove(sb, sb + 8, strlen(sb + 8) + 1);
		if (access(other, R_OK) == 0)
			return other;
	}
	free(other);
	return NULL;
}

/*
 * The bios setting: a descriptor's pairing (the first for the machine,
 * else the first at all, as long as it needs no SMM), or the names'.
 */
static int
given(struct target *t, const struct fw_desc *d, size_t n)
{
	const struct origin *at = &t->set[KEY_BIOS].at;
	const struct arch_info *a = &arch_table[t->arch];
	const struct fw_desc *take = NULL;
	const char *smm = NULL;
	char *expected;
	int errors = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!same_file(d[i].code, t->bios))
			continue;
		if (d[i].needs_smm)
			smm = smm != NULL ? smm : d[i].path;
		else if (take == NULL || (d[i].for_machine &&
		    !take->for_machine))
			take = &d[i];
	}
	if (take != NULL) {
		if (take->vars != NULL && access(take->vars, R_OK) < 0)
			return bad_at(at, "bios: %s needs its variable store "
			    "%s (as %s says), which is missing", t->bios,
			    take->vars, take->path);
		t->bios_vars = take->vars != NULL ? xstrdup(take->vars) : NULL;
		return 0;
	}
	if (smm != NULL)
		return bad_at(at, "bios: %s needs SMM on a q35 machine (as %s "
		    "says), and qemu-launch boots %s: take a firmware without "
		    "Secure Boot's SMM, such as %s", t->bios, smm, a->machine,
		    a->firmware[0]);
	t->bios_vars = vars_beside(t->bios, &expected);
	if (expected != NULL && t->bios_vars == NULL)
		errors = bad_at(at, "bios: %s is the code of a split firmware, "
		    "and its variable store %s is missing", t->bios, expected);
	free(expected);
	return errors;
}

static bool
readable(const char *path)
{
	return path == NULL || access(path, R_OK) == 0;
}

/* No bios setting: the first descriptor that fits, then arch.c's list. */
static int
found(struct target *t, const struct fw_desc *d, size_t n)
{
	const struct origin *at = &t->set[KEY_UEFI].at;
	const struct arch_info *a = &arch_table[t->arch];
	const char *const *f, *lone = NULL;
	char *expected, *vars;
	bool split;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!d[i].for_machine || d[i].needs_smm ||
		    !readable(d[i].code) || !readable(d[i].vars))
			continue;
		t->bios = xstrdup(d[i].code);
		t->bios_vars = d[i].vars != NULL ? xstrdup(d[i].vars) : NULL;
		return 0;
	}
	for (f = a->firmware; *f != NULL; f++) {
		if (!readable(*f))
			continue;
		vars = vars_beside(*f, &expected);
		split = expected != NULL;
		free(expected);
		if (split && vars == NULL) {
			lone = lone != NULL ? lone : *f;
			continue;
		}
		t->bios = xstrdup(*f);
		t->bios_vars = vars;
		return 0;
	}
	if (lone != NULL)
		return bad_at(at, "uefi: no whole UEFI firmware for %s: %s has "
		    "no variable store beside it (install %s, or set bios)",
		    a->name, lone, a->firmware_package);
	return bad_at(at, "uefi: no UEFI firmware for %s in %s or the other "
	    "usual places (install %s, or set bios)", a->name, a->firmware[0],
	    a->firmware_package);
}

int
firmware_resolve(struct target *t)
{
	struct fw_desc *d;
	size_t n;
	int errors;

	n = fw_desc_load(t->arch, &d);
	errors = t->bios != NULL ? given(t, d, n) : found(t, d, n);
	fw_desc_free_all(d, n);
	return errors;
}

int
firmware_copy_vars(const struct target *t, const char *rundir)
{
	static const char zeros[65536];
	char buf[sizeof(zeros)], *dst;
	int in = -1, out = -1, rc = -1;
	off_t size = 0;
	ssize_t got;

	dst = xasprintf("%s/%s", rundir, RUN_UEFI_VARS);
	if ((in = open(t->bios_vars, O_RDONLY | O_CLOEXEC)) < 0) {
		error_errno("%s", t->bios_vars);
		goto out;
	}
	/* A start after a failed one makes a fresh copy. */
	unlink(dst);
	if ((out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0) {
		error_errno("%s", dst);
		goto out;
	}
	while ((got = read(in, buf, sizeof(buf))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			error_errno("%s", t->bios_vars);
			goto out;
		}
		/* AAVMF's 64 MiB are nearly all zeros: holes cost nothing. */
		if ((got == (ssize_t)sizeof(buf) && memcmp(buf, zeros,
		    sizeof(buf)) == 0 ? lseek(out, got, SEEK_CUR) < 0 :
		    fd_write_all(out, buf, (size_t)got) < 0)) {
			error_errno("%s", dst);
			goto out;
		}
		size += got;
	}
	rc = ftruncate(out, size);
	if (close(out) < 0)
		rc = -1;
	out = -1;
	if (rc < 0)
		error_errno("%s", dst);
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	free(dst);
	return rc;
}
