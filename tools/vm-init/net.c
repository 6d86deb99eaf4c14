#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "net.h"

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
