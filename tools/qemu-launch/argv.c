/*
 * argv: what vmtest's src/qemu.rs builds, in its order, with these
 * differences (docs/architecture.md has the why):
 *
 * - sockets and the serial log in the private run directory, reached by
 *   -chardev so that a path with a comma survives (QEMU's option syntax
 *   doubles it);
 * - the accelerator named (-accel kvm or tcg), chosen by accel.c;
 * - -cpu max under TCG on x86_64 too: qemu64 cannot run x86-64-v2
 *   userspace;
 * - kernel targets boot an initrd whose vm-init mounts the 9p root, so
 *   distribution kernels work (9p as modules);
 * - the image's format is named, not guessed;
 * - mounts in guest path order with tags mount0, mount1...; no output
 *   port, as qga-exec streams through guest files;
 * - with vm-initrd's initrd, a second port, vm-init's control channel
 *   (handoff.h), which carries the mounts instead of the command line;
 * - with net (vmtest has none, its issue #12), QEMU's user-mode network
 *   on a virtio NIC, and vm.net=1 for vm-init to configure it.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "diag.h"
#include "gdb.h"
#include "handoff.h"
#include "initrd.h"
#include "xalloc.h"

static void
grow(struct strv *s)
{
	if (s->n + 2 <= s->cap)
		return;
	s->cap = s->cap * 2 + 32;
	s->v = xreallocarray(s->v, s->cap, sizeof(*s->v));
}

static void
strv_push(struct strv *s, const char *word)
{
	grow(s);
	s->v[s->n] = xstrdup(word);
	s->v[++s->n] = NULL;
}

static void strv_pushf(struct strv *, const char *, ...)
	__attribute__((format(printf, 2, 3)));

static void
strv_pushf(struct strv *s, const char *fmt, ...)
{
	va_list ap;

	grow(s);
	va_start(ap, fmt);
	s->v[s->n] = xvasprintf(fmt, ap);
	va_end(ap);
	s->v[++s->n] = NULL;
}

void
strv_free(struct strv *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/*
 * A value inside a QEMU option list (key=value,key=value): commas
 * doubled.  Returns a static buffer of the four below, in turn, so that
 * one call of strv_pushf() may use several.
 */
static const char *
opt(const char *value)
{
	static char *bufs[4];
	static int next;
	char *b, *o;

	next = (next + 1) % 4;
	free(bufs[next]);
	b = xreallocarray(NULL, strlen(value) + 1, 2);
	for (o = b; *value != '\0'; value++) {
		*o++ = *value;
		if (*value == ',')
			*o++ = ',';
	}
	*o = '\0';
	return bufs[next] = b;
}

/* A file in the run directory, as an option value. */
static const char *
run_file(const struct plan *p, const char *name)
{
	static char *bufs[2];
	static int next;
	next = (next + 1) % 2;
	free(bufs[next]);
	bufs[next] = xasprintf("%s/%s", p->key_mode ? "RUNDIR" : p->rundir,
	    name);
	return opt(bufs[next]);
}

/*
 * A 9p export.  -virtfs makes a virtio-9p-pci device; s390x has no PCI,
 * so there the pair it stands for is spelled out with the CCW device.
 */
static void
add_9p(struct strv *s, const struct target *t, const struct plan *p,
    const char *id, const char *path, const char *tag, bool readonly)
{
	const char *ro = readonly ? ",readonly=on" : "";

	/* Which host directory is behind a tag is no part of the guest. */
	if (p->key_mode)
		path = "HOST";

	if (arch_table[t->arch].ccw) {
		strv_push(s, "-fsdev");
		strv_pushf(s, "local,id=%s,path=%s,security_model=none,"
		    "multidevs=remap%s", id, opt(path), ro);
		strv_push(s, "-device");
		strv_pushf(s, "virtio-9p-ccw,fsdev=%s,mount_tag=%s", id,
		    opt(tag));
		return;
	}
	strv_push(s, "-virtfs");
	strv_pushf(s, "local,id=%s,path=%s,mount_tag=%s,security_model=none,"
	    "multidevs=remap%s", id, opt(path), opt(tag), ro);
}

bool
argv_control(const struct target *t)
{
	return t->is_kernel && t->initrd == NULL;
}

/*
 * vmtest's command line without what vm-init now does (rootfstype,
 * rootflags, rw, init=), with vm-init's keys, and quiet: loglevel=4
 * keeps boot messages off a serial console that costs real time under
 * TCG.  A later kernel_args word wins (loglevel=7 to see them).
 */
