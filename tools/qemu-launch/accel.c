/*
 * accel: does KVM work here?
 *
 * On the project's machines /dev/kvm exists and opens, and QEMU starts a
 * KVM guest without complaint, but the guest "hangs" after its first
 * boot messages.  Measured: it does not hang, it crawls.  The KVM there
 * (the kvm_pvm module of a nested setup, no VMX in the CPU flags)
 * emulates every guest instruction: about 1.3 million a second in real
 * mode and 1.1 million in 64-bit mode, a thousand times slower than
 * hardware and far slower than TCG.  SeaBIOS and the kernel's real-mode
 * setup take 5 s to print their first line ("Probing EDD"); the kernel's
 * decompressor then prints nothing for as long as one cares to wait.
 * (With -cpu host, vmtest's choice, QEMU does not even start: it aborts
 * setting MSR 0x10a.)
 *
 * So the probe measures speed, not just ioctls: a throwaway VM with one
 * vCPU in 64-bit mode runs a counted loop of 4 million instructions,
 * which hardware finishes in a millisecond or two.  If it is not done in
 * 300 ms, a timer stops it and KVM is judged not to work.  The probe runs
 * in a child process that the parent kills after 2 s whatever happens,
 * so it costs at most about 0.3 s (measured here: 0.3 s more than a TCG
 * launch), and its verdict is cached for the boot (keyed by
 * /proc/sys/kernel/random/boot_id), so later runs pay nothing.  Only
 * x86_64 hosts have a probe; elsewhere a KVM that opens is trusted.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <linux/kvm.h>
#endif

#include "accel.h"
#include "child.h"
#include "deadline.h"
#include "diag.h"

#define PROBE_LOOPS 2000000u	/* dec + jnz: 4 million instructions */
#define PROBE_BUDGET_MS 300
#define PROBE_KILL_MS 2000
#define VERDICT_VERSION "1"


#if defined(__x86_64__)

static volatile struct kvm_run *probe_run;
static volatile sig_atomic_t probe_alarm;

static void
on_alarm(int sig)
{
	(void)sig;
	probe_alarm = 1;
	/* KVM_RUN returns at once if the signal came just before it. */
	if (probe_run != NULL)
		probe_run->immediate_exit = 1;
}

