/*
 * vm-init: PID 1 of a guest that boots the host's own root over 9p.
 *
 * The story, each step timed on the kernel log: mount /proc, /sys and
 * /dev in the initramfs; read the kernel command line; load the modules
 * the initramfs carries; with vm.control, take the run's own settings,
 * the host's time and fresh entropy over the control channel (the
 * handoff, where a snapshot is taken); mount the 9p root and switch
 * into it; mount the guest's own /dev/pts, /dev/shm, /run, /tmp and
 * /mnt, the kernel's debugging file systems and the host's shared
 * directories; add the /dev links udev would make; bring lo up; with
 * vm.net, set up eth0 for QEMU's user-mode network and give the guest
 * its own resolv.conf (after the handoff: a snapshot is taken before
 * it, and restored into a new QEMU's network); start the guest agent
 * on its virtio-serial port and say "ready" once it holds the port.
 * Then reap children until the agent (or, interactively, the shell)
 * exits or a signal asks for the end, and power off.  Anything fatal
 * before the agent runs is said loudly and powers off too: init never
 * exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "cmdline.h"
#include "control.h"
#include "devices.h"
#include "diag.h"
#include "log.h"
#include "modules.h"
#include "mounts.h"
#include "net.h"
#include "pid1.h"
#include "spawn.h"

/* How long the agent's port may take to appear, and the agent to open it. */
#define PORT_WAIT_MS 10000
#define AGENT_WAIT_MS 10000

static const char usage_text[] =
"usage: vm-init\n"
"       vm-init --parse CMDLINE [--control TEXT]\n";

static const char help_text[] =
"\n"
"The guest's init (PID 1) for kernel targets: loads the initramfs's\n"
"modules, mounts the host's root over 9p and switches into it, mounts\n"
"/proc /sys /dev /run /tmp /mnt and the shared directories, starts qemu-ga,\n"
"reaps, and powers off when the agent exits.  Settings come from the\n"
"kernel command line: vm.root=TAG vm.msize=SIZE vm.share=TAG\n"
"vm.mount=TAG:PATH[:ro] vm.interactive=1 vm.qga=PATH vm.hostname=NAME\n"
"vm.net=1 vm.debug=1, and ro or rw.  Values are percent-decoded: %20 is a blank.\n"
"With vm.control=PORT, the host sends vm.mount, vm.interactive, vm.share,\n"
"vm.time and vm.entropy over that virtio-serial port after the modules load.\n"
"\n"
"  -p, --parse CMDLINE   print the settings CMDLINE gives, one per line, and exit\n"
"  -c, --control TEXT    with --parse: TEXT as the control channel's, over CMDLINE\n"
"  -h, --help            this help\n"
"  -V, --version         print the version\n"
"\n"
"Run as anything but PID 1 without an option, it refuses.\n"
"Exit status (not as PID 1): 0 success, 2 usage or a bad CMDLINE.\n";