char *
argv_cmdline(const struct target *t, const struct plan *p)
{
	const struct arch_info *a = &arch_table[t->arch];
	const char *args = t->set[KEY_KERNEL_ARGS].value;
	char *line = NULL;
	size_t len = 0, i;
	FILE *f;

	/* A memory stream fails only for want of memory. */
	if ((f = open_memstream(&line, &len)) == NULL)
		xalloc_die();
	/* loglevel before earlyprintk: the boot console replays the log. */
	fprintf(f, "console=%s,115200 loglevel=4", a->console);
	if (a->earlyprintk != NULL)
		fprintf(f, " %s", a->earlyprintk);
	fprintf(f, " printk.devkmsg=on panic=-1 raid=noautodetect");
	if (a->boot_args != NULL)
		fprintf(f, " %s", a->boot_args);
	fprintf(f, " vm.root=%s vm.share=%s", TAG_ROOT, TAG_SHARE);
	if (argv_control(t))
		fprintf(f, " vm.control=%s", CONTROL_PORT);
	for (i = 0; i < t->nmount && !argv_control(t); i++) {
		fputc(' ', f);
		handoff_put_mount(f, t, i);
	}
	if (p->interactive && !argv_control(t))
		fprintf(f, " vm.interactive=1");
	/* The kernel then runs where its vmlinux's symbols say. */
	if (t->gdb && !gdb_kaslr_said(args))
		fprintf(f, " nokaslr");
	/*
	 * On the line, not over the control channel: like the NIC it
	 * names, it is part of the machine, and so of a snapshot's key.
	 */
	if (t->net)
		fprintf(f, " vm.net=1");
	if (args != NULL && *args != '\0')
		fprintf(f, " %s", args);
	if (fclose(f) != 0)
		xalloc_die();
	return line;
}

/* The length of t's command line with its first nmount mounts. */
static size_t
cmdline_length(const struct target *t, size_t nmount, bool interactive,
    bool args)
{
	struct target part = *t;
	struct plan p = { .interactive = interactive };
	size_t len;
	char *line;

	part.nmount = nmount;
	if (!args)
		part.set[KEY_KERNEL_ARGS].value = NULL;
	line = argv_cmdline(&part, &p);
	len = strlen(line);
	free(line);
	return len;
}

/*
 * Names the mount whose word makes the line (len bytes) longer than max,
 * in the line's order, with vm.interactive=1 counted first: it is small,
 * and not the user's to shorten.  1 if one does, else 0.
 */
static int
mount_too_long(const struct target *t, size_t len, size_t max)
{
	const struct mount *m;
	char where[PATH_MAX + 32];
	size_t reserve, before, after, i;

	reserve = cmdline_length(t, 0, true, false) -
	    cmdline_length(t, 0, false, false);
	before = cmdline_length(t, 0, false, false);
	for (i = 0; i < t->nmount; i++, before = after) {
		after = cmdline_length(t, i + 1, false, false);
		if (after + reserve <= max)
			continue;
		m = &t->mount[i];
		error_msg("%s: mounts: guest path '%.60s%s' takes %zu bytes of "
		    "the kernel command line, encoded, which makes it %zu "
		    "bytes long; a %s kernel keeps %zu",
		    origin_text(&m->at, where, sizeof(where)), m->guest,
		    strlen(m->guest) > 60 ? "..." : "", after - before, len,
		    arch_table[t->arch].name, max);
		return 1;
	}
	return 0;
}

int
argv_cmdline_check(const struct target *t)
{
	const struct arch_info *a = &arch_table[t->arch];
	const struct setting *args = &t->set[KEY_KERNEL_ARGS];
	char where[PATH_MAX + 32];
	size_t len, max = a->cmdline_size - 1;

	if ((len = cmdline_length(t, t->nmount, true, true)) <= max)
		return 0;
	/* With the control channel, the mounts are not on the line. */
	if (!argv_control(t) && mount_too_long(t, len, max))
		return 1;
	error_msg("%s: %sthe kernel command line would be %zu bytes long; a "
	    "%s kernel keeps %zu", origin_text(args->value != NULL ? &args->at :
	    &t->at, where, sizeof(where)), args->value != NULL ?
	    "kernel_args: " : "", len, a->name, max);
	return 1;
}

/*
 * What snapshot boots add: a monitor for qemu-launch alone (it saves and
 * resumes through it while a command may hold the run's), and on x86
 * a VM generation ID, whose change on a restore makes Linux reseed its
 * random state.
 */
static void
add_snapshot_devices(struct strv *s, const struct target *t,
    const struct plan *p)
{
	strv_push(s, "-chardev");
	strv_pushf(s, "socket,id=launch,path=%s,server=on,wait=off",
	    run_file(p, RUN_MONITOR));
	strv_push(s, "-mon");
	strv_push(s, "chardev=launch,mode=control");
	if (t->arch == ARCH_X86_64) {
		strv_push(s, "-device");
		strv_push(s, "vmgenid,guid=auto");
	}
}

