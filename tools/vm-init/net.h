/*
 * net: the guest's identity on the network: the loopback interface up
 * (vmtest leaves it down, its issue #12) and a host name.
 */
#ifndef VM_INIT_NET_H
#define VM_INIT_NET_H

/* Brings "lo" up; the kernel then gives it 127.0.0.1 and ::1.  0 or -1. */
int net_loopback_up(void);

/* Sets the host name unless name is empty.  0 or -1. */
int net_hostname(const char *name);

#endif