/* The probe, in the child.  Writes its verdict into why; 0 if fast. */
static int
probe_vcpu(char *why, size_t size)
{
	/* mov ecx, LOOPS; 1: dec rcx; jnz 1b; out 0x10, al; hlt */
	static const unsigned char code[] = {
		0xb9, 0, 0, 0, 0, 0x48, 0xff, 0xc9, 0x75, 0xfb,
		0xe6, 0x10, 0xf4,
	};
	const size_t memsize = 0x200000;
	struct kvm_userspace_memory_region region;
	struct itimerval it = { .it_value = { 0, PROBE_BUDGET_MS * 1000 } };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_segment seg;
	struct kvm_run *run;
	uint64_t *pt;
	uint32_t loops = PROBE_LOOPS;
	unsigned char *mem;
	int kvm, vm, vcpu, runsize, io = 0;
	int64_t start;

	if ((kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC)) < 0)
		return why_fail(why, size, "/dev/kvm: %s", strerror(errno));
	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		return why_fail(why, size, "unknown KVM API version");
	if ((vm = ioctl(kvm, KVM_CREATE_VM, 0)) < 0)
		return why_fail(why, size, "KVM_CREATE_VM: %s",
		    strerror(errno));
	mem = mmap(NULL, memsize, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		return why_fail(why, size, "mmap: %s", strerror(errno));
	/* Identity-mapped 2 MiB page: PML4 at 0x1000, PDPT 0x2000, PD 0x3000. */
	pt = (uint64_t *)(mem + 0x1000);
	pt[0] = 0x2000 | 3;
	pt = (uint64_t *)(mem + 0x2000);
	pt[0] = 0x3000 | 3;
	pt = (uint64_t *)(mem + 0x3000);
	pt[0] = 0x83;		/* present, writable, 2 MiB */
	memcpy(mem + 0x8000, code, sizeof(code));
	memcpy(mem + 0x8001, &loops, sizeof(loops));
	region = (struct kvm_userspace_memory_region){
		.slot = 0, .guest_phys_addr = 0, .memory_size = memsize,
		.userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return why_fail(why, size, "KVM_SET_USER_MEMORY_REGION: %s",
		    strerror(errno));
	if ((vcpu = ioctl(vm, KVM_CREATE_VCPU, 0)) < 0)
		return why_fail(why, size, "KVM_CREATE_VCPU: %s",
		    strerror(errno));
	runsize = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = runsize > 0 ? mmap(NULL, (size_t)runsize, PROT_READ |
	    PROT_WRITE, MAP_SHARED, vcpu, 0) : MAP_FAILED;
	if (run == MAP_FAILED)
		return why_fail(why, size, "mmap of the vCPU: %s",
		    strerror(errno));
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return why_fail(why, size, "KVM_GET_SREGS: %s",
		    strerror(errno));
	seg = (struct kvm_segment){ .base = 0, .limit = 0xffffffff,
	    .selector = 8, .present = 1, .type = 11, .s = 1, .l = 1, .g = 1 };
	sregs.cs = seg;
	seg = (struct kvm_segment){ .base = 0, .limit = 0xffffffff,
	    .selector = 16, .present = 1, .type = 3, .s = 1, .db = 1, .g = 1 };
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = seg;
	sregs.cr3 = 0x1000;
	sregs.cr4 = 0x20;		/* PAE */
	sregs.cr0 = 0x80000011;		/* PG, ET, PE */
	sregs.efer = 0x500;		/* LMA, LME */
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		return why_fail(why, size, "KVM_SET_SREGS: %s",
		    strerror(errno));
	memset(&regs, 0, sizeof(regs));
	regs.rip = 0x8000;
	regs.rsp = 0x7000;
	regs.rflags = 2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return why_fail(why, size, "KVM_SET_REGS: %s",
		    strerror(errno));

	if (ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) > 0)
		probe_run = run;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: KVM_RUN returns */
	start = monotonic_ns();
	setitimer(ITIMER_REAL, &it, NULL);
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			if (errno != EINTR)
				return why_fail(why, size, "KVM_RUN: %s",
				    strerror(errno));
			if (!probe_alarm)
				continue;
			ioctl(vcpu, KVM_GET_REGS, &regs);
			return why_fail(why, size, "a test vCPU ran %.2fM "
			    "instructions in %d ms, hardware runs ~1000M: KVM "
			    "is emulating them",
			    2.0 * (loops - (uint32_t)regs.rcx) / 1e6,
			    PROBE_BUDGET_MS);
		}
		if (run->exit_reason == KVM_EXIT_IO && io++ == 0)
			continue;
		if (run->exit_reason == KVM_EXIT_HLT)
			break;
		return why_fail(why, size, "a test vCPU stopped with KVM exit "
		    "reason %u", run->exit_reason);
	}
	snprintf(why, size, "a test vCPU ran 4 million instructions in "
	    "%.1f ms", (double)(monotonic_ns() - start) / 1e6);
	return 0;
}

#else

static int
probe_vcpu(char *why, size_t size)
{
	int fd;

	/* No probe for this host: a KVM that opens is trusted. */
	if ((fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)) < 0)
		return why_fail(why, size, "/dev/kvm: %s", strerror(errno));
	close(fd);
	snprintf(why, size, "/dev/kvm opens (no probe for this host)");
	return 0;
}

#endif

/*
 * Runs the vCPU probe, ignoring any cached verdict: 0 if KVM runs guest
 * code at speed, else -1 with the reason in why.
 */