static void
put_quoted(FILE *f, const char *word)
{
	const char *k;

	fputc('\'', f);
	for (k = word; *k != '\0'; k++) {
		if (*k == '\'')
			fputs("'\\''", f);
		else
			fputc(*k, f);
	}
	fputc('\'', f);
}

/* Either quoted for a shell or not needing it: vm-initrd's command. */
static void
add_initrd_command(struct strv *s, const struct target *t)
{
	char *q = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = open_memstream(&q, &len)) == NULL)
		xalloc_die();
	fputs("\"$(vm-initrd --kernel ", f);
	put_quoted(f, t->kernel);
	if (initrd_foreign(t)) {
		fprintf(f, " --arch %s --rootfs ", arch_table[t->arch].name);
		put_quoted(f, t->rootfs);
	}
	fputs(")\"", f);
	if (fclose(f) != 0)
		xalloc_die();
	strv_push(s, q);
	s->raw = s->n;
	free(q);
}

static void
add_boot(struct strv *s, const struct target *t, const struct plan *p)
{
	const struct arch_info *a = &arch_table[t->arch];
	char *cmdline;

	if (t->is_kernel) {
		/* The unpacked kernel (kernel.h); vm-initrd reads the given. */
		strv_push(s, "-kernel");
		strv_push(s, p->key_mode ? "KERNEL" : t->boot_kernel != NULL ?
		    t->boot_kernel : t->kernel);
		strv_push(s, "-initrd");
		if (p->key_mode)
			strv_push(s, "INITRD");
		else if (p->initrd != NULL)
			strv_push(s, p->initrd);
		else
			add_initrd_command(s, t);
		strv_push(s, "-append");
		cmdline = argv_cmdline(t, p);
		strv_push(s, cmdline);
		free(cmdline);
		/* With panic=-1, a panic ends QEMU at once. */
		strv_push(s, "-no-reboot");
		add_9p(s, t, p, "root", t->rootfs, TAG_ROOT, false);
		return;
	}
	/*
	 * The image is never written: QEMU puts a qcow2 overlay in $TMPDIR,
	 * which the launch points at the run directory.
	 */
	strv_push(s, "-drive");
	strv_pushf(s, "file=%s,format=%s,if=none,id=disk0,snapshot=on",
	    opt(t->image), t->image_format);
	/* A full overlay is an I/O error in the guest, not a paused VM. */
	strv_push(s, "-device");
	strv_pushf(s, "virtio-blk-%s,drive=disk0,bootindex=1,werror=report,"
	    "rerror=report", a->ccw ? "ccw" : "pci");
	if (!t->uefi)
		return;
	/* A split firmware's code, and the run's own variables. */
	if (a->uefi_pflash || t->bios_vars != NULL) {
		strv_push(s, "-drive");
		strv_pushf(s, "if=pflash,format=raw,unit=0,readonly=on,file=%s",
		    opt(t->bios));
	} else {
		strv_push(s, "-bios");
		strv_push(s, t->bios);
	}
	if (t->bios_vars != NULL) {
		strv_push(s, "-drive");
		strv_pushf(s, "if=pflash,format=raw,unit=1,file=%s",
		    run_file(p, RUN_UEFI_VARS));
	}
}

