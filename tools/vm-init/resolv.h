/*
 * resolv: the guest's own /etc/resolv.conf.  The guest's root is the
 * host's, shared read-write: writing /etc/resolv.conf would change the
 * host's resolver.  A file on the guest's /run is mounted over it
 * instead; where it is a symbolic link to a file that only a running host
 * has (systemd-resolved's /run/systemd/resolve/stub-resolv.conf), the
 * file is made where the link points, on the guest's own /run.
 */
#ifndef VM_INIT_RESOLV_H
#define VM_INIT_RESOLV_H

/*
 * Makes /etc/resolv.conf say "nameserver ADDR" to the guest alone.
 * Never creates or writes a file outside a tmpfs.  0, or -1 (logged).
 */
int resolv_guest(const char *addr);

#endif
