/*
 * devices: what udev would add to /dev in a guest without udev: the
 * /dev/fd links, and /dev/virtio-ports/NAME for each virtio-serial port.
 */
#ifndef VM_INIT_DEVICES_H
#define VM_INIT_DEVICES_H

#include <stddef.h>
#include <stdint.h>

/* /dev/fd, /dev/stdin, /dev/stdout, /dev/stderr into /proc/self/fd. */
void devices_fd_links(void);

/* Links every named virtio-serial port; returns how many ports. */
int devices_port_links(void);

/*
 * Waits up to timeout_ms for the virtio-serial port called name and its
 * device node, links it, and writes its /dev/virtio-ports path to path.
 * Ports appear a little after virtio_console loads (the host announces
 * them on a control queue).  Returns 0, or -1 on timeout.
 */
int devices_wait_port(const char *name, int64_t timeout_ms, char *path,
    size_t size);

#endif