void
argv_build(const struct target *t, const struct plan *p, struct strv *s)
{
	const struct arch_info *a = &arch_table[t->arch];
	size_t i;

	memset(s, 0, sizeof(*s));
	/* The binary is keyed by its identity, the files by their content. */
	strv_push(s, p->key_mode ? "QEMU" : t->qemu);
	strv_push(s, "-nodefaults");
	strv_push(s, "-display");
	strv_push(s, "none");
	strv_push(s, "-machine");
	strv_push(s, a->machine);
	strv_push(s, "-accel");
	strv_push(s, p->accel == ACCEL_KVM ? "kvm" : "tcg");
	strv_push(s, "-cpu");
	strv_push(s, p->accel == ACCEL_KVM ? t->kvm_cpu_args : a->tcg_cpu);
	strv_push(s, "-smp");
	strv_pushf(s, "%u", t->num_cpus);
	strv_push(s, "-m");
	strv_push(s, t->memory);

	if (p->key_mode) {
		strv_push(s, "-serial");
		strv_push(s, "SERIAL");
	} else if (p->interactive) {
		/* vmtest's: Ctrl-A c reaches the monitor, Ctrl-A x quits. */
		strv_push(s, "-serial");
		strv_push(s, "mon:stdio");
	} else {
		strv_push(s, "-chardev");
		strv_pushf(s, "file,id=serial0,path=%s",
		    run_file(p, RUN_SERIAL));
		strv_push(s, "-serial");
		strv_push(s, "chardev:serial0");
	}
	strv_push(s, "-chardev");
	strv_pushf(s, "socket,id=qmp,path=%s,server=on,wait=off",
	    run_file(p, RUN_QMP));
	strv_push(s, "-mon");
	strv_push(s, "chardev=qmp,mode=control");
	strv_push(s, "-chardev");
	strv_pushf(s, "socket,id=qga0,path=%s,server=on,wait=off",
	    run_file(p, RUN_QGA));
	/* "virtio-serial" is -pci or -ccw, as the machine has. */
	strv_push(s, "-device");
	strv_push(s, "virtio-serial");
	strv_push(s, "-device");
	strv_push(s, "virtserialport,chardev=qga0,"
	    "name=org.qemu.guest_agent.0");
	if (argv_control(t)) {
		strv_push(s, "-chardev");
		strv_pushf(s, "socket,id=control,path=%s,server=on,wait=off",
		    run_file(p, RUN_CONTROL));
		strv_push(s, "-device");
		strv_push(s, "virtserialport,chardev=control,name="
		    CONTROL_PORT);
	}
	strv_push(s, "-pidfile");
	strv_push(s, run_file(p, RUN_PIDFILE));
	if (t->gdb) {
		strv_push(s, "-chardev");
		strv_pushf(s, "socket,id=gdb0,path=%s,server=on,wait=off",
		    run_file(p, RUN_GDB));
		strv_push(s, "-gdb");
		strv_push(s, "chardev:gdb0");
	}
	if (p->snapshots)
		add_snapshot_devices(s, t, p);

	add_boot(s, t, p);
	add_9p(s, t, p, "shared", t->share, TAG_SHARE, false);
	for (i = 0; i < t->nmount; i++) {
		char id[32];

		snprintf(id, sizeof(id), "mount%zu", i);
		add_9p(s, t, p, id, t->mount[i].host, id,
		    !t->mount[i].writable);
	}
	if (t->has_disk) {
		/*
		 * Errors reach the guest as I/O errors (werror=report), where
		 * the default would pause the VM on ENOSPC.
		 */
		strv_push(s, "-blockdev");
		strv_pushf(s, "driver=nbd,node-name=nbd0,server.type=unix,"
		    "server.path=%s", run_file(p, RUN_NBD));
		strv_push(s, "-device");
		strv_pushf(s, "virtio-blk-%s,drive=nbd0,serial=nbd-fault,"
		    "werror=report,rerror=report", a->ccw ? "ccw" : "pci");
	}
	if (t->net) {
		/* Before extra_args: the first NIC, so the guest's eth0. */
		strv_push(s, "-netdev");
		strv_push(s, "user,id=net0");
		/*
		 * A kernel never boots from the network: without iPXE's ROM,
		 * SeaBIOS starts it about 0.1 s sooner under TCG.  An image
		 * keeps it, as its firmware may want it.
		 */
		strv_push(s, "-device");
		strv_pushf(s, "virtio-net-%s,netdev=net0%s", a->ccw ? "ccw" :
		    "pci", t->is_kernel && !a->ccw ? ",romfile=" : "");
	}
	for (i = 0; i < t->nextra_args; i++)
		strv_push(s, t->extra_args[i]);
	if (p->incoming_fd > 0 && !p->key_mode) {
		strv_push(s, "-incoming");
		strv_pushf(s, "fd:%d", p->incoming_fd);
	}
}

json_t *
argv_json(const struct strv *s)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < s->n; i++)
		json_array_append_new(a, json_text(s->v[i]));
	return a;
}

static bool
shell_safe(const char *w)
{
	if (*w == '\0')
		return false;
	for (; *w != '\0'; w++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789@%+=:,./_-", *w) == NULL)
			return false;
	return true;
}

char *
argv_shell(const struct strv *s)
{
	char *line = NULL;
	const char *c;
	size_t len = 0, i;
	FILE *f;

	if ((f = open_memstream(&line, &len)) == NULL)
		xalloc_die();
	for (i = 0; i < s->n; i++) {
		if (i > 0)
			fputc(' ', f);
		if (i + 1 == s->raw || shell_safe(s->v[i])) {
			fputs(s->v[i], f);
			continue;
		}
		fputc('\'', f);
		for (c = s->v[i]; *c != '\0'; c++) {
			if (*c == '\'')
				fputs("'\\''", f);
			else
				fputc(*c, f);
		}
		fputc('\'', f);
	}
	if (fclose(f) != 0)
		xalloc_die();
	return line;
}
