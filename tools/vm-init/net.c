/*
 * net: lo, the host name, and the NIC of QEMU's user-mode network, by
 * the old ioctls: four calls on one socket, where rtnetlink would need
 * messages built and acknowledgements read for the same effect.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "net.h"
#include "pid1.h"
#include "resolv.h"

/* How long eth0 may take to show after virtio_net is loaded. */
#define IF_WAIT_MS 5000

int
net_loopback_up(void)
{
	struct ifreq ifr;
	int fd, r = -1;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_error_errno("socket for lo");
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		log_error_errno("lo: SIOCGIFFLAGS");
	} else {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			log_error_errno("lo up");
		else
			r = 0;
	}
	close(fd);
	return r;
}

int
net_hostname(const char *name)
{
	if (*name == '\0')
		return 0;
	if (sethostname(name, strlen(name)) < 0) {
		log_error_errno("sethostname %s", name);
		return -1;
	}
	return 0;
}

static void
wait_interface(void)
{
	int64_t deadline = log_now_ms() + IF_WAIT_MS;
	struct stat st;
	int pause_us = 500;

	while (stat("/sys/class/net/" NET_IFNAME, &st) < 0) {
		if (log_now_ms() >= deadline)
			fatal("vm.net: no " NET_IFNAME " after %d s (the "
			    "kernel needs virtio_net, built in or in the "
			    "initramfs, and QEMU a virtio-net device)",
			    IF_WAIT_MS / 1000);
		usleep(pause_us);
		if (pause_us < 20000)
			pause_us *= 2;
	}
}

static void
set_inet(struct sockaddr *sa, const char *addr)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, addr, &sin.sin_addr);
	memcpy(sa, &sin, sizeof(sin));
}

void
net_user_setup(void)
{
	struct rtentry rt;
	struct ifreq ifr;
	int fd;

	wait_interface();
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fatal_errno("vm.net: socket");
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, NET_IFNAME);
	/* The mask before up: the route up adds is then the /24. */
	set_inet(&ifr.ifr_addr, NET_ADDR);
	if (ioctl(fd, SIOCSIFADDR, &ifr) < 0)
		fatal_errno("vm.net: " NET_IFNAME " address " NET_ADDR);
	set_inet(&ifr.ifr_netmask, NET_MASK);
	if (ioctl(fd, SIOCSIFNETMASK, &ifr) < 0)
		fatal_errno("vm.net: " NET_IFNAME " netmask " NET_MASK);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		fatal_errno("vm.net: " NET_IFNAME " flags");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		fatal_errno("vm.net: " NET_IFNAME " up");

	memset(&rt, 0, sizeof(rt));
	set_inet(&rt.rt_dst, "0.0.0.0");
	set_inet(&rt.rt_genmask, "0.0.0.0");
	set_inet(&rt.rt_gateway, NET_GATEWAY);
	rt.rt_flags = RTF_UP | RTF_GATEWAY;
	rt.rt_dev = ifr.ifr_name;
	if (ioctl(fd, SIOCADDRT, &rt) < 0 && errno != EEXIST)
		fatal_errno("vm.net: default route via " NET_GATEWAY);
	close(fd);
	log_info("net: " NET_IFNAME " " NET_ADDR "/24, default route via "
	    NET_GATEWAY);
	resolv_guest(NET_DNS);
}
