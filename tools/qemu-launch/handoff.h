/*
 * handoff: the host's side of the control channel, vm-init's
 * (tools/vm-init/control.h has the exchange).  A kernel target booting
 * vm-initrd's initrd learns what differs between runs (its mounts,
 * whether it is interactive, the time, fresh entropy) over a
 * virtio-serial port after boot rather than on the kernel command line,
 * so that paths may hold any byte and one saved guest state, taken where
 * vm-init waits for the host, can serve many runs.
 */
#ifndef QEMU_LAUNCH_HANDOFF_H
#define QEMU_LAUNCH_HANDOFF_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "argv.h"
#include "launch.h"
#include "target.h"

/* What vm-init says once it waits on the port, and nothing else first. */
#define HANDOFF_HELLO "vm-init hello 1"

/* How long vm-init may take to answer the text; how many random bytes. */
#define HANDOFF_ANSWER_MS 60000
#define HANDOFF_ENTROPY 64

/* The snapshot's save, run between the hello and the text. */
typedef int handoff_save_fn(void *arg);

/*
 * The part of the text that is the run's own and known before QEMU
 * starts, one vm.KEY=VALUE a line (malloc'd): the mounts (vm.mount=
 * mountN:GUEST[:ro], GUEST percent-encoded), vm.interactive=1 when p says
 * so.  handoff_start() adds the time and the entropy as it sends it.
 */
char *handoff_config(const struct target *t, const struct plan *p);

/*
 * Mount i of t as vm-init's word, without a separator:
 * "vm.mount=mountI:GUEST[:ro]", GUEST with every byte but letters, digits
 * and "/._-+,=@~" as %HH.  The kernel command line (an initrd of the
 * user's) and the control channel share it.
 */
void handoff_put_mount(FILE *f, const struct target *t, size_t i);

/*
 * Forks the process that hands config over: it connects to the run's
 * control socket (QEMU made it: the launch is ready), waits for vm-init's
 * hello if await_hello (false after a restore, when the guest waits
 * already; end of file first means QEMU is gone: it ends quietly), runs
 * save(save_arg) if save is not NULL (its result does not stop the
 * handoff), sends config, "vm.time=" (CLOCK_REALTIME now),
 * "vm.entropy=" (HANDOFF_ENTROPY bytes of getrandom) and "end", and
 * waits up to HANDOFF_ANSWER_MS for "ok".  An "error ..." answer, or
 * none, is one line on stderr, which is ours.
 *
 * It holds none of our descriptors but stderr (stdin and stdout are
 * /dev/null), so the janitor's pipe and a caller's $(...) do not wait on
 * it, and save() must open what it needs.  It dies with us (a
 * parent-death SIGKILL), unless l->detach: then it has a session of its
 * own and ends with QEMU's socket.  Returns its pid, or -1 after a
 * message if it could not be forked.
 */
pid_t handoff_start(const struct launch *l, const char *config,
    bool await_hello, handoff_save_fn *save, void *save_arg);

/*
 * Ends the handoff pid (nothing if pid is not a child of ours, as after
 * -1): SIGTERM, SIGKILL a second later, reaped.  Its work is over once
 * the run is: either done, or for a guest that is gone.
 */
void handoff_stop(pid_t pid);

#endif
