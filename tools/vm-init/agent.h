/*
 * agent: the QEMU guest agent, the guest's one server: found in the new
 * root, started on its virtio-serial port, and watched until it holds
 * the port, which is when the host can reach it.
 */
#ifndef VM_INIT_AGENT_H
#define VM_INIT_AGENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cmdline.h"

#define AGENT_PORT_NAME "org.qemu.guest_agent.0"

/* vm.qga= if given, else the first qemu-ga in the usual directories. */
const char *agent_find(const struct config *c, char *buf, size_t size);

/* Starts path in the foreground on the port (a /dev path); -1 if not. */
pid_t agent_start(const char *path, const char *port);

/*
 * An inotify watch for opens of the port, made before the agent starts
 * so that its open cannot be missed; -1 if inotify is not there.
 */
int agent_watch_port(const char *port);

/*
 * Waits until the agent pid has the port open, seen through watch (or, if
 * it is -1, in /proc): 1 when it does, 0 after timeout_ms, -1 when it
 * exited first (its wait status in *status).
 */
int agent_wait_open(pid_t pid, const char *port, int watch,
    int64_t timeout_ms, int *status);

#endif
