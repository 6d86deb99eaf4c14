/*
 * control: the run's own settings, asked of the host over a
 * virtio-serial port (the control channel) instead of the kernel command
 * line, which is fixed once the guest boots.  This is the handoff: it
 * comes after the modules are loaded and before anything is mounted
 * from 9p, because QEMU refuses to save a guest that has a 9p share
 * mounted.  The host may save the guest's state while vm-init waits
 * here, and later restore it any number of times, each run handing over
 * its own paths, time and random bytes.
 *
 * The exchange, one line each way at a time:
 *
 *	guest: vm-init hello 1
 *	host:  vm.KEY=VALUE words, any number of lines (cmdline.h's syntax)
 *	host:  end
 *	guest: ok             (or "error MESSAGE", and the guest powers off)
 */
#ifndef VM_INIT_CONTROL_H
#define VM_INIT_CONTROL_H

#include "cmdline.h"

#define CONTROL_HELLO "vm-init hello 1"

/*
 * Waits for the port c->control names, says hello, reads the host's text
 * up to "end" and merges it into c (cmdline_parse_control), sets the
 * clock to vm.time and adds vm.entropy to the kernel's random state
 * (fresh.h), answers, and closes the port.  Anything wrong is fatal(),
 * after an "error" answer where the port still works.
 */
void control_receive(struct config *c);

#endif