static int
accel_probe(char *why, size_t size)
{
	struct deadline d = deadline_in_ms(PROBE_KILL_MS);
	char buf[512];
	size_t got = 0;
	struct pollfd pfd;
	int p[2];
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return why_fail(why, size, "pipe: %s", strerror(errno));
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		return why_fail(why, size, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		int ok;

		close(p[0]);
		ok = probe_vcpu(buf, sizeof(buf));
		dprintf(p[1], "%s %s", ok == 0 ? "ok" : "bad", buf);
		_exit(0);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	for (;;) {
		n = poll(&pfd, 1, deadline_poll_ms(d));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		n = read(p[0], buf + got, sizeof(buf) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(p[0]);
	/* Its verdict is in, or never will be: no grace. */
	child_stop(pid, SIGKILL, 0, NULL);
	buf[got] = '\0';
	if (strncmp(buf, "ok ", 3) == 0) {
		snprintf(why, size, "%s", buf + 3);
		return 0;
	}
	if (strncmp(buf, "bad ", 4) == 0)
		snprintf(why, size, "%s", buf + 4);
	else
		snprintf(why, size, "a test vCPU did not finish in %d ms",
		    PROBE_KILL_MS);
	return -1;
}

/* The directory the verdict lives in, or NULL: per user, or /run. */
static const char *
verdict_dir(char *buf, size_t size)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (xdg != NULL && xdg[0] == '/')
		snprintf(buf, size, "%s/vmtest-tools", xdg);
	else if (geteuid() == 0)
		snprintf(buf, size, "/run/vmtest-tools");
	else
		return NULL;
	return buf;
}

static int
boot_id(char *buf, size_t size)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	int ok;

	if (f == NULL)
		return -1;
	ok = fgets(buf, (int)size, f) != NULL;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return ok && buf[0] != '\0' ? 0 : -1;
}

/*
 * The cached verdict: 1 works, 0 does not (why filled), -1 none.  Only a
 * file of ours, that nobody else can write, is believed.
 */
static int
verdict_read(char *why, size_t size)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], line[1024], id[64];
	char want[128];
	struct stat st;
	FILE *f;
	int fd;

	if (verdict_dir(dir, sizeof(dir)) == NULL || boot_id(id, sizeof(id)))
		return -1;
	snprintf(path, sizeof(path), "%s/kvm-verdict", dir);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() ||
	    (st.st_mode & 022) != 0 || (f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return -1;
	}
	if (fgets(line, sizeof(line), f) == NULL) {
		fclose(f);
		return -1;
	}
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	snprintf(want, sizeof(want), "%s %s ", VERDICT_VERSION, id);
	if (strncmp(line, want, strlen(want)) != 0)
		return -1;
	if (strncmp(line + strlen(want), "ok ", 3) == 0)
		return 1;
	if (strncmp(line + strlen(want), "bad ", 4) != 0)
		return -1;
	snprintf(why, size, "%s", line + strlen(want) + 4);
	return 0;
}

/* Best effort: a verdict that cannot be saved is found again next time. */
static void
verdict_write(bool works, const char *why)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], tmp[PATH_MAX + 32], id[64];
	struct stat st;
	int fd;

	if (verdict_dir(dir, sizeof(dir)) == NULL || boot_id(id, sizeof(id)))
		return;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return;
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid())
		return;
	snprintf(path, sizeof(path), "%s/kvm-verdict", dir);
	snprintf(tmp, sizeof(tmp), "%s/.kvm-verdict.XXXXXX", dir);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return;
	if (dprintf(fd, "%s %s %s %s\n", VERDICT_VERSION, id,
	    works ? "ok" : "bad", why) < 0 || fchmod(fd, 0644) < 0 ||
	    close(fd) < 0 || rename(tmp, path) < 0)
		unlink(tmp);
}

enum accel
accel_choose(enum accel_mode mode, enum arch arch, bool save)
{
	char why[512];
	int fd, cached;

	if (mode == ACCEL_ONLY_TCG)
		return ACCEL_TCG;
	if (arch != arch_host()) {
		if (mode == ACCEL_ONLY_KVM)
			die(EXIT_USAGE, "--accel kvm: KVM runs %s guests only "
			    "(this guest is %s)", arch_host() < ARCH_COUNT ?
			    arch_table[arch_host()].name : "this machine's",
			    arch_table[arch].name);
		return ACCEL_TCG;
	}
	if ((fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)) < 0) {
		if (mode == ACCEL_ONLY_KVM)
			die_errno(EXIT_UNREACHABLE, "--accel kvm: /dev/kvm");
		/* No KVM at all is ordinary; one we may not use is news. */
		if (errno != ENOENT && errno != ENODEV && errno != ENXIO)
			note_errno("kvm is not usable here, using tcg: "
			    "/dev/kvm");
		return ACCEL_TCG;
	}
	close(fd);
	if (mode == ACCEL_ONLY_KVM)
		return ACCEL_KVM;

	if ((cached = verdict_read(why, sizeof(why))) == 1)
		return ACCEL_KVM;
	if (cached < 0) {
		cached = accel_probe(why, sizeof(why)) == 0;
		if (save)
			verdict_write(cached, why);
		if (cached)
			return ACCEL_KVM;
	}
	note("kvm does not work here (%s); using tcg", why);
	return ACCEL_TCG;
}
