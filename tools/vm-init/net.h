/*
 * net: the guest's identity on the network: the loopback interface up
 * (vmtest leaves it down, its issue #12), a host name, and with vm.net
 * the first NIC set up for QEMU's user-mode network.
 */
#ifndef VM_INIT_NET_H
#define VM_INIT_NET_H

/* QEMU's user-mode network, as slirp sets it up by default. */
#define NET_IFNAME "eth0"
#define NET_ADDR "10.0.2.15"
#define NET_MASK "255.255.255.0"
#define NET_GATEWAY "10.0.2.2"
#define NET_DNS "10.0.2.3"

/* Brings "lo" up; the kernel then gives it 127.0.0.1 and ::1.  0 or -1. */
int net_loopback_up(void);

/* Sets the host name unless name is empty.  0 or -1. */
int net_hostname(const char *name);

/*
 * Waits a little for NET_IFNAME (virtio_net probes it as the module
 * loads, long before), gives it NET_ADDR/24, brings it up and routes
 * everything through NET_GATEWAY; then the guest's own resolv.conf
 * (resolv.h).  An interface that cannot be set up is fatal(): the run
 * asked for a network.  A guest without a resolver is only an error.
 */
void net_user_setup(void);

#endif