static const struct option long_options[] = {
	{ "parse", required_argument, NULL, 'p' },
	{ "control", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* As an ordinary process: options only, never the boot. */
static int
not_init(int argc, char **argv)
{
	struct config c;
	char *parse = NULL, *control = NULL;
	int ch, problems;

	diag_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "p:c:hV", long_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'p':
			parse = optarg;
			break;
		case 'c':
			control = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			fputs(help_text, stdout);
			return EXIT_OK;
		case 'V':
			printf("vm-init (vmtest-tools) %s\n", VERSION);
			return EXIT_OK;
		default:
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc || (control != NULL && parse == NULL)) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (parse == NULL)
		die(EXIT_USAGE, "must run as PID 1 (it is a guest's init; "
		    "--help tells more)");
	cmdline_defaults(&c);
	/* The words are parsed in place: argv's strings are ours to change. */
	problems = cmdline_parse(parse, &c, error_msg);
	if (control != NULL)
		problems += cmdline_parse_control(control, &c, error_msg);
	cmdline_print(&c, stdout);
	if (fflush(stdout) != 0 || ferror(stdout))
		die_errno(EXIT_LOCAL, "stdout");
	return problems > 0 ? EXIT_USAGE : EXIT_OK;
}

/*
 * The kernel gives init the console as fds 0 to 2 if the initramfs has
 * /dev/console; without it they are closed, and the first files opened
 * would take their places.
 */
static void
console_fds(void)
{
	int fd, i;

	for (i = 0; i <= 2; i++) {
		if (fcntl(i, F_GETFD) >= 0)
			continue;
		fd = open("/dev/console", O_RDWR | O_NOCTTY);
		if (fd < 0)
			fd = open("/dev/null", O_RDWR);
		if (fd >= 0 && fd != i) {
			dup2(fd, i);
			close(fd);
		}
	}
}

static char *
read_cmdline(void)
{
	static char buf[65536];
	size_t got = 0;
	ssize_t n;
	int fd;

	fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fatal_errno("/proc/cmdline");
	while (got < sizeof(buf) - 1) {
		n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	return buf;
}

/* Starts the agent; returns its pid, or 0 where the shell can do without. */
static pid_t
start_agent(const struct config *c, int64_t *t)
{
	char path[4096], port[300], st[64];
	const char *qga;
	pid_t pid;
	int r, status, watch;

	qga = agent_find(c, path, sizeof(path));
	if (qga == NULL) {
		if (c->qga != NULL)
			fatal("vm.qga=%s: not an executable file in the "
			    "guest", c->qga);
		if (!c->interactive)
			fatal("no qemu-ga in the root's /usr/bin, /usr/sbin, "
			    "/usr/local/bin, /usr/local/sbin, /sbin, /bin or "
			    "PATH (install qemu-guest-agent in the root, or "
			    "give vm.qga=)");
		log_error("no qemu-ga: the guest has no agent");
		return 0;
	}
	if (devices_wait_port(AGENT_PORT_NAME, PORT_WAIT_MS, port,
	    sizeof(port)) < 0) {
		if (!c->interactive)
			fatal("no virtio-serial port named %s after %d s "
			    "(QEMU needs -device virtserialport,name=%s)",
			    AGENT_PORT_NAME, PORT_WAIT_MS / 1000,
			    AGENT_PORT_NAME);
		log_error("no virtio-serial port named %s: the guest has "
		    "no agent", AGENT_PORT_NAME);
		return 0;
	}
	*t = log_step("port", *t);
	watch = agent_watch_port(port);
	pid = agent_start(qga, port);
	if (pid < 0)
		fatal("could not start %s", qga);
	r = agent_wait_open(pid, port, watch, AGENT_WAIT_MS, &status);
	if (watch >= 0)
		close(watch);
	if (r < 0) {
		if (!c->interactive)
			fatal("%s exited with %s before opening %s", qga,
			    pid1_status_text(status, st, sizeof(st)), port);
		log_error("%s exited with %s before opening %s", qga,
		    pid1_status_text(status, st, sizeof(st)), port);
		return 0;
	}
	if (r == 0)
		log_error("%s has not opened %s after %d s; going on", qga,
		    port, AGENT_WAIT_MS / 1000);
	*t = log_step("agent", *t);
	log_info("agent: %s on %s, pid %d", qga, port, (int)pid);
	return pid;
}

static void
boot(void)
{
	struct config c;
	int64_t t0, t;
	uint32_t msize;
	pid_t agent, shell;
	char *text;

	pid1_signals();
	umask(022);
	t0 = t = log_now_ms();
	mounts_early();
	console_fds();
	text = read_cmdline();
	cmdline_defaults(&c);
	cmdline_parse(text, &c, log_error);
	log_set_debug(c.debug);
	log_info("started %lld ms after the kernel", (long long)t0);
	t = log_step("early mounts", t);

	/* A module that fails is logged; a mount that needs it will say. */
	modules_load(MODULES_LIST, c.net);
	t = log_step("modules", t);
	/* The handoff: nothing is mounted from 9p yet (control.h says why). */
	if (c.control != NULL) {
		control_receive(&c);
		t = log_step("control", t);
	}
	msize = mounts_root(&c);
	t = log_step("root", t);
	mounts_switch_root();
	t = log_step("switch root", t);
	mounts_system();
	t = log_step("mounts", t);
	mounts_shares(&c, msize);
	t = log_step("shares", t);
	devices_fd_links();
	devices_port_links();
	net_loopback_up();
	net_hostname(c.hostname);
	t = log_step("devices and network", t);
	if (c.net) {
		net_user_setup();
		t = log_step("user network", t);
	}

	agent = start_agent(&c, &t);
	log_console(LOG_LVL_INFO, "ready in %lld ms (%lld ms after the "
	    "kernel started)", (long long)(t - t0), (long long)t);
	if (!c.interactive)
		pid1_supervise(agent, "qemu-ga", 0, NULL);
	shell = spawn_shell();
	if (shell < 0)
		fatal("no shell for vm.interactive");
	pid1_supervise(shell, "the shell", agent, "qemu-ga");
}

int
main(int argc, char **argv)
{
	/* The kernel hands init its command line's leftovers: ignore them. */
	if (getpid() != 1)
		return not_init(argc, argv);
	boot();
	return 1;
}
